"""OAuth endpoints, fault injection and latency of the Google emulator."""

from __future__ import annotations

import base64
import hashlib
import json
import socket
import time
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from tests.emulator import DEFAULT_SCOPES, Fault

ALICE = "alice@example.com"
CID, SECRET = "client-1.apps.googleusercontent.com", "s3cret"
REDIRECT = "http://localhost:5001/console/api/oauth/plugin/x/google_calendar/tool/callback"
VERIFIER = "v" * 64
CHALLENGE = base64.urlsafe_b64encode(hashlib.sha256(VERIFIER.encode()).digest()).decode().rstrip(
    "="
)
SCOPE = " ".join(DEFAULT_SCOPES)


@pytest.fixture
def emu(server):
    server.reset()
    server.latency = 0.0
    server.add_user(ALICE, "Europe/Berlin")
    server.register_client(CID, SECRET)
    return server


def token_post(emu, **form):
    return requests.post(emu.base_url + "/token", data=form, timeout=5)


def exchange(emu, code, **over):
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT,
            "client_id": CID, "client_secret": SECRET, "code_verifier": VERIFIER}
    form.update(over)
    return token_post(emu, **{k: v for k, v in form.items() if v is not None})


def auth_params(**over):
    p = {"client_id": CID, "redirect_uri": REDIRECT, "response_type": "code", "scope": SCOPE,
         "state": "st-1", "code_challenge": CHALLENGE, "code_challenge_method": "S256",
         "access_type": "offline", "prompt": "consent", "include_granted_scopes": "true"}
    p.update(over)
    return p


def consent_code(emu, **kw):
    return emu.consent(CID, ALICE, redirect_uri=REDIRECT, scope=SCOPE, state="st-1",
                       code_challenge=CHALLENGE, **kw)


# ------------------------------------------------------------------ authorization endpoint


def test_auth_endpoint_auto_consent_redirects_with_code_and_state(emu):
    emu.auto_consent_user = ALICE
    r = requests.get(emu.base_url + "/o/oauth2/v2/auth", params=auth_params(),
                     allow_redirects=False, timeout=5)
    assert r.status_code == 302
    loc = urlsplit(r.headers["Location"])
    q = parse_qs(loc.query)
    assert loc.geturl().startswith(REDIRECT) and q["state"] == ["st-1"]
    body = exchange(emu, q["code"][0]).json()
    assert body["refresh_token"] and body["token_type"] == "Bearer"
    assert body["expires_in"] == 3599 and body["scope"] == SCOPE


def test_auth_endpoint_consent_page_and_form(emu):
    r = requests.get(emu.base_url + "/o/oauth2/v2/auth", params=auth_params(), timeout=5,
                     allow_redirects=False)
    assert r.status_code == 200 and "<form" in r.text
    form = {**auth_params(), "login_email": ALICE, "decision": "allow",
            "granted": DEFAULT_SCOPES[:2]}
    r = requests.post(emu.base_url + "/o/oauth2/v2/auth/consent", data=form, timeout=5,
                      allow_redirects=False)
    q = parse_qs(urlsplit(r.headers["Location"]).query)
    assert exchange(emu, q["code"][0]).json()["scope"] == " ".join(DEFAULT_SCOPES[:2])


def test_auth_endpoint_denied_and_errors(emu):
    emu.deny_next_consent()
    r = requests.get(emu.base_url + "/o/oauth2/v2/auth", params=auth_params(), timeout=5,
                     allow_redirects=False)
    assert parse_qs(urlsplit(r.headers["Location"]).query) == {
        "error": ["access_denied"], "state": ["st-1"]}
    r = requests.get(emu.base_url + "/o/oauth2/v2/auth", params=auth_params(client_id="x"),
                     timeout=5, allow_redirects=False)
    assert r.status_code == 400 and "invalid_client" in r.text
    r = requests.get(emu.base_url + "/o/oauth2/v2/auth",
                     params=auth_params(response_type="token"), timeout=5, allow_redirects=False)
    assert "unsupported_response_type" in r.headers["Location"]
    r = requests.get(emu.base_url + "/o/oauth2/v2/auth", params=auth_params(scope="bogus"),
                     timeout=5, allow_redirects=False)
    assert "invalid_scope" in r.headers["Location"]


# ------------------------------------------------------------------ token endpoint


def test_code_is_single_use(emu):
    code = consent_code(emu)
    assert exchange(emu, code).status_code == 200
    r = exchange(emu, code)
    assert r.status_code == 400 and r.json()["error"] == "invalid_grant"


def test_pkce_verifier_checked(emu):
    r = exchange(emu, consent_code(emu), code_verifier="w" * 64)
    assert (r.status_code, r.json()["error"]) == (400, "invalid_grant")
    r = exchange(emu, consent_code(emu), code_verifier=None)
    assert (r.status_code, r.json()["error"]) == (400, "invalid_grant")


