"""Remote debugging: the plugin connects to Dify's debug port as configured in `.env`.

A local TCP listener plays the plugin daemon's debug port. The SDK (core/server/tcp and
plugin.py) must send, in order: the handshake line with the key, then the manifest
declaration, the tool provider declarations, the `_assets` files as asset chunks and `end`;
afterwards the connection is full duplex and carries the same session frames as stdio.
"""

from __future__ import annotations

import base64
import contextlib
import json
import socket
import subprocess
import threading
import time
import uuid
from pathlib import Path

import pytest
import yaml

from plugin_edge import MODEL_VIEW_LIMIT
from tests.dify_host.readers import AgentApp
from tests.e2e.plugin_launch import environ_without, running_plugin
from tests.plugin_process import REPO_ROOT, default_python

REPO = Path(REPO_ROOT)


class DebugPort:
    """Minimal stand-in for the daemon's remote-debug listener."""

    def __init__(self) -> None:
        self.server = socket.create_server(("127.0.0.1", 0))
        self.server.settimeout(30)
        self.port = self.server.getsockname()[1]
        self.conn: socket.socket | None = None
        self.buffer = b""

    def accept(self) -> None:
        self.conn, _ = self.server.accept()
        self.conn.settimeout(30)
        self.buffer = b""

    def accept_after_start_up_check(self, key: str) -> None:
        """The plugin's start-up check (remote_debug.py) connects first, sends the handshake
        and hangs up when the daemon stays silent (= key accepted); then the SDK connects."""
        self.accept()
        assert self.frame(time.monotonic() + 30) == {"type": "handshake", "data": {"key": key}}
        assert self.conn is not None
        assert self.conn.recv(1) == b"", "the start-up check kept its probe connection open"
        self.conn.close()
        self.accept()

    def frame(self, deadline: float) -> dict:
        """Next JSON object (frames are separated by one or two newlines)."""
        assert self.conn is not None
        while True:
            line, sep, rest = self.buffer.partition(b"\n")
            if sep:
                self.buffer = rest
                if line.strip():
                    return json.loads(line)
                continue
            if time.monotonic() > deadline:
                raise TimeoutError("no complete frame from the plugin")
            chunk = self.conn.recv(65536)
            if not chunk:
                raise ConnectionError("plugin closed the connection")
            self.buffer += chunk

    def send(self, obj: dict) -> None:
        assert self.conn is not None
        self.conn.sendall(json.dumps(obj).encode() + b"\n")

    def close(self) -> None:
        for s in (self.conn, self.server):
            if s is not None:
                with contextlib.suppress(OSError):
                    s.close()


@pytest.fixture
def debug_port():
    port = DebugPort()
    try:
        yield port
    finally:
        port.close()


def _plugin_dir_with_env(tmp_path: Path, env_text: str) -> Path:
    """The plugin tree (symlinked) plus a developer's `.env`, as after `cp .env.example .env`."""
    work = tmp_path / "plugin"
    work.mkdir()
    for entry in REPO.iterdir():
        if entry.name in (".env", ".git"):
            continue
        (work / entry.name).symlink_to(entry)
    (work / ".env").write_text(env_text)
    return work


def _invoke(debug_port: DebugPort, tool: str, credentials: dict, parameters: dict) -> list:
    """One daemon request over the debug connection; the session's replies up to `end`."""
    session_id = str(uuid.uuid4())
    debug_port.send({
        "session_id": session_id, "conversation_id": None, "message_id": None,
        "app_id": None, "endpoint_id": None, "context": {}, "event": "request",
        "data": {"user_id": "u", "type": "tool", "action": "invoke_tool",
                 "provider": "google_calendar", "tool": tool, "credentials": credentials,
                 "credential_type": "oauth2", "tool_parameters": parameters},
    })
    replies = []
    while True:
        frame = debug_port.frame(time.monotonic() + 30)
        if frame.get("event") != "session" or frame.get("session_id") != session_id:
            continue
        replies.append(frame["data"])
        if frame["data"]["type"] == "end":
            return replies


