"""Faults injected into the Google emulator, seen end to end through the Dify protocol.

Reads recover within the retry budget or end in one clear error; writes whose answer was
lost are not applied twice; token problems give actionable messages. The plugin process of
this module runs with ``GCAL_RETRY_BASE_DELAY=0.05`` and ``GCAL_READ_TIMEOUT=1`` (see
gcal/google/transport.py) so backoff and timeouts take milliseconds, not seconds.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ALICE, REDIRECT_URI, TEST_CLIENT_ID, TEST_CLIENT_SECRET
from tests.emulator import Fault
from tests.plugin_process import PluginInvokeError, PluginProcess, ToolResult
from tests.reliability import clear_error_problem, record, record_fault, recorded

FAST_ENV = {"GCAL_RETRY_BASE_DELAY": "0.05", "GCAL_READ_TIMEOUT": "1"}
MAX_ATTEMPTS = 4  # RetryPolicy.max_attempts
TOKEN_ATTEMPTS = 3  # gcal.google.oauth: two transient retries
WINDOW = {"time_min": "2026-06-01", "time_max": "2026-06-02"}
SYSTEM = {"client_id": TEST_CLIENT_ID, "client_secret": TEST_CLIENT_SECRET}
CALENDAR_GETS = r"^/calendar/v3/"
EVENTS = r"/calendars/[^/]+/events$"


@pytest.fixture(scope="module")
def fast_plugin(emulator: Any) -> Iterator[PluginProcess]:
    with PluginProcess(emulator_host=emulator.host, env=FAST_ENV) as process:
        yield process


@pytest.fixture(autouse=True)
def _count_injected_faults(emu: Any) -> Iterator[None]:
    yield
    record("fault_injected", sum(1 for r in emu.requests if r.fault is not None))


@pytest.fixture
def meeting(emu: Any) -> dict:
    return emu.add_event(ALICE, {
        "summary": "Standup",
        "start": {"dateTime": "2026-06-01T09:00:00+02:00"},
        "end": {"dateTime": "2026-06-01T09:15:00+02:00"},
    })


# Google's answers that are fault classes of their own when a call meets them.
_STATUS_CLASSES = {409: "409", 410: "410", 412: "412"}


def call(plugin: PluginProcess, emu: Any, tool: str, params: dict, creds: dict,
         *, faults: tuple[str, ...] = (), **kwargs: Any) -> ToolResult | PluginInvokeError:
    """Invoke a tool; a failure must be one clear error. Counts recoveries and errors, and
    records the outcome for each fault class the call met (``faults``, plus 409/410/412
    answers seen on the way)."""
    before = len(emu.requests)
    try:
        outcome: ToolResult | PluginInvokeError = plugin.invoke_tool(tool, params, creds,
                                                                     **kwargs)
    except PluginInvokeError as error:
        problem = clear_error_problem(error.error_type, error.message)
        assert problem is None, problem
        record("clear_error")
        outcome = error
    met = emu.requests[before:]
    if isinstance(outcome, ToolResult) and any(r.fault is not None for r in met):
        record("recovered")
    seen = [_STATUS_CLASSES[r.status] for r in met if r.status in _STATUS_CLASSES]
    for fault_class in dict.fromkeys([*faults, *seen]):
        record_fault(fault_class, _outcome_text(outcome))
    return outcome


def _outcome_text(outcome: ToolResult | PluginInvokeError) -> str:
    if isinstance(outcome, PluginInvokeError):
        return f"one clear error ({outcome.error_type})"
    action = outcome.variables.get("action")
    if not action and outcome.variables.get("imported"):
        action = f"{len(outcome.variables['imported'])} imported"
    return f"recovered ({action})" if action else "recovered"


def hits(emu: Any, method: str, path_regex: str) -> list:
    rx = re.compile(path_regex)
    return [r for r in emu.requests if r.method == method and rx.search(r.raw_path)]


# --- reads recover --------------------------------------------------------------------

RECOVERABLE = {  # name: (fault class, fault)
    "429 with Retry-After": ("429", dict(status=429, reason="rateLimitExceeded", retry_after=1)),
    "429 without Retry-After": ("429", dict(status=429, reason="rateLimitExceeded", times=2)),
    "403 rateLimitExceeded with Retry-After": ("403 rate limit", dict(
        status=403, reason="rateLimitExceeded", retry_after="1")),
    "403 userRateLimitExceeded": ("403 rate limit", dict(
        status=403, reason="userRateLimitExceeded", times=2)),
    "500 backendError": ("5xx", dict(status=500, reason="backendError", times=2)),
    "502 backendError": ("5xx", dict(status=502, reason="backendError")),
    "503 backendError with Retry-After": ("503 with Retry-After", dict(
        status=503, reason="backendError", retry_after=1)),
    "connection reset": ("connection reset", dict(status=None, drop_connection=True, times=2)),
    "read timeout": ("timeout", dict(status=None, delay=1.6)),
    "malformed JSON body": ("malformed body", dict(
        status=200, raw_body='{"items": [{"id": ',
        content_type="application/json; charset=UTF-8")),
    "HTML error page from a proxy": ("malformed body", dict(
        status=502, raw_body="<html><body><h1>502 Bad Gateway</h1>nginx</body></html>")),
    "HTML page with 200 (captive portal)": ("malformed body", dict(
        status=200, raw_body="<!DOCTYPE html><title>Sign in to Wi-Fi</title>")),
}


@pytest.mark.parametrize(("fault_class", "fault"), RECOVERABLE.values(),
                         ids=RECOVERABLE.keys())
def test_read_recovers_from(fault_class, fault, fast_plugin, emu, oauth_creds, meeting):
    injected = emu.inject_fault(Fault(method="GET", path_regex=EVENTS, **fault))
    result = call(fast_plugin, emu, "list_events", WINDOW, oauth_creds, faults=(fault_class,))
    assert isinstance(result, ToolResult), result
    assert [e["summary"] for e in result.variables["events"]] == ["Standup"]
    assert injected.hits == fault.get("times", 1)
    assert len(hits(emu, "GET", EVENTS)) == injected.hits + 1


def test_first_call_of_a_user_recovers_too(fast_plugin, emu, oauth_creds):
    """The primary-calendar zone lookup, the first request of every new account, retries."""
    emu.inject_fault(Fault(method="GET", path_regex=CALENDAR_GETS, status=503, times=2))
    result = call(fast_plugin, emu, "get_current_time", {}, oauth_creds, faults=("5xx",))
    assert result.variables["time_zone"] == "Europe/Berlin"


EXHAUSTING = {  # name: (fault class, fault, error type, words in the message)
    "503 forever": ("5xx", dict(status=503, reason="backendError"), "BackendError",
                    "temporary"),
    "429 forever": ("429", dict(status=429, reason="rateLimitExceeded", retry_after=1),
                    "RateLimitError", "rate limit"),
    "403 userRateLimitExceeded forever": ("403 rate limit", dict(
        status=403, reason="userRateLimitExceeded"), "RateLimitError", "rate limit"),
    "connection reset forever": ("connection reset", dict(status=None, drop_connection=True),
                                 "TransportError", "network"),
    "HTML proxy page forever": ("malformed body", dict(
        status=502, raw_body="<html>gateway</html>"), "TransportError", "proxy"),
    "malformed JSON forever": ("malformed body", dict(
        status=200, raw_body="{", content_type="application/json"), "TransportError",
        "malformed"),
}


@pytest.mark.parametrize(("fault_class", "fault", "error_type", "words"), EXHAUSTING.values(),
                         ids=EXHAUSTING.keys())
def test_after_the_retry_budget_one_clear_error(fault_class, fault, error_type, words,
                                                fast_plugin, emu, oauth_creds):
    emu.inject_fault(Fault(method="GET", path_regex=EVENTS, times=None, **fault))
    error = call(fast_plugin, emu, "list_events", WINDOW, oauth_creds, faults=(fault_class,))
    assert isinstance(error, PluginInvokeError)
    assert error.error_type == error_type
    assert words in error.message.lower()
    assert len(hits(emu, "GET", EVENTS)) == MAX_ATTEMPTS


def test_retry_after_beyond_the_budget_fails_fast_and_says_when(fast_plugin, emu, oauth_creds):
    emu.inject_fault(Fault(method="GET", path_regex=EVENTS, status=429,
                           reason="rateLimitExceeded", retry_after=120, times=None))
    started = time.monotonic()
    error = call(fast_plugin, emu, "list_events", WINDOW, oauth_creds, faults=("429",))
    assert time.monotonic() - started < 5
    assert error.error_type == "RateLimitError"
    assert "120 seconds" in error.message
    assert len(hits(emu, "GET", EVENTS)) == 1


def test_503_retry_after_beyond_the_budget_fails_fast_and_says_when(fast_plugin, emu,
                                                                   oauth_creds):
    """Google's 503 may carry Retry-After (RFC 9110 §10.2.3); it is honoured like a 429's."""
    emu.inject_fault(Fault(method="GET", path_regex=EVENTS, status=503, reason="backendError",
                           retry_after=90, times=None))
    error = call(fast_plugin, emu, "list_events", WINDOW, oauth_creds,
                 faults=("503 with Retry-After",))
    assert error.error_type == "BackendError"
    assert "90 seconds" in error.message
    assert len(hits(emu, "GET", EVENTS)) == 1


def test_quota_exceeded_is_not_retried_hot(fast_plugin, emu, oauth_creds):
    emu.inject_fault(Fault(method="GET", path_regex=EVENTS, status=403, reason="quotaExceeded",
                           message="Calendar usage limits exceeded.", times=None))
    error = call(fast_plugin, emu, "list_events", WINDOW, oauth_creds, faults=("403 quota",))
    assert error.error_type == "QuotaExceededError"
    assert "usage limits exceeded" in error.message.lower()
    assert len(hits(emu, "GET", EVENTS)) == 1


# --- several calendars: one fails, the others still answer -----------------------------


@pytest.mark.parametrize(("status", "reason"), [(403, "forbidden"), (404, "notFound"),
                                                (503, "backendError")])
def test_one_failing_calendar_gives_a_warning_not_a_failure(status, reason, fast_plugin, emu,
                                                            oauth_creds, meeting):
    team = emu.add_calendar(ALICE, "Team", time_zone="Europe/Berlin")
    emu.add_event(team, {"summary": "Team sync",
                         "start": {"dateTime": "2026-06-01T11:00:00+02:00"},
                         "end": {"dateTime": "2026-06-01T11:30:00+02:00"}})
    emu.inject_fault(Fault(method="GET", path_regex=r"/calendars/[^/]*group[^/]*/events$",
                           status=status, reason=reason, times=None))
    with recorded() as figures:
        result = call(fast_plugin, emu, "list_events",
                      {**WINDOW, "calendar_ids": f"primary,{team}"}, oauth_creds,
                      faults=("partial multi-calendar failure",))
    assert [entry["kind"] for entry in figures].count("recovered") == 1  # counted once
    assert isinstance(result, ToolResult), result
    assert [e["summary"] for e in result.variables["events"]] == ["Standup"]
    assert team in result.variables["warnings"][0]
    assert "Warning:" in result.text  # call() counted the recovery: once


# --- token lifecycle ------------------------------------------------------------------


def test_expired_oauth_access_token_asks_to_reauthorize(fast_plugin, emu, oauth_creds):
    emu.expire_access_token(oauth_creds["access_token"])
    error = call(fast_plugin, emu, "list_events", WINDOW, oauth_creds, faults=("401",))
    assert error.error_type == "AuthenticationError"
    assert "re-authorize" in error.message.lower()
    assert [r.status for r in emu.requests] == [401]  # no hot retry with a dead token


def _minted_for(emu: Any, refresh_token: str) -> list[str]:
    with emu.state.lock:
        return [t.token for t in emu.state.access_tokens.values()
                if t.refresh_token == refresh_token]


def test_manual_credential_remints_an_expired_token_transparently(fast_plugin, emu,
                                                                  manual_creds, meeting):
    kind = {"credential_type": "api-key"}
    assert isinstance(call(fast_plugin, emu, "list_events", WINDOW, manual_creds, **kind),
                      ToolResult)
    [first] = _minted_for(emu, manual_creds["refresh_token"])
    emu.expire_access_token(first)
    emu.clear_requests()
    result = call(fast_plugin, emu, "list_events", WINDOW, manual_creds, faults=("401",), **kind)
    assert isinstance(result, ToolResult), result
    assert [e["summary"] for e in result.variables["events"]] == ["Standup"]
    assert [(r.path, r.status) for r in emu.requests][:3] == [
        (f"/calendar/v3/calendars/{ALICE}/events", 401), ("/token", 200),
        (f"/calendar/v3/calendars/{ALICE}/events", 200)]
    assert len(_minted_for(emu, manual_creds["refresh_token"])) == 2
    record("recovered")


def test_revoked_refresh_token_says_invalid_grant(fast_plugin, emu, manual_creds):
    emu.revoke_user_tokens(ALICE)
    error = call(fast_plugin, emu, "list_events", WINDOW, manual_creds,
                 credential_type="api-key", faults=("invalid_grant",))
    assert error.error_type == "ReauthorizationRequiredError"
    assert "invalid_grant" in error.message and "Re-authorize" in error.message
    assert len(hits(emu, "POST", r"^/token$")) == 1  # invalid_grant is final


def test_dify_refresh_with_revoked_token_says_invalid_grant(fast_plugin, emu, oauth_creds):
    emu.revoke_user_tokens(ALICE)
    # The refresh keeps the tools visible (tests/dify_host/test_connection.py); the next call
    # carries the error.
    stale = fast_plugin.oauth_refresh_credentials(REDIRECT_URI, SYSTEM, oauth_creds)
    with pytest.raises(PluginInvokeError) as error:
        fast_plugin.invoke_tool("get_current_time", {}, stale["credentials"])
    assert clear_error_problem(error.value.error_type, error.value.message) is None
    assert error.value.error_type == "ReauthorizationRequiredError"
    assert "invalid_grant" in error.value.message and "7 days" in error.value.message
    record("clear_error")
    record_fault("invalid_grant", f"one clear error ({error.value.error_type})")


@pytest.mark.parametrize("status", [500, 503])
def test_token_endpoint_5xx_is_retried_a_bounded_number_of_times(status, fast_plugin, emu,
                                                                 manual_creds, oauth_creds):
    emu.inject_fault(Fault(method="POST", path_regex=r"^/token$", status=status,
                           reason="internal_failure", times=2))
    result = call(fast_plugin, emu, "get_current_time", {}, manual_creds,
                  credential_type="api-key", faults=("5xx",))
    assert isinstance(result, ToolResult), result
    assert len(hits(emu, "POST", r"^/token$")) == 3

    emu.clear_requests()
    emu.inject_fault(Fault(method="POST", path_regex=r"^/token$", status=status,
                           reason="internal_failure", times=1))
    refreshed = fast_plugin.oauth_refresh_credentials(REDIRECT_URI, SYSTEM, oauth_creds)
    assert refreshed["credentials"]["refresh_token"] == oauth_creds["refresh_token"]
    record("recovered")

    emu.clear_requests()
    emu.inject_fault(Fault(method="POST", path_regex=r"^/token$", status=status,
                           reason="internal_failure", times=None))
    # Another grant: the one just refreshed is answered from memory (refresh_memo).
    other_grant = {**oauth_creds, "refresh_token": emu.issue_refresh_token(ALICE, TEST_CLIENT_ID)}
    with pytest.raises(PluginInvokeError) as error:
        fast_plugin.oauth_refresh_credentials(REDIRECT_URI, SYSTEM, other_grant)
    assert "temporarily unavailable" in error.value.message
    assert clear_error_problem(error.value.error_type, error.value.message) is None
    assert len(hits(emu, "POST", r"^/token$")) == TOKEN_ATTEMPTS
    record("clear_error")


# --- writes: a lost answer never doubles the change ------------------------------------


def _require_tool(plugin: PluginProcess, name: str) -> None:
    """A tool dropped from the provider must fail its fault tests, not skip them."""
    provider = (Path(plugin.cwd) / "provider" / "google_calendar.yaml").read_text()
    assert f"tools/{name}.yaml" in provider, f"tool {name} is not in the provider YAML"


def _with_summary(emu: Any, summary: str) -> list[dict]:
    return [e for e in emu.stored_events(ALICE) if e.get("summary") == summary]


LOST_ANSWERS = {
    "dropped connection": dict(status=None, drop_connection=True),
    "read timeout": dict(status=None, delay=1.6),
    "503 after storing": dict(status=503, reason="backendError"),
}


@pytest.mark.parametrize("fault", LOST_ANSWERS.values(), ids=LOST_ANSWERS.keys())
def test_create_with_lost_answer_makes_no_duplicate(fault, fast_plugin, emu, oauth_creds):
    _require_tool(fast_plugin, "create_event")
    emu.inject_fault(Fault(method="POST", path_regex=EVENTS, after_processing=True, **fault))
    outcome = call(fast_plugin, emu, "create_event", {
        "summary": "Budget review", "start": "2026-06-02T10:00", "end": "2026-06-02T11:00",
    }, oauth_creds, faults=("lost create answer",))
    stored = _with_summary(emu, "Budget review")
    record("duplicate", len(stored) - 1)
    assert len(stored) == 1, "the lost answer created a duplicate"
    if isinstance(outcome, ToolResult):
        assert stored[0]["id"] in outcome.text


def test_create_retried_with_same_idempotency_key_makes_no_duplicate(fast_plugin, emu,
                                                                      oauth_creds):
    _require_tool(fast_plugin, "create_event")
    params = {"summary": "Offsite", "start": "2026-06-03T10:00", "duration_minutes": 30,
              "idempotency_key": "agent-run-42"}
    emu.inject_fault(Fault(method="POST", path_regex=EVENTS, after_processing=True,
                           status=None, drop_connection=True, times=MAX_ATTEMPTS))
    lost = ("lost create answer",)
    call(fast_plugin, emu, "create_event", params, oauth_creds, faults=lost)  # fails or recovers
    again = call(fast_plugin, emu, "create_event", params, oauth_creds)  # the agent retries
    stored = _with_summary(emu, "Offsite")
    record("duplicate", len(stored) - 1)
    assert len(stored) == 1
    assert isinstance(again, ToolResult), again


def test_update_retried_after_timeout_is_applied_once(fast_plugin, emu, oauth_creds, meeting):
    _require_tool(fast_plugin, "update_event")
    for method in ("PATCH", "PUT"):  # whichever the tool uses
        emu.inject_fault(Fault(method=method, path_regex=rf"/events/{meeting['id']}$",
                               after_processing=True, status=None, delay=1.6))
    result = call(fast_plugin, emu, "update_event", {
        "event_id": meeting["id"], "add_attendees": "bob@example.com",
        "description": "Agenda: numbers",
    }, oauth_creds, faults=("lost patch answer",))
    # The resend meets 412 (our own first PATCH moved the etag): recognised as our change.
    assert isinstance(result, ToolResult), result
    assert result.variables["action"] == "updated"
    stored = emu.get_stored_event(ALICE, meeting["id"])
    writes = [r for r in emu.requests if r.method in ("PATCH", "PUT") and r.status != 412]
    emails = [a["email"] for a in stored.get("attendees", [])]
    record("duplicate", max(0, emails.count("bob@example.com") - 1))
    assert emails.count("bob@example.com") == 1
    assert stored.get("description") == "Agenda: numbers"
    assert len(writes) <= 2


def test_delete_retried_after_success_reports_success(fast_plugin, emu, oauth_creds, meeting):
    _require_tool(fast_plugin, "delete_event")
    emu.inject_fault(Fault(method="DELETE", path_regex=rf"/events/{meeting['id']}$",
                           after_processing=True, status=None, drop_connection=True))
    result = call(fast_plugin, emu, "delete_event", {"event_id": meeting["id"]}, oauth_creds,
                  faults=("lost delete answer",))
    assert isinstance(result, ToolResult), result
    stored = emu.get_stored_event(ALICE, meeting["id"])
    assert stored is None or stored.get("status") == "cancelled"
    assert len(hits(emu, "DELETE", rf"/events/{meeting['id']}$")) == 2


_TERM = ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//t//EN\r\n" + "".join(
    f"BEGIN:VEVENT\r\nUID:lost-{n}@school.example\r\nDTSTAMP:20260101T000000Z\r\n"
    f"DTSTART;VALUE=DATE:2026060{n + 1}\r\nSUMMARY:Lesson {n}\r\nEND:VEVENT\r\n"
    for n in range(3)) + "END:VCALENDAR\r\n").encode()
LOST_IMPORT_ANSWERS = {
    "whole batch": dict(path_regex=r"^/batch/calendar/v3$", status=None, drop_connection=True),
    "one call of the batch": dict(path_regex=r"/events/import$", status=500),
}


@pytest.mark.parametrize("fault", LOST_IMPORT_ANSWERS.values(), ids=LOST_IMPORT_ANSWERS.keys())
def test_import_with_lost_answer_imports_each_event_once(fault, fast_plugin, emu, oauth_creds):
    from tests.dify_files import FileServer

    _require_tool(fast_plugin, "import_events_ics")
    emu.inject_fault(Fault(method="POST", after_processing=True, **fault))
    with FileServer() as files:
        outcome = call(fast_plugin, emu, "import_events_ics",
                       {"file": files.parameter("term.ics", _TERM)}, oauth_creds,
                       faults=("lost import answer",))
    stored = [e for e in emu.stored_events(ALICE) if e["summary"].startswith("Lesson")]
    record("duplicate", len(stored) - 3)
    assert len(stored) == 3
    assert isinstance(outcome, ToolResult), outcome
    assert len(outcome.variables["imported"]) == 3, outcome.text