def test_redirect_uri_must_match(emu):
    r = exchange(emu, consent_code(emu), redirect_uri="http://localhost/other")
    assert (r.status_code, r.json()["error"]) == (400, "redirect_uri_mismatch")


def test_client_authentication(emu):
    r = exchange(emu, consent_code(emu), client_secret="wrong")
    assert (r.status_code, r.json()["error"]) == (401, "invalid_client")
    basic = base64.b64encode(f"{CID}:{SECRET}".encode()).decode()
    r = requests.post(emu.base_url + "/token", timeout=5, headers={
        "Authorization": f"Basic {basic}"}, data={
        "grant_type": "authorization_code", "code": consent_code(emu), "redirect_uri": REDIRECT,
        "code_verifier": VERIFIER})
    assert r.status_code == 200
    assert token_post(emu, grant_type="password").json()["error"] == "unsupported_grant_type"


def test_granted_scopes_reported(emu):
    code = consent_code(emu, granted_scopes=DEFAULT_SCOPES[1:])
    body = exchange(emu, code).json()
    assert body["scope"].split() == DEFAULT_SCOPES[1:]
    r = requests.get(emu.base_url + "/calendar/v3/calendars/primary/events", timeout=5,
                     headers={"Authorization": f"Bearer {body['access_token']}"})
    assert r.status_code == 403


def test_refresh_returns_no_new_refresh_token_then_invalid_grant(emu):
    tokens = exchange(emu, consent_code(emu)).json()
    r = token_post(emu, grant_type="refresh_token", refresh_token=tokens["refresh_token"],
                   client_id=CID, client_secret=SECRET)
    body = r.json()
    assert r.status_code == 200 and "refresh_token" not in body
    assert body["access_token"] != tokens["access_token"] and body["expires_in"] == 3599
    hdr = {"Authorization": f"Bearer {body['access_token']}"}
    url = emu.base_url + "/calendar/v3/users/me/calendarList"
    assert requests.get(url, headers=hdr, timeout=5).status_code == 200
    emu.revoke_user_tokens(ALICE)
    r = token_post(emu, grant_type="refresh_token", refresh_token=tokens["refresh_token"],
                   client_id=CID, client_secret=SECRET)
    assert r.status_code == 400
    assert r.json() == {"error": "invalid_grant",
                        "error_description": "Token has been expired or revoked."}
    assert requests.get(url, headers=hdr, timeout=5).status_code == 401


def test_issue_refresh_token_shortcut_and_revoke_endpoint(emu):
    rt = emu.issue_refresh_token(ALICE, CID)
    r = token_post(emu, grant_type="refresh_token", refresh_token=rt, client_id=CID,
                   client_secret=SECRET)
    assert r.status_code == 200
    assert requests.post(emu.base_url + "/revoke", data={"token": rt}, timeout=5).status_code == 200
    r = token_post(emu, grant_type="refresh_token", refresh_token=rt, client_id=CID,
                   client_secret=SECRET)
    assert r.json()["error"] == "invalid_grant"
    r = requests.post(emu.base_url + "/revoke", data={"token": "nope"}, timeout=5)
    assert (r.status_code, r.json()["error"]) == (400, "invalid_token")


# ------------------------------------------------------------------ faults


def cal_get(emu, token, path="/calendar/v3/users/me/calendarList", **kw):
    return requests.get(emu.base_url + path, headers={"Authorization": f"Bearer {token}"},
                        timeout=kw.pop("timeout", 5), **kw)


def test_fault_status_envelope_retry_after_and_times(emu):
    tok = emu.issue_token(ALICE)
    emu.inject_fault(Fault(path_regex=r"calendarList", status=429,
                           reason="rateLimitExceeded", retry_after=7, times=2))
    for _ in range(2):
        r = cal_get(emu, tok)
        assert r.status_code == 429 and r.headers["Retry-After"] == "7"
        assert r.json()["error"]["errors"][0]["reason"] == "rateLimitExceeded"
        assert r.json()["error"]["status"] == "RESOURCE_EXHAUSTED"
    assert cal_get(emu, tok).status_code == 200
    assert [x.status for x in emu.requests] == [429, 429, 200]


def test_fault_method_filter_and_forever(emu):
    tok = emu.issue_token(ALICE)
    emu.inject_fault(Fault(method="POST", path_regex=r"/events$", status=503, times=None))
    assert cal_get(emu, tok, "/calendar/v3/calendars/primary/events").status_code == 200
    for _ in range(3):
        r = requests.post(emu.base_url + "/calendar/v3/calendars/primary/events", json={},
                          headers={"Authorization": f"Bearer {tok}"}, timeout=5)
        assert r.status_code == 503
        assert r.json()["error"]["errors"][0]["reason"] == "backendError"
    emu.clear_faults()
    assert len(emu.faults.pending) == 0


