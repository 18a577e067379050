import http.server
import json
import threading
from urllib.parse import urlsplit

import pytest
import requests
from requests.adapters import BaseAdapter
from requests.structures import CaseInsensitiveDict
from urllib3.exceptions import MaxRetryError, NewConnectionError

from gcal import errors
from gcal.google import _endpoints
from gcal.google.transport import (
    READ_TIMEOUT,
    USER_AGENT,
    CalendarTransport,
    RetryPolicy,
    TokenSource,
    calendar_path,
    default_timeout,
    shared_session,
)

SECRET = "ya29.SECRET-ACCESS-TOKEN"


class FakeGoogle(BaseAdapter):
    """Answers requests from a script: (status, body, headers) tuples or exceptions."""

    def __init__(self, *replies):
        super().__init__()
        self.replies = list(replies)
        self.requests: list[requests.PreparedRequest] = []
        self.timeouts = []

    def send(self, request, stream=False, timeout=None, **kwargs):
        self.requests.append(request)
        self.timeouts.append(timeout)
        reply = self.replies.pop(0)
        if isinstance(reply, Exception):
            raise reply
        status, body, *rest = reply
        response = requests.Response()
        response.status_code = status
        response._content = body if isinstance(body, bytes) else json.dumps(body).encode()
        response.headers = CaseInsensitiveDict(rest[0] if rest else {})
        response.request = request
        response.url = request.url
        return response

    def close(self):
        pass


def google_error(code, reason, message="error"):
    return {"error": {"code": code, "message": message, "errors": [{"reason": reason}]}}


class Clock:
    def __init__(self):
        self.now = 1000.0
        self.sleeps = []

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture(autouse=True)
def production(monkeypatch):
    monkeypatch.delenv(_endpoints.EMULATOR_HOST_ENV, raising=False)


DEFAULT_RETRY = RetryPolicy()


def make(*replies, token=SECRET, retry=DEFAULT_RETRY, **kwargs):
    google = FakeGoogle(*replies)
    session = requests.Session()
    session.mount("https://", google)
    session.mount("http://", google)
    clock = Clock()
    transport = CalendarTransport(
        token, session=session, retry=retry, sleep=clock.sleep, clock=clock, **kwargs
    )
    return transport, google, clock


# --- endpoints ------------------------------------------------------------------------


def assert_endpoints(endpoints, *, accounts: str, oauth2: str, api: str) -> None:
    """Every endpoint sits at its path below the given scheme://host bases."""
    assert endpoints.auth_url == f"{accounts}/o/oauth2/v2/auth"
    assert endpoints.token_url == f"{oauth2}/token"
    assert endpoints.calendar_base == f"{api}/calendar/v3"
    assert endpoints.batch_url == f"{api}/batch/calendar/v3"


def test_production_endpoints():
    assert_endpoints(
        _endpoints.google_endpoints(),
        accounts="https://accounts.google.com",
        oauth2="https://oauth2.googleapis.com",
        api="https://www.googleapis.com",
    )


def test_emulator_switch_is_read_at_call_time(monkeypatch):
    monkeypatch.setenv(_endpoints.EMULATOR_HOST_ENV, "localhost:8085")
    emulator = "http://localhost:8085"
    endpoints = _endpoints.google_endpoints()
    assert_endpoints(endpoints, accounts=emulator, oauth2=emulator, api=emulator)
    monkeypatch.setenv(_endpoints.EMULATOR_HOST_ENV, "")
    assert _endpoints.google_endpoints().token_url == "https://oauth2.googleapis.com/token"


@pytest.mark.parametrize("host", ["127.0.0.1:9000", "[::1]:8085", "emulator", "fake-google:80"])
def test_emulator_host_accepts_plain_hosts(monkeypatch, host):
    monkeypatch.setenv(_endpoints.EMULATOR_HOST_ENV, host)
    assert _endpoints.google_endpoints().calendar_base == f"http://{host}/calendar/v3"


@pytest.mark.parametrize(
    "host", ["http://localhost:8085", "localhost:8085/x", "localhost:0", "localhost:99999",
             "user@host:1", "local host:1", "localhost:80?x"],
)
def test_emulator_host_rejects_urls(monkeypatch, host):
    monkeypatch.setenv(_endpoints.EMULATOR_HOST_ENV, host)
    with pytest.raises(ValueError, match="host:port"):
        _endpoints.google_endpoints()


