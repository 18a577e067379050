"""The plugin's log lines, as Dify's plugin daemon collects them (``{"event": "log"}`` frames).

Each line reads ``[<call id>] <event> key=value ...``; the call id of a tool call is the first
8 characters of Dify's session id. The secret scan over every plugin process of the session
lives in tests/conftest.py.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from gcal.google.oauth import SCOPES
from tests.conftest import ALICE, REDIRECT_URI, TEST_CLIENT_ID, TEST_CLIENT_SECRET
from tests.emulator import Fault
from tests.plugin_process import PluginInvokeError, PluginProcess

FAST_ENV = {"GCAL_RETRY_BASE_DELAY": "0.02", "GCAL_READ_TIMEOUT": "1"}
SYSTEM = {"client_id": TEST_CLIENT_ID, "client_secret": TEST_CLIENT_SECRET}
WINDOW = {"time_min": "2026-06-01", "time_max": "2026-06-02"}
EVENTS_LIST = r"/calendars/[^/]+/events$"
LINE = re.compile(r"^\[(?P<call>[0-9A-Za-z]{8})\] (?P<event>[a-z_]+\.[a-z_]+)(?P<rest>.*)$")


@dataclass
class Line:
    level: str
    call: str
    event: str
    fields: dict[str, str]


@dataclass
class Logged:
    outcome: Any
    lines: list[Line]
    session: str  # the first 8 characters of the Dify session id of the call

    def named(self, event: str) -> list[Line]:
        return [line for line in self.lines if line.event == event]


def parse(entry: dict) -> Line:
    match = LINE.match(entry["message"])
    assert match, f"not a plugin log line: {entry['message']!r}"
    fields = dict(pair.split("=", 1) for pair in match["rest"].split())
    return Line(entry["level"], match["call"], match["event"], fields)


def logged(plugin: PluginProcess, action: Callable[..., Any], *args: Any, **kwargs: Any) -> Logged:
    """Run one daemon call; its outcome (or PluginInvokeError) and the lines it logged."""
    start = len(plugin.logs)
    try:
        outcome = action(*args, **kwargs)
    except PluginInvokeError as error:
        outcome = error
    session = json.loads(plugin.frames_in[-1])["session_id"].replace("-", "")[:8]
    ours = [parse(e) for e in plugin.logs[start:] if not e["message"].startswith("Installed")]
    return Logged(outcome, ours, session)


@pytest.fixture(scope="module")
def debug_plugin(emulator: Any) -> Iterator[PluginProcess]:
    env = {**FAST_ENV, "LOG_LEVEL": "DEBUG"}
    with PluginProcess(emulator_host=emulator.host, env=env) as process:
        yield process


def seconds(value: str) -> float:
    assert value.endswith("s"), value
    return float(value[:-1])


# --- Google requests --------------------------------------------------------------------


def test_a_retried_503_logs_each_retry_and_the_call_succeeds(debug_plugin, emu, oauth_creds):
    emu.inject_fault(Fault(method="GET", path_regex=EVENTS_LIST, status=503, times=2))
    run = logged(debug_plugin, debug_plugin.invoke_tool, "list_events", WINDOW, oauth_creds)

    assert not isinstance(run.outcome, PluginInvokeError)
    retries = run.named("google.retry")
    assert [r.fields["attempt"] for r in retries] == ["1", "2"]
    for retry in retries:
        assert retry.level == "WARNING"
        assert retry.fields["method"] == "calendar.events.list"
        assert retry.fields["status"] == "503"
        assert retry.fields["reason"] == "backendError"
        assert 0 <= seconds(retry.fields["wait"]) <= 1
        assert seconds(retry.fields["elapsed"]) >= 0
    done = run.named("tool.ok")
    assert len(done) == 1 and done[0].level == "DEBUG"
    assert done[0].fields["tool"] == "list_events"
    events_requests = [r for r in emu.requests if re.search(EVENTS_LIST, r.raw_path)]
    assert int(done[0].fields["google_requests"]) == len(emu.requests) >= len(events_requests)
    assert {line.call for line in run.lines} == {run.session}


def test_a_failure_after_every_retry_is_an_error(debug_plugin, emu, oauth_creds):
    emu.inject_fault(Fault(method="GET", path_regex=EVENTS_LIST, status=503, times=None))
    run = logged(debug_plugin, debug_plugin.invoke_tool, "list_events", WINDOW, oauth_creds)

    assert isinstance(run.outcome, PluginInvokeError)
    assert [r.fields["attempt"] for r in run.named("google.retry")] == ["1", "2", "3"]
    (gave_up,) = run.named("google.gave_up")
    assert gave_up.level == "WARNING"
    assert gave_up.fields | {"elapsed": ""} == {
        "method": "calendar.events.list", "status": "503", "reason": "backendError",
        "attempt": "4", "elapsed": ""}
    (failed,) = run.named("tool.failed")
    assert failed.level == "ERROR"
    assert failed.fields["error"] == "BackendError"
    assert failed.fields["status"] == "503"
    assert {line.call for line in run.lines} == {run.session}
    assert not [line for line in run.lines if line.level == "ERROR" and line is not failed]


def test_a_404_is_the_callers_problem_not_an_error(debug_plugin, emu, oauth_creds):
    run = logged(debug_plugin, debug_plugin.invoke_tool, "get_event",
                 {"event_id": "doesnotexist42"}, oauth_creds)

    assert isinstance(run.outcome, PluginInvokeError)
    (failed_request,) = run.named("google.failed")
    assert failed_request.level == "INFO"
    assert failed_request.fields["method"] == "calendar.events.get"
    assert failed_request.fields["status"] == "404"
    assert failed_request.fields["reason"] == "notFound"
    assert failed_request.fields["attempt"] == "1"
    assert failed_request.fields["event_id"] == "doesnotexist42"
    (failed,) = run.named("tool.failed")
    assert (failed.level, failed.fields["error"]) == ("WARNING", "NotFoundError")
    assert not run.named("google.retry")


def test_invalid_input_names_the_parameter_not_its_value(debug_plugin, emu, oauth_creds):
    run = logged(debug_plugin, debug_plugin.invoke_tool, "list_events",
                 {"time_min": "the day after the party at Bob's"}, oauth_creds)

    (failed,) = run.named("tool.failed")
    assert failed.level == "WARNING"
    assert failed.fields["error"] == "InvalidInputError"
    assert failed.fields["parameter"] == "time_min"
    assert not any("party" in value for line in run.lines for value in line.fields.values())


def test_a_write_whose_answer_was_lost_is_logged_with_its_event_id(debug_plugin, emu,
                                                                   oauth_creds):
    # Stored, then answered with 500 every time: the plugin cannot know it landed.
    emu.inject_fault(Fault(method="POST", path_regex=r"/events$", status=500,
                           after_processing=True, times=None))
    run = logged(debug_plugin, debug_plugin.invoke_tool, "create_event",
                 {"summary": "Private dentist visit", "start": "2026-06-01T10:00",
                  "duration_minutes": 30}, oauth_creds)

    assert isinstance(run.outcome, PluginInvokeError)
    (unconfirmed,) = run.named("google.write_unconfirmed")
    assert unconfirmed.level == "WARNING"
    assert unconfirmed.fields["method"] == "calendar.events.insert"
    stored = emu.stored_events(ALICE)
    assert [event["id"] for event in stored] == [unconfirmed.fields["event_id"]]
    retries = run.named("google.retry")
    assert retries and {r.fields["event_id"] for r in retries} == {stored[0]["id"]}
    assert "dentist" not in json.dumps([line.fields for line in run.lines]).lower()


def test_concurrent_calls_keep_their_own_ids_and_counts(debug_plugin, emu, oauth_creds):
    emu.inject_fault(Fault(method="GET", path_regex=EVENTS_LIST, status=503, times=3,
                           delay=0.2))
    start = len(debug_plugin.logs)
    threads = [threading.Thread(target=debug_plugin.invoke_tool,
                                args=("list_events", WINDOW, oauth_creds)) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    sessions = {json.loads(f)["session_id"].replace("-", "")[:8]
                for f in debug_plugin.frames_in[-3:]}
    lines = [parse(e) for e in debug_plugin.logs[start:]]
    done = [line for line in lines if line.event == "tool.ok"]
    assert {line.call for line in done} == sessions and len(done) == 3
    assert {line.call for line in lines} == sessions
    for line in done:  # each call counted exactly its own requests
        retries = [r for r in lines if r.call == line.call and r.event == "google.retry"]
        assert int(line.fields["google_requests"]) >= len(retries) + 1
    assert sum(int(line.fields["google_requests"]) for line in done) == len(emu.requests)


def test_default_level_is_info(plugin, emu, oauth_creds):
    run = logged(plugin, plugin.invoke_tool, "get_event", {"event_id": "nothere42"}, oauth_creds)
    assert {line.level for line in run.lines} == {"INFO", "WARNING"}
    ok = logged(plugin, plugin.invoke_tool, "get_current_time", {}, oauth_creds)
    assert ok.lines == []  # tool.ok is DEBUG


def test_log_level_error_leaves_only_errors(plugin_factory, emu, oauth_creds):
    quiet = plugin_factory(env={**FAST_ENV, "LOG_LEVEL": "ERROR"})
    emu.inject_fault(Fault(method="GET", path_regex=EVENTS_LIST, status=503, times=1))
    quiet.invoke_tool("list_events", WINDOW, oauth_creds)  # one retry, then success
    with pytest.raises(PluginInvokeError):
        quiet.invoke_tool("get_event", {"event_id": "nothere42"}, oauth_creds)
    emu.inject_fault(Fault(method="GET", path_regex=EVENTS_LIST, status=503, times=None))
    with pytest.raises(PluginInvokeError):
        quiet.invoke_tool("list_events", WINDOW, oauth_creds)
    url = quiet.oauth_authorization_url(REDIRECT_URI, SYSTEM)
    assert url

    levels = [entry["level"] for entry in quiet.logs]
    assert levels == ["ERROR"], quiet.logs  # only the final failure of the last call


# --- OAuth ------------------------------------------------------------------------------

LONG_CLIENT_ID = "123456789012-abcdefghijklmnopqrstuvwx.apps.googleusercontent.com"
LONG_SYSTEM = {"client_id": LONG_CLIENT_ID, "client_secret": "GOCSPX-logging-test-secret"}


def _authorize(plugin: PluginProcess, emu: Any) -> tuple[Logged, dict[str, str], str]:
    emu.register_client(LONG_CLIENT_ID, LONG_SYSTEM["client_secret"])
    run = logged(plugin, plugin.oauth_authorization_url, REDIRECT_URI, LONG_SYSTEM)
    query = {k: v[0] for k, v in parse_qs(urlsplit(run.outcome).query).items()}
    code = emu.consent(LONG_CLIENT_ID, ALICE, redirect_uri=REDIRECT_URI, scope=query["scope"],
                       state=query["state"], code_challenge=query["code_challenge"])
    return run, query, code


def test_oauth_exchange_and_refresh_are_logged_without_secrets(debug_plugin, emu):
    issued, query, code = _authorize(debug_plugin, emu)
    (url_line,) = issued.named("oauth.authorize_url")
    assert url_line.fields == {"client": "…stuvwx"}
    assert url_line.level == "INFO"

    exchange = logged(debug_plugin, debug_plugin.oauth_get_credentials, REDIRECT_URI,
                      LONG_SYSTEM, f"?code={code}&state={query['state']}")
    (exchanged,) = exchange.named("oauth.exchange_ok")
    assert exchanged.level == "INFO"
    assert exchanged.fields["scopes"].split(",") == [s.rsplit("/", 1)[-1] for s in SCOPES]
    expires = datetime.fromtimestamp(exchange.outcome["expires_at"], UTC)
    assert exchanged.fields["expires"] == expires.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert exchange.lines[0].call != issued.lines[0].call  # one id per OAuth step

    credentials = exchange.outcome["credentials"]
    refresh = logged(debug_plugin, debug_plugin.oauth_refresh_credentials, REDIRECT_URI,
                     LONG_SYSTEM, credentials)
    (refreshed,) = refresh.named("oauth.refresh_ok")
    assert refreshed.level == "INFO"

    emu.revoke_user_tokens(ALICE)
    with pytest.raises(PluginInvokeError):  # Google refuses the remembered access token
        debug_plugin.invoke_tool("list_events", {}, refresh.outcome["credentials"])
    revoked = logged(debug_plugin, debug_plugin.oauth_refresh_credentials, REDIRECT_URI,
                     LONG_SYSTEM, credentials)
    (failed,) = revoked.named("oauth.refresh_failed")
    assert failed.level == "WARNING"
    assert failed.fields == {"error": "invalid_grant", "status": "400"}

    everything = json.dumps([issued.lines, exchange.lines, refresh.lines, revoked.lines],
                            default=vars)
    for secret in (code, query["state"].split(".")[1], credentials["access_token"],
                   credentials["refresh_token"], LONG_SYSTEM["client_secret"], LONG_CLIENT_ID):
        assert secret not in everything


def test_a_transient_token_endpoint_failure_is_retried_and_logged(debug_plugin, emu,
                                                                  oauth_creds):
    emu.inject_fault(Fault(method="POST", path_regex=r"^/token$", status=503, times=1))
    run = logged(debug_plugin, debug_plugin.oauth_refresh_credentials, REDIRECT_URI, SYSTEM,
                 oauth_creds)
    (retry,) = run.named("oauth.token_retry")
    assert retry.level == "WARNING"
    assert retry.fields["grant"] == "refresh_token"
    assert (retry.fields["status"], retry.fields["attempt"]) == ("503", "1")
    assert run.named("oauth.refresh_ok")


@pytest.mark.parametrize("tamper, reason", [
    (lambda state: "forged.state", "malformed"),
    (lambda state: state[:-2] + ("AA" if not state.endswith("AA") else "BB"), "bad_signature"),
])
def test_a_rejected_state_is_logged_with_the_reason(debug_plugin, emu, tamper, reason):
    _, query, code = _authorize(debug_plugin, emu)
    run = logged(debug_plugin, debug_plugin.oauth_get_credentials, REDIRECT_URI, LONG_SYSTEM,
                 f"?code={code}&state={tamper(query['state'])}")

    assert isinstance(run.outcome, PluginInvokeError)
    (rejected,) = run.named("oauth.state_rejected")
    assert (rejected.level, rejected.fields) == ("WARNING", {"reason": reason})
    assert not run.named("oauth.exchange_ok")
    assert not [r for r in emu.requests if r.path == "/token"]  # the code was never sent