def test_fault_drop_connection_before_processing(emu):
    tok = emu.issue_token(ALICE)
    emu.inject_fault(Fault(path_regex="calendarList", drop_connection=True))
    with pytest.raises(requests.ConnectionError):
        cal_get(emu, tok)
    assert emu.requests[-1].status is None
    assert cal_get(emu, tok).status_code == 200


def test_fault_lost_response_after_processing(emu):
    tok = emu.issue_token(ALICE)
    emu.inject_fault(Fault(method="POST", path_regex="/events$", drop_connection=True,
                           after_processing=True))
    body = {"id": "lostresponse01", "start": {"dateTime": "2026-03-10T10:00:00Z"},
            "end": {"dateTime": "2026-03-10T11:00:00Z"}}
    url = emu.base_url + "/calendar/v3/calendars/primary/events"
    with pytest.raises(requests.ConnectionError):
        requests.post(url, json=body, headers={"Authorization": f"Bearer {tok}"}, timeout=5)
    assert emu.get_stored_event(ALICE, "lostresponse01") is not None
    r = requests.post(url, json=body, headers={"Authorization": f"Bearer {tok}"}, timeout=5)
    assert r.status_code == 409


def test_fault_after_processing_with_error_status(emu):
    tok = emu.issue_token(ALICE)
    emu.inject_fault(Fault(method="POST", path_regex="/events$", status=500,
                           reason="backendError", after_processing=True))
    r = requests.post(emu.base_url + "/calendar/v3/calendars/primary/events",
                      json={"start": {"dateTime": "2026-03-10T10:00:00Z"},
                            "end": {"dateTime": "2026-03-10T11:00:00Z"}},
                      headers={"Authorization": f"Bearer {tok}"}, timeout=5)
    assert r.status_code == 500 and len(emu.stored_events(ALICE)) == 1


def test_fault_delay_and_timeout(emu):
    tok = emu.issue_token(ALICE)
    emu.inject_fault(Fault(path_regex="calendarList", delay=0.6, status=None))
    with pytest.raises(requests.Timeout):
        cal_get(emu, tok, timeout=0.2)
    emu.inject_fault(Fault(path_regex="calendarList", delay=0.2, status=None))
    t0 = time.monotonic()
    assert cal_get(emu, tok).status_code == 200
    assert time.monotonic() - t0 >= 0.2


def test_fault_raw_bodies(emu):
    tok = emu.issue_token(ALICE)
    html = "<html><body><h1>502 Bad Gateway</h1></body></html>"
    emu.inject_fault(Fault(path_regex="calendarList", status=502, raw_body=html))
    r = cal_get(emu, tok)
    assert r.status_code == 502 and r.text == html
    assert r.headers["Content-Type"].startswith("text/html")
    emu.inject_fault(Fault(path_regex="calendarList", status=200, raw_body='{"items": [',
                           content_type="application/json; charset=UTF-8"))
    r = cal_get(emu, tok)
    assert r.status_code == 200
    with pytest.raises(json.JSONDecodeError):
        r.json()


def test_fault_on_token_endpoint(emu):
    rt = emu.issue_refresh_token(ALICE, CID)
    emu.inject_fault(Fault(path_regex="^/token$", status=503, reason="internal_failure"))
    r = token_post(emu, grant_type="refresh_token", refresh_token=rt, client_id=CID,
                   client_secret=SECRET)
    assert r.status_code == 503 and r.json()["error"] == "internal_failure"
    r = token_post(emu, grant_type="refresh_token", refresh_token=rt, client_id=CID,
                   client_secret=SECRET)
    assert r.status_code == 200


def test_latency_applies_to_every_request(emu):
    tok = emu.issue_token(ALICE)
    emu.latency = 0.15
    t0 = time.monotonic()
    cal_get(emu, tok)
    token_post(emu, grant_type="password")
    assert time.monotonic() - t0 >= 0.3


def test_keep_alive_reuses_connection(emu):
    tok = emu.issue_token(ALICE)
    sock = socket.create_connection(("127.0.0.1", emu.port), timeout=5)
    try:
        req = (f"GET /calendar/v3/users/me/calendarList HTTP/1.1\r\nHost: x\r\n"
               f"Authorization: Bearer {tok}\r\n\r\n").encode()
        for _ in range(2):
            sock.sendall(req)
            head = b""
            while b"\r\n\r\n" not in head:
                head += sock.recv(1)
            length = int(next(h for h in head.split(b"\r\n")
                              if h.lower().startswith(b"content-length")).split(b":")[1])
            data = b""
            while len(data) < length:
                data += sock.recv(length - len(data))
            assert head.startswith(b"HTTP/1.1 200") and json.loads(data)["items"]
    finally:
        sock.close()