def test_transport_follows_the_emulator_switch(monkeypatch):
    transport, google, _ = make((200, {"ok": 1}), (200, {"ok": 2}))
    transport.get("/colors")
    monkeypatch.setenv(_endpoints.EMULATOR_HOST_ENV, "127.0.0.1:8085")
    transport.get("/colors")
    assert google.requests[0].url == "https://www.googleapis.com/calendar/v3/colors"
    assert google.requests[1].url == "http://127.0.0.1:8085/calendar/v3/colors"


# --- calendar_path --------------------------------------------------------------------


def test_calendar_path_encodes_every_segment():
    path = calendar_path("calendars", "en.usa#holiday@group.v.calendar.google.com", "events")
    assert path == "/calendars/en.usa%23holiday%40group.v.calendar.google.com/events"
    assert calendar_path("calendars", "a/b?c=d", "events", "x y") == (
        "/calendars/a%2Fb%3Fc%3Dd/events/x%20y"
    )
    assert calendar_path("calendars", "%2F") == "/calendars/%252F"


@pytest.mark.parametrize("segment", ["", "  ", ".", ".."])
def test_calendar_path_rejects_empty_and_dot_segments(segment):
    with pytest.raises(errors.InvalidInputError):
        calendar_path("calendars", segment, "events")


def test_tricky_ids_reach_the_server_unchanged(monkeypatch):
    seen = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            seen.append((self.path, dict(self.headers)))
            body = b'{"kind": "calendar#events"}'
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        monkeypatch.setenv(_endpoints.EMULATOR_HOST_ENV, f"127.0.0.1:{server.server_port}")
        transport = CalendarTransport(SECRET)
        for calendar_id in ("a#b@c.com", "../../users/me", "x/../y", "q?x=1#frag"):
            body = transport.get(calendar_path("calendars", calendar_id, "events"),
                                 params={"singleEvents": True, "q": "a&b"})
            assert body == {"kind": "calendar#events"}
    finally:
        server.shutdown()
        server.server_close()
    paths = [urlsplit(path) for path, _ in seen]
    assert [p.path for p in paths] == [
        "/calendar/v3/calendars/a%23b%40c.com/events",
        "/calendar/v3/calendars/..%2F..%2Fusers%2Fme/events",
        "/calendar/v3/calendars/x%2F..%2Fy/events",
        "/calendar/v3/calendars/q%3Fx%3D1%23frag/events",
    ]
    assert paths[0].query == "singleEvents=true&q=a%26b"
    headers = seen[0][1]
    assert headers["User-Agent"] == USER_AGENT
    assert "gzip" in headers["Accept-Encoding"]
    assert headers["Authorization"] == f"Bearer {SECRET}"


# --- basics ---------------------------------------------------------------------------


def test_shared_session_is_one_per_process():
    session = shared_session()
    assert session is shared_session()
    assert session.headers["User-Agent"].startswith("dify-google-calendar/")
    assert session.headers["User-Agent"].endswith("(gzip)")
    assert "Authorization" not in session.headers


def test_request_sends_token_timeout_params_and_json():
    transport, google, _ = make((200, {"id": "e1"}), timeout=(3.0, 9.0))
    body = transport.post("/calendars/primary/events", params={"sendUpdates": "all",
                          "conferenceDataVersion": 1, "skip": None, "flag": False},
                          json={"summary": "Hi"}, headers={"X-Test": "1"})
    assert body == {"id": "e1"}
    sent = google.requests[0]
    assert sent.method == "POST"
    assert sent.headers["Authorization"] == f"Bearer {SECRET}"
    assert sent.headers["X-Test"] == "1"
    assert urlsplit(sent.url).query == "sendUpdates=all&conferenceDataVersion=1&flag=false"
    assert json.loads(sent.body) == {"summary": "Hi"}
    assert google.timeouts[0] == (3.0, 9.0)


def test_204_and_empty_bodies_are_none():
    transport, _, _ = make((204, b""), (200, b""))
    assert transport.delete("/calendars/primary/events/e1") is None
    assert transport.get("/x") is None


def test_token_is_never_stored_on_the_session():
    transport, _, _ = make((200, {}))
    transport.get("/x")
    session = transport._session
    assert "Authorization" not in session.headers


def test_conveniences_use_their_method():
    transport, google, _ = make(*[(200, {})] * 5)
    for name in ("get", "post", "patch", "put", "delete"):
        getattr(transport, name)("/x")
    assert [r.method for r in google.requests] == ["GET", "POST", "PATCH", "PUT", "DELETE"]


# --- retries --------------------------------------------------------------------------


