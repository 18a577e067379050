"""gcal.logs: method ids, the per-call id under gevent, redaction, set-up, failure levels."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from types import SimpleNamespace

import pytest

from gcal import logs
from gcal.errors import (
    BackendError,
    InvalidInputError,
    NotFoundError,
    OAuthError,
    RateLimitError,
    ReauthorizationRequiredError,
    TransportError,
)
from tests.emulator import discovery
from tests.reliability import leaks_in_process_output


def _sample_path(template: list[str]) -> str:
    return "/" + "/".join("a%40b.c" if part.startswith("{") else part for part in template)


def test_every_mapped_method_id_is_googles_own():
    for verb, template, method_id in logs.METHOD_TEMPLATES:
        path = template.replace("{}", "x%23y")
        routed = discovery.route(verb, discovery.SERVICE_PREFIX.rstrip("/") + path)
        assert routed is not None, (verb, path)
        assert routed[0].id == method_id


def test_no_discovery_method_is_given_another_ones_id():
    for method in discovery.methods():
        named = logs.method_id(method.http_method, _sample_path(method.template))
        assert named in (method.id, f"calendar.{method.http_method}"), method.id


def test_method_ids_of_the_calls_the_plugin_makes():
    assert logs.method_id("get", "/calendars/a%40b/events?x=1") == "calendar.events.list"
    assert logs.method_id("POST", "/calendars/a/events/quickAdd") == "calendar.events.quickAdd"
    assert logs.method_id("POST", "/calendars/a/events/e1/move") == "calendar.events.move"
    assert logs.method_id("DELETE", "/calendars/a/events/e1") == "calendar.events.delete"
    assert logs.event_id_in("/calendars/a%40b/events/e1_R2026") == "e1_R2026"
    assert logs.event_id_in("/calendars/a/events/quickAdd") is None
    assert logs.event_id_in("/users/me/calendarList") is None


def test_client_hint_keeps_only_a_suffix():
    assert logs.client_hint("1234-abcdefgh.apps.googleusercontent.com") == "…cdefgh"
    assert logs.client_hint("short") == "short"


def test_the_call_id_is_the_session_prefix_or_a_fresh_one():
    assert logs.new_call_id("3f2a9c1d-77aa-4bb0-9c1e-0a1b2c3d4e5f") == "3f2a9c1d"
    fresh = {logs.new_call_id(None) for _ in range(20)}
    assert len(fresh) == 20 and all(len(i) == 8 for i in fresh)


def test_call_ids_stay_apart_in_concurrent_greenlets():
    gevent = pytest.importorskip("gevent")
    seen: dict[str, list[str | None]] = {}

    def call(session: str) -> None:
        with logs.call_scope(session) as stats:
            for _ in range(3):
                gevent.sleep(0.001)  # let the other greenlets run in between
                logs.count_google_request()
                current = logs.current_call()
                seen.setdefault(session, []).append(current.call_id if current else None)
            assert stats.google_requests == 3

    sessions = [f"{n:08d}-session" for n in range(5)]
    gevent.joinall([gevent.spawn(call, s) for s in sessions], raise_error=True)
    assert seen == {s: [s[:8]] * 3 for s in sessions}
    assert logs.current_call() is None


def test_nested_scopes_keep_the_outer_id():
    with logs.call_scope("aaaaaaaa") as outer, logs.call_scope("bbbbbbbb") as inner:
        assert inner is outer
    assert logs.current_call() is None


@pytest.mark.parametrize("text", [
    "Authorization: Bearer ya29.a0AfB_secret",
    "refresh_token=1//0abcdef&client_id=x",
    '{"access_token": "ya29.abc", "code_verifier": "v3r1f13r"}',
    "client_secret=GOCSPX-abc123 state=djEuMTIz.c2ln",
    "raw 1//0gHsecret and GOCSPX-xyz and ya29.token",
])
def test_redact_masks_token_shapes(text):
    masked = logs.redact(text)
    for secret in ("ya29.a0AfB_secret", "1//0abcdef", "ya29.abc", "v3r1f13r", "GOCSPX-abc123",
                   "djEuMTIz.c2ln", "1//0gHsecret", "GOCSPX-xyz", "ya29.token"):
        assert secret not in masked
    assert "<redacted>" in masked


OPAQUE = "Zq8tWm3rXo2Lk9Vb"  # no Google shape: only the key name can give it away


@pytest.mark.parametrize("key", ["access_token", "refresh_token", "client_secret", "id_token",
                                 "code", "code_verifier", "state", "token"])
@pytest.mark.parametrize("form", [
    '{{"{key}": "{value}", "expires_in": 3599}}',  # JSON, as Google's token endpoint answers
    "{{'{key}': '{value}'}}",  # a Python dict's repr
    "POST /token?grant_type=x&{key}={value}&client_id=c",  # a query string
    "form {key}={value} next=1",  # key=value
    "{key}: {value}",  # a header-like line
    "{KEY}={value}",  # any case
])
def test_redact_masks_opaque_values_by_their_key(key, form):
    text = form.format(key=key, KEY=key.upper(), value=OPAQUE)
    masked = logs.redact(text)
    assert OPAQUE not in masked, masked
    assert "<redacted>" in masked


def test_redact_leaves_plugin_lines_alone():
    line = ("google.retry method=calendar.events.list status=503 reason=backendError "
            "attempt=1 wait=0.420s grant=refresh_token error=invalid_grant")
    assert logs.redact(line) == line


@pytest.fixture
def handler() -> Iterator[logging.StreamHandler]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
    saved = {n: (logging.getLogger(n).level, logging.getLogger(n).propagate)
             for n in logs.LOGGER_NAMES}
    yield handler
    for name, (level, propagate) in saved.items():
        logger = logging.getLogger(name)
        logger.removeHandler(handler)
        logger.setLevel(level)
        logger.propagate = propagate


def test_configure_routes_plugin_loggers_at_the_level(handler):
    assert logs.configure(handler, "warning") == logging.WARNING
    assert logs.configure(handler, "WARNING") == logging.WARNING  # idempotent
    with logs.call_scope("0123456789"):
        logging.getLogger("gcal.google.transport").info("hidden")
        logging.getLogger("tools.list_events").warning("shown token=abc")
    assert handler.stream.getvalue() == "WARNING [01234567] shown token=<redacted>\n"
    assert logging.getLogger("gcal").handlers.count(handler) == 1
    assert len(handler.filters) == 1
    record = logging.LogRecord("gcal", logging.ERROR, __file__, 1, "twice %s", ("here",), None)
    with logs.call_scope("abcdef12"):
        handler.filters[0].filter(record)
        handler.filters[0].filter(record)
    assert record.getMessage() == "[abcdef12] twice here"


def test_an_unknown_level_falls_back_to_info_and_says_so(handler):
    assert logs.configure(handler, "LOUD") == logging.INFO
    assert "logging.config problem=unknown LOG_LEVEL" in handler.stream.getvalue()
    assert logs.parse_level(None) == (logging.INFO, True)
    assert logs.parse_level(" debug ") == (logging.DEBUG, True)


@pytest.mark.parametrize("error, level", [
    (InvalidInputError("start", "bad"), logging.WARNING),
    (NotFoundError(status=404, reason="notFound"), logging.WARNING),
    (ReauthorizationRequiredError(error="invalid_grant", status=400), logging.WARNING),
    (BackendError(status=503, reason="backendError"), logging.ERROR),
    (RateLimitError(status=429, reason="rateLimitExceeded"), logging.ERROR),
    (TransportError(), logging.ERROR),
    (OAuthError(error="network"), logging.ERROR),
    (KeyError("summary"), logging.ERROR),
])
def test_failures_are_warnings_for_the_caller_and_errors_for_google(error, level):
    assert logs._failure(error)[0] == level


def test_the_tool_scope_logs_the_outcome_and_reraises(handler):
    logs.configure(handler, "DEBUG")
    with pytest.raises(InvalidInputError), logs.tool_call("create_event", "cafebabe-1"):
        raise InvalidInputError("attendees", "bob@example.com is not an address")
    with logs.tool_call("list_events", None):
        logs.count_google_request()
    lines = handler.stream.getvalue().splitlines()
    assert lines[0].startswith("WARNING [cafebabe] tool.failed tool=create_event "
                               "error=InvalidInputError parameter=attendees google_requests=0")
    assert "bob@example.com" not in lines[0]
    assert " tool.ok tool=list_events google_requests=1 duration_ms=" in lines[1]


def test_the_session_scan_finds_a_planted_secret_and_ignores_short_values():
    secret = "1//0" + "s" * 40
    clean = SimpleNamespace(pid=1, output_text="all fine", logs=[{"message": "ok"}])
    leaky = SimpleNamespace(pid=2, output_text="", logs=[{"message": f"oops {secret}"}])
    assert leaks_in_process_output([clean, leaky], {secret, "ok", ""}) == {2: [secret]}
    assert leaks_in_process_output([clean], {secret}) == {}


def test_the_emulator_remembers_secrets_across_resets(server):
    server.reset()
    server.add_user("a@example.com")
    server.register_client("c", "client-secret-1")
    token = server.issue_token("a@example.com")
    server.state.remember_secrets("pkce-verifier-1", None)
    server.reset()
    assert {"client-secret-1", token, "pkce-verifier-1"} <= server.state.known_secrets()
    json.dumps(sorted(server.state.known_secrets()))  # plain strings only


# --- what the transport logs (fake Google, no network) -----------------------------------


def _lines(caplog) -> list[tuple[str, str]]:
    return [(r.levelname, r.getMessage()) for r in caplog.records
            if r.name == "gcal.google.transport"]


def test_transport_logs_a_reminted_token_and_a_retry(caplog, monkeypatch):
    from tests.unit.google.test_transport import FakeSource, google_error, make

    monkeypatch.delenv("GOOGLE_CALENDAR_EMULATOR_HOST", raising=False)
    caplog.set_level(logging.DEBUG, logger="gcal")
    source = FakeSource("old-token-123456", "new-token-123456")
    transport, _, clock = make((401, google_error(401, "authError")),
                               (503, google_error(503, "backendError")), (200, {"items": []}),
                               token=source)
    with logs.call_scope() as stats:
        transport.get("/users/me/calendarList")
    assert stats.google_requests == 3
    (renewed, retry) = _lines(caplog)
    assert renewed == ("INFO", "google.token_renewed status=401 "
                               "method=calendar.calendarList.list attempt=1")
    assert retry[0] == "WARNING"
    assert retry[1].startswith("google.retry method=calendar.calendarList.list status=503 "
                               "reason=backendError attempt=1 wait=")
    assert f"wait={clock.sleeps[0]:.3f}s" in retry[1]
    assert "token-123456" not in caplog.text


def test_transport_flags_a_write_that_may_have_landed(caplog, monkeypatch):
    from tests.unit.google.test_transport import google_error, make

    monkeypatch.delenv("GOOGLE_CALENDAR_EMULATOR_HOST", raising=False)
    caplog.set_level(logging.DEBUG, logger="gcal")
    transport, _, _ = make((502, google_error(502, "backendError")))
    with pytest.raises(BackendError):
        transport.post("/calendars/primary/events/quickAdd", params={"text": "Lunch with Bob"})
    ((level, message),) = _lines(caplog)
    assert level == "WARNING"
    assert message.startswith("google.write_unconfirmed method=calendar.events.quickAdd "
                              "status=502 reason=backendError attempt=1 elapsed=")
    assert "Bob" not in caplog.text
