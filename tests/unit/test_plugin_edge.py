"""The plugin's edge (plugin_edge.py) against the SDK's real request wrapper, per runtime.

`IOServer._execute_request_in_thread` is the one function every runtime goes through (stdio
for a local install, TCP for remote debugging, HTTP for serverless); it is run here unchanged
with a reader of each runtime's class, so the SDK decides what it logs and writes.
"""

from __future__ import annotations

import hashlib
import inspect
import json
import logging
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from dify_plugin import DifyPluginEnv, Plugin
from dify_plugin.core.server.__base.response_writer import ResponseWriter
from dify_plugin.core.server.io_server import IOServer
from dify_plugin.core.server.serverless.request_reader import ServerlessRequestReader
from dify_plugin.core.server.stdio.request_reader import StdioRequestReader
from dify_plugin.core.server.tcp.request_reader import TCPReaderWriter
from dify_plugin.errors.tool import ToolProviderCredentialValidationError

from gcal.errors import InvalidInputError, ReauthorizationRequiredError
from gcal.google.credentials_check import RECONNECT_MESSAGE
from plugin_edge import MODEL_VIEW_LIMIT, EdgePlugin, expected_error_object, model_view

# sha256 of the source of the two private SDK functions the edge relies on (dify_plugin 0.10.2).
# When this fails, read the new source: does the wrapper still call `_execute_request` with
# (session_id, data, reader, writer, …), end the session itself and add the traceback there?
PINNED_SOURCES = {
    "IOServer._execute_request_in_thread":
        "8004e8b3551941ddee1fc9cfbbeca09f19d377ea8d747ac9f120e0ee4e100f54",
    "Plugin._execute_request":
        "bf33dcb7731ad618b160d72b3b9ad166d5dcb29a65e612a2f7a38a10bd6092b6",
}
SDK_FUNCTIONS = {
    "IOServer._execute_request_in_thread": IOServer._execute_request_in_thread,
    "Plugin._execute_request": Plugin._execute_request,
}

# Where Dify's plugin daemon runs an installed package: PLUGIN_WORKING_PATH (/app/storage/cwd in
# Dify's docker-compose) / "<author>/<name>-<version>@<sha256 of the package>"
# (dify-plugin-daemon internal/core/local_runtime/constructor.go, buildPluginWorkingPath).
DAEMON_INSTALL_PATH = "/app/storage/cwd/langgenius/google_calendar-0.1.0@" + "f" * 64

RUNTIMES = {
    "stdio (local install)": StdioRequestReader,
    "remote debugging (TCP)": TCPReaderWriter,
    "serverless": ServerlessRequestReader,
}


@pytest.mark.parametrize("name", sorted(SDK_FUNCTIONS))
def test_the_sdk_code_the_edge_relies_on_is_unchanged(name):
    source = inspect.getsource(SDK_FUNCTIONS[name])
    assert hashlib.sha256(source.encode()).hexdigest() == PINNED_SOURCES[name], (
        f"dify_plugin changed {name}: check plugin_edge.py against the new code, then re-pin")


class CapturingWriter(ResponseWriter):
    def __init__(self) -> None:
        self.frames: list[dict] = []

    def write(self, data: str) -> None:
        if data.strip():
            self.frames.append(json.loads(data))

    def done(self) -> None:
        self.frames.append({"done": True})

    def session_data(self) -> list[dict]:
        return [frame["data"] for frame in self.frames if "data" in frame]

    def error(self) -> dict:
        (error,) = [d["data"] for d in self.session_data() if d.get("type") == "error"]
        return error


def run_request(reader_class, raised: Exception) -> tuple[CapturingWriter, str]:
    """One request through the SDK's wrapper whose dispatch raises ``raised``; also returns
    the error text as if the traceback's files lived in the daemon's install directory."""
    plugin = object.__new__(EdgePlugin)
    plugin.config = DifyPluginEnv(INSTALL_METHOD="local")
    plugin.executer = ThreadPoolExecutor(max_workers=1)

    def dispatch(session, data):
        raise raised

    plugin.dispatch = dispatch
    writer = CapturingWriter()
    IOServer._execute_request_in_thread(plugin, "session-1", {}, object.__new__(reader_class),
                                        writer)
    plugin.executer.shutdown()
    error = writer.error()
    here = str(Path(__file__).resolve().parents[2])
    text = model_view(error["error_type"], error["message"], error["args"])
    return writer, text.replace(here, DAEMON_INSTALL_PATH)


EXPECTED = [
    InvalidInputError("time_min", "'yesterdayish' is not a date or time",
                      "2026-03-10T15:00:00+08:00, 2026-03-10, today"),
    ReauthorizationRequiredError(RECONNECT_MESSAGE, error="invalid_grant"),
    ReauthorizationRequiredError(),
    ToolProviderCredentialValidationError("The refresh token was refused. " * 30),
]


@pytest.mark.parametrize("runtime", sorted(RUNTIMES))
@pytest.mark.parametrize("raised", EXPECTED, ids=lambda e: type(e).__name__)
def test_an_expected_error_reaches_dify_short_and_without_traceback(runtime, raised, caplog):
    with caplog.at_level(logging.DEBUG):
        writer, model_reads = run_request(RUNTIMES[runtime], raised)
    error = writer.error()
    assert set(error) == {"error_type", "message", "args"}  # the shape the daemon parses
    assert error["args"] == {} and "Traceback" not in model_reads
    assert error["error_type"] == type(raised).__name__
    assert len(model_reads) <= MODEL_VIEW_LIMIT, len(model_reads)
    assert "Unexpected error" not in caplog.text
    assert writer.session_data()[-1]["type"] == "end" and writer.frames[-1] == {"done": True}


@pytest.mark.parametrize("runtime", sorted(RUNTIMES))
def test_an_unexpected_error_keeps_the_sdks_traceback(runtime, caplog):
    with caplog.at_level(logging.DEBUG):
        writer, model_reads = run_request(RUNTIMES[runtime], KeyError("bug"))
    error = writer.error()
    assert error["error_type"] == "KeyError"
    assert "Traceback (most recent call last)" in error["args"]["traceback"]
    assert DAEMON_INSTALL_PATH in model_reads
    logged = "Unexpected error occurred when executing request" in caplog.text
    assert logged == (RUNTIMES[runtime] is not StdioRequestReader)  # the SDK's own rule


def test_our_own_messages_fit_without_being_cut():
    for raised in EXPECTED[:3]:
        assert expected_error_object(raised)["message"] == str(raised)


def test_an_overlong_message_is_cut_at_a_sentence():
    message = expected_error_object(EXPECTED[3])["message"]
    assert message.endswith("refused.") and len(message) < len(str(EXPECTED[3]))
    words = expected_error_object(InvalidInputError("x", "word " * 200))["message"]
    assert words.endswith("…")