def test_retries_5xx_then_succeeds():
    transport, google, clock = make(
        (503, google_error(503, "backendError")), (500, b""), (200, {"ok": True})
    )
    assert transport.get("/x") == {"ok": True}
    assert len(google.requests) == 3
    assert len(clock.sleeps) == 2
    assert all(0 <= delay <= 1.0 for delay in clock.sleeps)


def test_html_502_is_retried_then_fails():
    html = (502, b"<html><title>502 Bad Gateway</title></html>", {"Content-Type": "text/html"})
    transport, google, _ = make(html, html, html, html)
    with pytest.raises((errors.BackendError, errors.TransportError)) as caught:
        transport.get("/x")
    assert len(google.requests) == 4
    assert "502" in caught.value.message


def test_gives_up_after_max_attempts():
    transport, google, _ = make(*[(500, google_error(500, "backendError"))] * 5,
                                retry=RetryPolicy(max_attempts=3))
    with pytest.raises(errors.BackendError):
        transport.get("/x")
    assert len(google.requests) == 3


def test_retries_rate_limit_honouring_retry_after():
    transport, google, clock = make(
        (429, google_error(429, "rateLimitExceeded"), {"Retry-After": "3"}),
        (403, google_error(403, "userRateLimitExceeded")),
        (200, {"ok": 1}),
    )
    assert transport.get("/x") == {"ok": 1}
    assert clock.sleeps[0] == 3.0
    assert len(google.requests) == 3


def test_retry_after_beyond_budget_fails_fast():
    transport, google, clock = make(
        (429, google_error(429, "rateLimitExceeded"), {"Retry-After": "120"}), (200, {})
    )
    with pytest.raises(errors.RateLimitError) as caught:
        transport.get("/x")
    assert caught.value.retry_after == 120.0
    assert clock.sleeps == []
    assert len(google.requests) == 1


def test_total_budget_bounds_retries():
    policy = RetryPolicy(max_attempts=10, base_delay=4.0, max_delay=4.0, total_budget=10.0)
    replies = [(429, google_error(429, "rateLimitExceeded"), {"Retry-After": "4"})] * 10
    transport, google, clock = make(*replies, retry=policy)
    with pytest.raises(errors.RateLimitError):
        transport.get("/x")
    assert sum(clock.sleeps) <= 10.0
    assert len(google.requests) == 3


def test_read_timeout_is_capped_by_remaining_budget():
    policy = RetryPolicy(total_budget=6.0)
    transport, google, _ = make(
        (429, {}, {"Retry-After": "4"}), (200, {}), retry=policy, timeout=(5.0, 20.0)
    )
    transport.get("/x")
    assert google.timeouts == [(5.0, 6.0), (5.0, 2.0)]


@pytest.mark.parametrize(
    ("reply", "cls"),
    [
        ((400, google_error(400, "invalid")), errors.InvalidRequestError),
        ((401, google_error(401, "authError")), errors.AuthenticationError),
        ((403, google_error(403, "insufficientPermissions")), errors.PermissionDeniedError),
        ((403, google_error(403, "quotaExceeded")), errors.QuotaExceededError),
        ((404, google_error(404, "notFound")), errors.NotFoundError),
        ((409, google_error(409, "duplicate")), errors.ConflictError),
        ((410, google_error(410, "deleted")), errors.GoneError),
        ((412, google_error(412, "conditionNotMet")), errors.PreconditionFailedError),
    ],
)
def test_client_errors_are_not_retried(reply, cls):
    transport, google, clock = make(reply, (200, {}))
    with pytest.raises(cls):
        transport.get("/x")
    assert len(google.requests) == 1
    assert clock.sleeps == []


def test_connection_errors_and_timeouts_are_retried_for_reads():
    transport, google, _ = make(
        requests.ConnectionError("reset"), requests.ReadTimeout("slow"), (200, {"ok": 1})
    )
    assert transport.get("/x") == {"ok": 1}
    assert len(google.requests) == 3


def test_persistent_timeout_becomes_transport_error():
    transport, _, _ = make(*[requests.ReadTimeout("slow")] * 4)
    with pytest.raises(errors.TransportError, match="timed out"):
        transport.get("/x")


def test_post_is_not_resent_after_read_timeout():
    transport, google, _ = make(requests.ReadTimeout("slow"), (200, {"id": "dup"}))
    with pytest.raises(errors.TransportError) as caught:
        transport.post("/calendars/primary/quickAdd", params={"text": "Lunch"})
    assert len(google.requests) == 1
    assert "may have applied this change" in caught.value.message