def test_remote_debug_handshake_declarations_and_invoke(debug_port: DebugPort, tmp_path, emu,
                                                        oauth_creds) -> None:
    key = str(uuid.uuid4())
    work = _plugin_dir_with_env(
        tmp_path,
        "INSTALL_METHOD=remote\n"
        f"REMOTE_INSTALL_URL=127.0.0.1:{debug_port.port}\n"
        f"REMOTE_INSTALL_KEY={key}\n"
        f"GOOGLE_CALENDAR_EMULATOR_HOST={emu.host}\n",  # only in .env, as .env.example shows
    )
    env = environ_without("INSTALL_METHOD", "REMOTE_INSTALL", "GOOGLE_CALENDAR")
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    log = tmp_path / "plugin.log"
    with running_plugin(default_python(), work, env, log):
        try:
            debug_port.accept_after_start_up_check(key)
        except TimeoutError:
            pytest.fail(f"plugin never connected:\n{log.read_text(errors='replace')}")
        deadline = time.monotonic() + 30

        handshake = debug_port.frame(deadline)
        assert handshake == {"type": "handshake", "data": {"key": key}}

        frames = []
        while True:
            frame = debug_port.frame(deadline)
            frames.append(frame)
            if frame["type"] == "end":
                break
        kinds = [f["type"] for f in frames]
        assert kinds[0] == "manifest_declaration"
        assert kinds[1] == "tool_declaration"
        assert kinds[-1] == "end"
        assert set(kinds[2:-1]) <= {"asset_chunk"}

        manifest = frames[0]["data"]
        assert manifest["name"] == "google_calendar"
        assert manifest["plugins"]["tools"] == ["provider/google_calendar.yaml"]
        providers = frames[1]["data"]
        assert [p["identity"]["name"] for p in providers] == ["google_calendar"]
        declared = yaml.safe_load((REPO / "provider" / "google_calendar.yaml").read_text())
        names = [t["identity"]["name"] for t in providers[0]["tools"]]
        assert names == [Path(p).stem for p in declared["tools"]]
        assert providers[0]["oauth_schema"] is not None

        assets: dict[str, bytes] = {}
        for f in frames[2:-1]:
            chunk = f["data"]
            assets[chunk["filename"]] = assets.get(chunk["filename"], b"") + base64.b64decode(
                chunk["data"]
            )
        icon = manifest["icon"]
        assert assets.get(icon) == (REPO / "_assets" / icon).read_bytes()

        # Full duplex afterwards: a request over the same socket gets session frames back.
        if "get_current_time" in names:
            replies = _invoke(debug_port, "get_current_time", {"access_token": "x"},
                              {"time_zone": "Asia/Tokyo"})
            streamed = [r["data"] for r in replies if r["type"] == "stream"]
            assert not [r for r in replies if r["type"] == "error"], replies
            assert any("Asia/Tokyo" in json.dumps(m) for m in streamed)

        # GOOGLE_CALENDAR_EMULATOR_HOST from .env is honoured (issue 27).
        emu.clear_requests()
        replies = _invoke(debug_port, "list_calendars", oauth_creds, {})
        assert not [r for r in replies if r["type"] == "error"], replies
        assert any(r.path.endswith("/calendarList") for r in emu.requests)
        # An expected error over remote debugging: message only, no traceback (plugin_edge.py).
        replies = _invoke(debug_port, "list_events", oauth_creds, {"time_min": "yesterdayish"})
        (error,) = [r["data"] for r in replies if r["type"] == "error"]
        assert error["args"] == {} and error["message"].startswith("Invalid `time_min`")
        assert len(AgentApp.error_view(error)) <= MODEL_VIEW_LIMIT
    log_text = log.read_text(errors="replace")
    assert key not in log_text, "the debug key was logged"
    assert "Unexpected error occurred" not in log_text


# --- start-up check: each dead end ends the process in one line ------------------------

SETTINGS_PAGE = "Dify -> Plugins -> Debugging"


def _run_main(tmp_path: Path, env_text: str, timeout: float = 20) -> tuple[float, int, str]:
    work = _plugin_dir_with_env(tmp_path, env_text)
    env = environ_without("INSTALL_METHOD", "REMOTE_INSTALL", "GOOGLE_CALENDAR")
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    started = time.monotonic()
    proc = subprocess.run([default_python(), "-m", "main"], cwd=work, env=env,
                          stdin=subprocess.DEVNULL, capture_output=True, text=True,
                          timeout=timeout)
    return time.monotonic() - started, proc.returncode, proc.stdout + proc.stderr


def _assert_one_clear_line(output: str, *expected: str) -> None:
    lines = [line for line in output.splitlines() if line.strip()]
    assert len(lines) == 1, output
    assert "Traceback" not in output
    for text in expected:
        assert text in lines[0], (text, lines[0])


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # nobody listens once the socket is closed