def test_post_is_not_resent_after_connection_drop():
    transport, google, _ = make(requests.ConnectionError("Connection aborted."), (200, {}))
    with pytest.raises(errors.TransportError):
        transport.post("/x", json={})
    assert len(google.requests) == 1


@pytest.mark.parametrize("status", [500, 502, 504])
def test_post_is_not_resent_after_ambiguous_server_error(status):
    transport, google, _ = make((status, google_error(status, "backendError")), (200, {}))
    with pytest.raises(errors.BackendError):
        transport.post("/x", json={})
    assert len(google.requests) == 1


def test_post_is_resent_when_google_did_not_act():
    transport, google, _ = make(
        (429, google_error(429, "rateLimitExceeded")),
        (503, google_error(503, "backendError")),
        requests.ConnectTimeout("connect"),
        (200, {"id": "e"}),
    )
    assert transport.post("/x", json={}) == {"id": "e"}
    assert len(google.requests) == 4


def test_post_is_resent_when_connection_was_never_made():
    refused = requests.ConnectionError(MaxRetryError(None, "/x", NewConnectionError(None, "no")))
    transport, _, _ = make(refused, (200, {"id": "e"}))
    assert transport.post("/x", json={}) == {"id": "e"}


def test_idempotent_post_is_resent_after_read_timeout():
    transport, google, _ = make(requests.ReadTimeout("slow"), (500, b""), (200, {"id": "e"}))
    assert transport.post("/x", json={"id": "e"}, idempotent=True) == {"id": "e"}
    assert len(google.requests) == 3


def test_patch_with_if_match_is_idempotent():
    transport, google, _ = make(requests.ReadTimeout("slow"), (200, {"id": "e"}))
    assert transport.patch("/x", json={}, headers={"If-Match": '"etag"'}) == {"id": "e"}
    assert len(google.requests) == 2
    plain, google2, _ = make(requests.ReadTimeout("slow"), (200, {}))
    with pytest.raises(errors.TransportError):
        plain.patch("/x", json={})
    assert len(google2.requests) == 1


def test_idempotent_false_overrides_method_default():
    transport, google, _ = make(requests.ReadTimeout("slow"), (200, {}))
    with pytest.raises(errors.TransportError):
        transport.get("/x", idempotent=False)
    assert len(google.requests) == 1


# --- responses ------------------------------------------------------------------------


def test_redirect_is_not_followed_or_mistaken_for_success():
    transport, google, _ = make((302, b"", {"Location": "https://evil.example/"}), (200, {}))
    with pytest.raises(errors.TransportError, match="redirect"):
        transport.get("/x")
    assert len(google.requests) == 1


@pytest.mark.parametrize("body", [b"{not json", b"<html>ok</html>", b"[1, 2]"])
def test_malformed_2xx_is_a_transport_error(body):
    transport, google, _ = make(*[(200, body)] * 4)
    with pytest.raises(errors.TransportError, match="malformed"):
        transport.get("/x")
    assert len(google.requests) == 4


def test_malformed_2xx_read_is_retried_but_a_post_is_not():
    transport, google, _ = make((200, b"<html>proxy</html>"), (200, {"ok": True}))
    assert transport.get("/x") == {"ok": True}
    transport, google, _ = make((200, b"{truncated"))
    with pytest.raises(errors.TransportError, match="malformed"):
        transport.post("/x", json={})
    assert len(google.requests) == 1


def test_test_time_knobs_are_read_from_the_environment(monkeypatch):
    monkeypatch.setenv("GCAL_RETRY_BASE_DELAY", "0.01")
    monkeypatch.setenv("GCAL_READ_TIMEOUT", "1.5")
    transport = CalendarTransport("t")
    assert transport._retry.base_delay == 0.01 and transport._timeout == (5.0, 1.5)
    monkeypatch.setenv("GCAL_RETRY_BASE_DELAY", "nonsense")
    monkeypatch.setenv("GCAL_READ_TIMEOUT", "-3")
    transport = CalendarTransport("t")
    assert transport._retry == RetryPolicy() and transport._timeout == (5.0, READ_TIMEOUT)


# --- tokens ---------------------------------------------------------------------------


class FakeSource:
    def __init__(self, *tokens):
        self.tokens = list(tokens)
        self.invalidated = 0

    def token(self):
        return self.tokens[0]

    def invalidate(self):
        self.invalidated += 1
        self.tokens.pop(0)


def test_token_source_protocol():
    assert isinstance(FakeSource("a"), TokenSource)


def test_401_remints_once_with_a_token_source():
    source = FakeSource("old-token", "new-token")
    transport, google, clock = make((401, google_error(401, "authError")), (200, {"ok": 1}),
                                    token=source)
    assert transport.get("/x") == {"ok": 1}
    assert source.invalidated == 1
    assert [r.headers["Authorization"] for r in google.requests] == [
        "Bearer old-token", "Bearer new-token"]
    assert clock.sleeps == []


def test_second_401_is_raised():
    source = FakeSource("a", "b", "c")
    transport, google, _ = make((401, google_error(401, "authError")),
                                (401, google_error(401, "authError")), (200, {}), token=source)
    with pytest.raises(errors.AuthenticationError):
        transport.get("/x")
    assert len(google.requests) == 2
    assert source.invalidated == 1


def test_401_with_a_plain_token_is_raised_at_once():
    transport, google, _ = make((401, google_error(401, "authError")), (200, {}))
    with pytest.raises(errors.AuthenticationError):
        transport.get("/x")
    assert len(google.requests) == 1


# --- secrets --------------------------------------------------------------------------


def test_no_token_in_exceptions_or_reprs():
    failures = [
        (401, google_error(401, "authError", f"bad token {SECRET}")),
        (403, google_error(403, "forbidden")),
        (404, b""),
        (500, b"<html></html>"),
        (200, b"{bad"),
        requests.ConnectionError(f"boom Authorization: Bearer {SECRET}"),
        requests.ReadTimeout(f"slow {SECRET}"),
    ]
    for failure in failures:
        transport, _, _ = make(failure, retry=RetryPolicy(max_attempts=1))
        assert SECRET not in repr(transport)
        with pytest.raises(errors.GoogleCalendarError) as caught:
            transport.get("/x")
        error = caught.value
        texts = [str(error), repr(error), error.message, str(error.__cause__),
                 str(error.__context__ if error.__suppress_context__ is False else "")]
        assert all(SECRET not in text for text in texts), failure


def test_retry_policy_backoff_is_full_jitter():
    policy = RetryPolicy(base_delay=0.5, max_delay=8.0)
    assert policy.backoff(1, rand=lambda: 1.0) == 0.5
    assert policy.backoff(3, rand=lambda: 1.0) == 2.0
    assert policy.backoff(10, rand=lambda: 1.0) == 8.0
    assert policy.backoff(3, rand=lambda: 0.0) == 0.0


def test_concurrent_calls_use_their_own_tokens():
    replies = [(200, {})] * 40
    google = FakeGoogle(*replies)
    session = requests.Session()
    session.mount("https://", google)
    lock = threading.Lock()
    original = google.send

    def locked_send(request, **kwargs):
        with lock:
            return original(request, **kwargs)

    google.send = locked_send
    transports = [CalendarTransport(f"token-{i}", session=session) for i in range(4)]

    def work(transport):
        for _ in range(10):
            transport.get("/x")

    threads = [threading.Thread(target=work, args=(t,)) for t in transports]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    tokens = [r.headers["Authorization"] for r in google.requests]
    assert sorted(set(tokens)) == [f"Bearer token-{i}" for i in range(4)]
    assert all(tokens.count(f"Bearer token-{i}") == 10 for i in range(4))


def test_503_honours_retry_after():
    """RFC 9110 §10.2.3: a 503 may say with Retry-After when the service is back."""
    transport, google, clock = make(
        (503, google_error(503, "backendError"), {"Retry-After": "2"}), (200, {"ok": 1})
    )
    assert transport.get("/x") == {"ok": 1}
    assert clock.sleeps == [2.0]
    assert len(google.requests) == 2


def test_503_with_retry_after_beyond_budget_fails_fast_and_says_when():
    transport, google, clock = make(
        (503, google_error(503, "backendError"), {"Retry-After": "90"}), (200, {})
    )
    with pytest.raises(errors.BackendError) as caught:
        transport.get("/x")
    assert caught.value.retry_after == 90.0
    assert "90 seconds" in caught.value.message
    assert clock.sleeps == [] and len(google.requests) == 1


def test_budget_fits_every_attempt_with_its_full_read_timeout():
    """One slow answer must not use up the other attempts (issue 11.7)."""
    policy = RetryPolicy()
    _, read = default_timeout()
    worst_backoff = sum(min(policy.max_delay, policy.base_delay * 2 ** (n - 1))
                        for n in range(1, policy.max_attempts))
    assert policy.max_attempts * read + worst_backoff <= policy.total_budget
    assert policy.total_budget <= 60  # well inside Dify's tool timeout