def test_unreachable_debug_address_fails_fast_in_one_line(tmp_path: Path) -> None:
    port = _closed_port()
    elapsed, code, output = _run_main(
        tmp_path, f"INSTALL_METHOD=remote\nREMOTE_INSTALL_URL=127.0.0.1:{port}\n"
                  f"REMOTE_INSTALL_KEY={uuid.uuid4()}\n")
    assert code != 0
    _assert_one_clear_line(output, "REMOTE_INSTALL_URL", f"127.0.0.1:{port}", SETTINGS_PAGE)
    assert elapsed < 12, f"took {elapsed:.1f}s (the SDK alone retries for 10+ s)"


def test_placeholder_key_from_env_example_fails_in_one_line(tmp_path: Path) -> None:
    """`cp .env.example .env` and nothing else: no connection attempt, one line."""
    elapsed, code, output = _run_main(tmp_path, (REPO / ".env.example").read_text())
    assert code != 0
    _assert_one_clear_line(output, "REMOTE_INSTALL_KEY", "placeholder", "debug.dify.ai:5003")
    assert elapsed < 12


def test_empty_key_fails_in_one_line(tmp_path: Path) -> None:
    _, code, output = _run_main(
        tmp_path, "INSTALL_METHOD=remote\nREMOTE_INSTALL_URL=127.0.0.1:5003\nREMOTE_INSTALL_KEY=\n")
    assert code != 0
    _assert_one_clear_line(output, "REMOTE_INSTALL_KEY", "empty", "127.0.0.1:5003")


def test_malformed_debug_address_fails_in_one_line(tmp_path: Path) -> None:
    _, code, output = _run_main(
        tmp_path, f"INSTALL_METHOD=remote\nREMOTE_INSTALL_URL=localhost\n"
                  f"REMOTE_INSTALL_KEY={uuid.uuid4()}\n")
    assert code != 0
    _assert_one_clear_line(output, "REMOTE_INSTALL_URL", "'localhost'", "host:port")


def test_refused_handshake_fails_in_one_line_without_retries(debug_port: DebugPort,
                                                             tmp_path: Path) -> None:
    """The daemon answers a key it does not know with one plain line and closes the socket
    (dify-plugin-daemon internal/core/debugging_runtime/hooks.go: onMessage -> closeConn with
    "handshake failed, invalid key")."""
    connections = []

    def daemon_refusing_every_key() -> None:
        with contextlib.suppress(OSError):
            while True:
                debug_port.accept()
                connections.append(debug_port.frame(time.monotonic() + 30))
                debug_port.conn.sendall(b"handshake failed, invalid key\n")
                debug_port.conn.close()

    threading.Thread(target=daemon_refusing_every_key, daemon=True).start()
    key = str(uuid.uuid4())
    elapsed, code, output = _run_main(
        tmp_path, f"INSTALL_METHOD=remote\nREMOTE_INSTALL_URL=127.0.0.1:{debug_port.port}\n"
                  f"REMOTE_INSTALL_KEY={key}\n")
    assert code != 0
    _assert_one_clear_line(output, "refused REMOTE_INSTALL_KEY", "handshake failed, invalid key",
                           f"127.0.0.1:{debug_port.port}", SETTINGS_PAGE)
    assert key not in output
    assert len(connections) == 1, "a refused key was tried more than once"
    assert elapsed < 12


def test_an_http_port_is_named_as_such(tmp_path: Path) -> None:
    """Dify's web or API port (80, 5001) given as the debug port answers the handshake line
    with an HTTP error page: say so, and name the usual debug port."""
    server = socket.create_server(("127.0.0.1", 0))
    port = server.getsockname()[1]

    def web_server() -> None:
        with contextlib.suppress(OSError):
            while True:
                conn, _ = server.accept()
                conn.recv(4096)
                conn.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
                conn.close()

    threading.Thread(target=web_server, daemon=True).start()
    try:
        _, code, output = _run_main(
            tmp_path, f"INSTALL_METHOD=remote\nREMOTE_INSTALL_URL=127.0.0.1:{port}\n"
                      f"REMOTE_INSTALL_KEY={uuid.uuid4()}\n")
    finally:
        server.close()
    assert code != 0
    _assert_one_clear_line(output, "answers HTTP", "5003", f"127.0.0.1:{port}", SETTINGS_PAGE)
    assert "refused REMOTE_INSTALL_KEY" not in output
