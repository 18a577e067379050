import base64
import hashlib
import json
import threading
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from requests.adapters import BaseAdapter
from requests.structures import CaseInsensitiveDict

from gcal.errors import (
    GoogleCalendarError,
    MissingScopesError,
    OAuthError,
    OAuthStateError,
    ReauthorizationRequiredError,
)
from gcal.google import _endpoints, oauth
from gcal.google.oauth import (
    SCOPES,
    OAuthClient,
    RefreshingTokenSource,
    TokenSet,
    authorization_url,
    code_verifier_for,
    exchange_code,
    make_state,
    refresh,
    verify_state,
)
from gcal.google.transport import TokenSource
from gcal.scopes import SCOPE_DESCRIPTIONS

CLIENT = OAuthClient("client-123.apps.googleusercontent.com", "GOCSPX-CLIENT-SECRET")
REDIRECT = "https://dify.example.com/console/api/oauth/plugin/x/google_calendar/tool/callback"
NOW = 1_770_000_000.0
REFRESH = "1//REFRESH-TOKEN-SECRET"
ACCESS = "ya29.ACCESS-TOKEN-SECRET"


class TokenEndpoint(BaseAdapter):
    """Scripted token endpoint: (status, json body) tuples or exceptions."""

    def __init__(self, *replies):
        super().__init__()
        self.replies = list(replies)
        self.forms: list[dict] = []
        self.urls: list[str] = []
        self.lock = threading.Lock()

    def send(self, request, **kwargs):
        with self.lock:
            self.urls.append(request.url)
            self.forms.append({k: v[0] for k, v in parse_qs(request.body).items()})
            revoking = request.url.endswith("/revoke") and not self.replies
            reply = (200, {}) if revoking else self.replies.pop(0)
        if isinstance(reply, Exception):
            raise reply
        status, body = reply
        response = requests.Response()
        response.status_code = status
        response._content = body if isinstance(body, bytes) else json.dumps(body).encode()
        response.headers = CaseInsensitiveDict({"Content-Type": "application/json"})
        response.request = request
        return response

    def close(self):
        pass


def session_with(*replies):
    endpoint = TokenEndpoint(*replies)
    session = requests.Session()
    session.mount("https://", endpoint)
    session.mount("http://", endpoint)
    return session, endpoint


ALL_SCOPES = " ".join(SCOPES)
URL_SAFE = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")


def granted(*, refresh_token=REFRESH, scope=ALL_SCOPES, expires_in=3599):
    body = {"access_token": ACCESS, "expires_in": expires_in, "token_type": "Bearer"}
    if scope is not None:
        body["scope"] = scope
    if refresh_token:
        body["refresh_token"] = refresh_token
    return (200, body)


@pytest.fixture(autouse=True)
def isolated(monkeypatch):
    monkeypatch.delenv(_endpoints.EMULATOR_HOST_ENV, raising=False)
    monkeypatch.setattr(oauth, "_sleep", lambda seconds: None)
    oauth._cache.clear()


def callback(**extra):
    state = make_state(CLIENT, REDIRECT, now=NOW)
    return {"code": "4/CODE", "state": state, "scope": " ".join(SCOPES), **extra}


# --- authorization URL, state, PKCE ---------------------------------------------------


def test_authorization_url_parameters():
    url = authorization_url(CLIENT, REDIRECT, now=NOW)
    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == (
        "https://accounts.google.com/o/oauth2/v2/auth"
    )
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    assert query["client_id"] == CLIENT.client_id
    assert query["redirect_uri"] == REDIRECT
    assert query["response_type"] == "code"
    assert query["access_type"] == "offline"
    assert query["prompt"] == "consent"
    assert "include_granted_scopes" not in query  # least privilege with a shared client
    assert query["scope"].split(" ") == list(SCOPES)
    assert query["code_challenge_method"] == "S256"
    verify_state(CLIENT, query["state"], REDIRECT, now=NOW + 10)
    verifier = code_verifier_for(CLIENT, query["state"])
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
    assert query["code_challenge"] == challenge.rstrip(b"=").decode()
    assert CLIENT.client_secret not in url


def test_authorization_url_uses_emulator(monkeypatch):
    monkeypatch.setenv(_endpoints.EMULATOR_HOST_ENV, "localhost:9999")
    assert authorization_url(CLIENT, REDIRECT).startswith("http://localhost:9999/o/oauth2/v2/auth?")


def test_scopes_are_least_privilege_and_described():
    assert "https://www.googleapis.com/auth/calendar" not in SCOPES
    assert set(SCOPE_DESCRIPTIONS) == set(SCOPES)


def test_states_are_unique_and_valid():
    first = make_state(CLIENT, REDIRECT, now=NOW)
    second = make_state(CLIENT, REDIRECT, now=NOW)
    assert first != second
    verify_state(CLIENT, first, REDIRECT, now=NOW)
    verify_state(CLIENT, second, REDIRECT, now=NOW + 299)


def test_stale_state_is_rejected():
    state = make_state(CLIENT, REDIRECT, now=NOW)
    with pytest.raises(OAuthStateError, match="5 minutes"):
        verify_state(CLIENT, state, REDIRECT, now=NOW + 301)
    verify_state(CLIENT, state, REDIRECT, now=NOW + 1000, max_age=2000)


def test_state_from_the_future_is_rejected():
    with pytest.raises(OAuthStateError):
        verify_state(CLIENT, make_state(CLIENT, REDIRECT, now=NOW + 3600), REDIRECT, now=NOW)


def test_state_of_another_client_is_rejected():
    other_id = OAuthClient("other.apps.googleusercontent.com", CLIENT.client_secret)
    other_secret = OAuthClient(CLIENT.client_id, "another-secret")
    for other in (other_id, other_secret):
        with pytest.raises(OAuthStateError):
            verify_state(CLIENT, make_state(other, REDIRECT, now=NOW), REDIRECT, now=NOW)


def test_forged_state_is_rejected():
    state = make_state(CLIENT, REDIRECT, now=NOW)
    payload, signature = state.split(".")
    decoded = base64.urlsafe_b64decode(payload + "==").decode()
    version, timestamp, nonce = decoded.split(".")
    newer = f"{version}.{int(timestamp) + 5000}.{nonce}".encode()
    forged = base64.urlsafe_b64encode(newer).rstrip(b"=").decode() + "." + signature
    with pytest.raises(OAuthStateError):
        verify_state(CLIENT, forged, REDIRECT, now=NOW + 5000)
    flipped = signature[:-1] + ("A" if signature[-1] != "A" else "B")
    with pytest.raises(OAuthStateError):
        verify_state(CLIENT, f"{payload}.{flipped}", REDIRECT, now=NOW)


@pytest.mark.parametrize(
    "garbled", ["", "abc", "a.b.c", "!!!.???", "\u00e9.\u00e9", "djE.", None, 42,
                base64.urlsafe_b64encode(b"v2.1.n").decode() + ".sig"],
)
def test_garbled_state_is_rejected(garbled):
    with pytest.raises(OAuthStateError):
        verify_state(CLIENT, garbled, REDIRECT, now=NOW)


def test_pkce_verifier_is_deterministic_and_valid():
    state = make_state(CLIENT, REDIRECT, now=NOW)
    verifier = code_verifier_for(CLIENT, state)
    assert verifier == code_verifier_for(CLIENT, state)
    assert verifier != code_verifier_for(CLIENT, make_state(CLIENT, REDIRECT, now=NOW))
    assert verifier != code_verifier_for(OAuthClient(CLIENT.client_id, "x"), state)
    assert 43 <= len(verifier) <= 128
    assert set(verifier) <= URL_SAFE


# --- code exchange --------------------------------------------------------------------


def test_exchange_code_posts_everything_google_needs():
    session, endpoint = session_with(granted())
    params = callback()
    tokens = exchange_code(CLIENT, REDIRECT, params, session=session, now=NOW + 30)
    assert tokens == TokenSet(ACCESS, REFRESH, int(NOW + 30) + 3599, SCOPES)
    assert endpoint.urls == ["https://oauth2.googleapis.com/token"]
    assert endpoint.forms[0] == {
        "grant_type": "authorization_code",
        "code": "4/CODE",
        "redirect_uri": REDIRECT,
        "client_id": CLIENT.client_id,
        "client_secret": CLIENT.client_secret,
        "code_verifier": code_verifier_for(CLIENT, params["state"]),
    }


def test_access_denied_is_explained_without_a_token_request():
    session, endpoint = session_with()
    denied = {"error": "access_denied", "state": make_state(CLIENT, REDIRECT, now=NOW)}
    with pytest.raises(OAuthError, match="You declined access") as caught:
        exchange_code(CLIENT, REDIRECT, denied, session=session, now=NOW)
    assert caught.value.error == "access_denied"
    assert endpoint.forms == []


def test_other_callback_error_is_named():
    session, _ = session_with()
    failed = {"error": "admin_policy_enforced", "state": make_state(CLIENT, REDIRECT, now=NOW)}
    with pytest.raises(OAuthError, match="admin_policy_enforced"):
        exchange_code(CLIENT, REDIRECT, failed, session=session, now=NOW)


@pytest.mark.parametrize("state", [None, "forged.state", "expired"])
def test_a_callback_error_is_shown_only_after_the_state_checks_out(state):
    """A forged callback must not get its own text shown to the user as Google's."""
    if state == "expired":
        state = make_state(CLIENT, REDIRECT, now=NOW - 3600)
    session, endpoint = session_with()
    planted = {"error": "access_denied", "error_description": "Call +1 555 0100 to fix this"}
    with pytest.raises(OAuthStateError) as caught:
        exchange_code(CLIENT, REDIRECT, {**planted, **({"state": state} if state else {})},
                      session=session, now=NOW)
    assert "555" not in caught.value.message and "declined" not in caught.value.message
    assert endpoint.forms == []


def test_a_state_made_for_another_redirect_uri_is_rejected():
    """Two Dify installs sharing one OAuth client: a state from one fails at the other."""
    other_install = REDIRECT.replace("dify.example.com", "dify.other.example")
    state = make_state(CLIENT, other_install, now=NOW)
    verify_state(CLIENT, state, other_install, now=NOW)
    with pytest.raises(OAuthStateError):
        verify_state(CLIENT, state, REDIRECT, now=NOW)
    session, endpoint = session_with(granted())
    with pytest.raises(OAuthStateError):
        exchange_code(CLIENT, REDIRECT, callback(state=state), session=session, now=NOW)
    assert endpoint.forms == []


def test_missing_code():
    session, endpoint = session_with()
    with pytest.raises(OAuthError, match="no authorization code"):
        exchange_code(CLIENT, REDIRECT, {"state": make_state(CLIENT, REDIRECT)}, session=session)
    assert endpoint.forms == []


def test_bad_state_stops_the_exchange():
    session, endpoint = session_with(granted())
    with pytest.raises(OAuthStateError):
        exchange_code(CLIENT, REDIRECT, callback(state="forged.state"), session=session, now=NOW)
    assert endpoint.forms == []


@pytest.mark.parametrize(("reply", "revoked"), [
    (granted(scope=f"{SCOPES[0]} openid"), REFRESH),  # a box left unticked
    (granted(refresh_token=None), ACCESS),  # no refresh token: the connection cannot last
])
def test_tokens_of_a_refused_exchange_are_revoked(reply, revoked):
    session, endpoint = session_with(reply, (200, {}))
    with pytest.raises(OAuthError):
        exchange_code(CLIENT, REDIRECT, callback(), session=session, now=NOW)
    assert endpoint.urls == ["https://oauth2.googleapis.com/token",
                             "https://oauth2.googleapis.com/revoke"]
    assert endpoint.forms[1] == {"token": revoked}


def test_a_failed_revocation_still_shows_the_refusal():
    session, endpoint = session_with(granted(refresh_token=None),
                                     requests.ConnectionError("down"))
    with pytest.raises(OAuthError, match="no refresh token"):
        exchange_code(CLIENT, REDIRECT, callback(), session=session, now=NOW)
    assert len(endpoint.urls) == 2


def test_an_accepted_exchange_revokes_nothing():
    session, endpoint = session_with(granted())
    exchange_code(CLIENT, REDIRECT, callback(), session=session, now=NOW)
    assert endpoint.urls == ["https://oauth2.googleapis.com/token"]


def test_missing_scopes_are_explained():
    partial = granted(scope=f"{SCOPES[0]} openid")
    session, _ = session_with(partial)
    with pytest.raises(MissingScopesError) as caught:
        exchange_code(CLIENT, REDIRECT, callback(), session=session, now=NOW)
    error = caught.value
    assert error.missing == [SCOPES[1], SCOPES[2]]
    assert SCOPE_DESCRIPTIONS[SCOPES[1]] in error.message
    assert SCOPE_DESCRIPTIONS[SCOPES[2]] in error.message
    assert "tick every box" in error.message
    assert ACCESS not in error.message


def test_omitted_scope_means_as_requested():
    session, _ = session_with(granted(scope=None))
    assert exchange_code(CLIENT, REDIRECT, callback(), session=session, now=NOW).scope == SCOPES


def test_no_refresh_token_is_explained():
    session, _ = session_with(granted(refresh_token=None))
    with pytest.raises(OAuthError, match=r"myaccount\.google\.com/permissions"):
        exchange_code(CLIENT, REDIRECT, callback(), session=session, now=NOW)


def test_used_code_is_not_a_reauthorization_error():
    session, _ = session_with((400, {"error": "invalid_grant", "error_description": "Bad"}))
    with pytest.raises(OAuthError, match="expired or was already used") as caught:
        exchange_code(CLIENT, REDIRECT, callback(), session=session, now=NOW)
    assert not isinstance(caught.value, ReauthorizationRequiredError)


def test_exchange_is_not_resent_after_a_read_timeout():
    session, endpoint = session_with(requests.ReadTimeout("slow"), granted())
    with pytest.raises(OAuthError, match="Could not reach"):
        exchange_code(CLIENT, REDIRECT, callback(), session=session, now=NOW)
    assert len(endpoint.forms) == 1


def test_exchange_retries_when_google_did_not_act():
    session, endpoint = session_with(
        requests.ConnectTimeout("connect"), (503, {"error": "unavailable"}), granted()
    )
    assert exchange_code(CLIENT, REDIRECT, callback(), session=session, now=NOW).access_token
    assert len(endpoint.forms) == 3


# --- refresh --------------------------------------------------------------------------


def test_refresh_carries_the_refresh_token_forward():
    session, endpoint = session_with(granted(refresh_token=None))
    tokens = refresh(CLIENT, REFRESH, session=session, now=NOW)
    assert tokens.refresh_token == REFRESH
    assert tokens.access_token == ACCESS
    assert tokens.expires_at == int(NOW) + 3599
    assert endpoint.forms[0] == {
        "grant_type": "refresh_token",
        "refresh_token": REFRESH,
        "client_id": CLIENT.client_id,
        "client_secret": CLIENT.client_secret,
    }


def test_refresh_takes_a_rotated_refresh_token():
    session, _ = session_with(granted(refresh_token="1//NEW"))
    assert refresh(CLIENT, REFRESH, session=session, now=NOW).refresh_token == "1//NEW"


def test_invalid_grant_requires_reauthorization():
    session, _ = session_with(
        (400, {"error": "invalid_grant", "error_description": "Token has been expired or revoked."})
    )
    with pytest.raises(ReauthorizationRequiredError) as caught:
        refresh(CLIENT, REFRESH, session=session, now=NOW)
    message = caught.value.message
    assert "Re-authorize" in message
    assert "7 days" in message
    assert caught.value.error == "invalid_grant"


def test_invalid_client_names_the_configuration():
    failure = (401, {"error": "invalid_client", "error_description": "Unauthorized"})
    session, _ = session_with(failure)
    with pytest.raises(OAuthError, match="client ID") as caught:
        refresh(CLIENT, REFRESH, session=session, now=NOW)
    assert "client secret" in caught.value.message
    assert CLIENT.client_secret not in caught.value.message


def test_refresh_retries_transient_failures():
    session, endpoint = session_with(
        requests.ReadTimeout("slow"), (500, b"<html>oops</html>"), granted()
    )
    assert refresh(CLIENT, REFRESH, session=session, now=NOW).access_token == ACCESS
    assert len(endpoint.forms) == 3


def test_refresh_gives_up_after_three_attempts():
    session, endpoint = session_with(*[(503, {"error": "backend"})] * 5)
    with pytest.raises(OAuthError, match="temporarily unavailable"):
        refresh(CLIENT, REFRESH, session=session, now=NOW)
    assert len(endpoint.forms) == 3


def test_refresh_connection_errors_exhausted():
    session, endpoint = session_with(*[requests.ConnectionError("reset")] * 3)
    with pytest.raises(OAuthError, match="Could not reach"):
        refresh(CLIENT, REFRESH, session=session, now=NOW)
    assert len(endpoint.forms) == 3


def test_refresh_without_token():
    with pytest.raises(ReauthorizationRequiredError):
        refresh(CLIENT, "", now=NOW)


def test_unknown_token_error_is_reported_without_secrets():
    description = f"weird {REFRESH} {CLIENT.client_secret}"
    session, _ = session_with((400, {"error": "unsupported_grant_type",
                                     "error_description": description}))
    with pytest.raises(OAuthError, match="unsupported_grant_type") as caught:
        refresh(CLIENT, REFRESH, session=session, now=NOW)
    assert REFRESH not in caught.value.message
    assert CLIENT.client_secret not in caught.value.message


def test_non_json_success_is_an_error():
    session, _ = session_with((200, b"<html>captive portal</html>"))
    with pytest.raises(OAuthError):
        refresh(CLIENT, REFRESH, session=session, now=NOW)


# --- token source ---------------------------------------------------------------------


class Clock:
    def __init__(self, now):
        self.now = now

    def __call__(self):
        return self.now


def refreshed(access_token):
    """The token endpoint's answer to a refresh: ``access_token``, valid for an hour."""
    return (200, {"access_token": access_token, "expires_in": 3600})


def token_source(session, clock, refresh_token=REFRESH):
    return RefreshingTokenSource(CLIENT, refresh_token, session=session, clock=clock)


def test_refreshing_token_source_caches_until_shortly_before_expiry():
    session, endpoint = session_with(granted(expires_in=3600), refreshed("ya29.SECOND"))
    clock = Clock(NOW)
    source = token_source(session, clock)
    assert isinstance(source, TokenSource)
    assert source.token() == ACCESS
    clock.now = NOW + 3600 - 61
    assert source.token() == ACCESS
    assert len(endpoint.forms) == 1
    clock.now = NOW + 3600 - 59
    assert source.token() == "ya29.SECOND"
    assert len(endpoint.forms) == 2


def test_cache_is_process_wide_and_keyed_by_account():
    session, endpoint = session_with(granted(), refreshed("ya29.OTHER"))
    clock = Clock(NOW)
    first = token_source(session, clock)
    again = token_source(session, clock)
    other = token_source(session, clock, "1//OTHER")
    assert first.token() == again.token() == ACCESS
    assert other.token() == "ya29.OTHER"
    assert len(endpoint.forms) == 2


def test_invalidate_drops_the_cached_token():
    session, _ = session_with(granted(), refreshed("ya29.FRESH"))
    source = token_source(session, Clock(NOW))
    assert source.token() == ACCESS
    source.invalidate()
    assert source.token() == "ya29.FRESH"


def test_invalidate_keeps_a_token_refreshed_by_someone_else():
    session, endpoint = session_with(granted(), refreshed("ya29.FRESH"))
    clock = Clock(NOW)
    stale = token_source(session, clock)
    other = token_source(session, clock)
    stale.token()
    other.token()
    other.invalidate()
    assert other.token() == "ya29.FRESH"
    stale.invalidate()  # still holds ACCESS, which is no longer cached
    assert stale.token() == "ya29.FRESH"
    assert len(endpoint.forms) == 2


def test_concurrent_token_calls_refresh_once():
    session, endpoint = session_with(granted())
    source = token_source(session, Clock(NOW))
    results = []
    threads = [threading.Thread(target=lambda: results.append(source.token()))
               for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [ACCESS] * 8
    assert len(endpoint.forms) == 1


# --- secrets in reprs -----------------------------------------------------------------


def test_reprs_hide_secrets():
    tokens = TokenSet(ACCESS, REFRESH, 1, SCOPES)
    source = RefreshingTokenSource(CLIENT, REFRESH)
    for text in (repr(CLIENT), str(CLIENT), repr(tokens), str(tokens), repr(source)):
        assert CLIENT.client_secret not in text
        assert ACCESS not in text
        assert REFRESH not in text
    assert CLIENT.client_id in repr(CLIENT)


def test_no_secret_in_any_oauth_error():
    scenarios = [
        (400, {"error": "invalid_grant"}),
        (401, {"error": "invalid_client"}),
        (400, {"error": "redirect_uri_mismatch"}),
        (500, b"<html></html>"),
        requests.ConnectionError(f"boom {REFRESH}"),
    ]
    for scenario in scenarios:
        session, _ = session_with(*[scenario] * 3)
        with pytest.raises(GoogleCalendarError) as caught:
            refresh(CLIENT, REFRESH, session=session, now=NOW)
        error = caught.value
        for text in (str(error), repr(error), str(error.__cause__)):
            assert REFRESH not in text and CLIENT.client_secret not in text


def test_broad_calendar_scope_covers_the_narrow_ones():
    session, _ = session_with(granted(scope=f"{oauth.BROAD_CALENDAR_SCOPE} openid"))
    tokens = exchange_code(CLIENT, REDIRECT, callback(), session=session, now=NOW)
    oauth.require_scopes(tokens)  # no MissingScopesError


def test_the_access_token_cache_is_bounded_like_the_calendar_list_cache(monkeypatch):
    """One process serves every user: the least recently used account's token goes first."""
    monkeypatch.setattr(oauth, "_cache", oauth._TokenCache(max_items=3))
    session, endpoint = session_with(*[refreshed(f"ya29.T{n}") for n in range(6)])
    clock = Clock(NOW)
    sources = [token_source(session, clock, refresh_token=f"1//R{n}") for n in range(5)]
    assert [source.token() for source in sources] == [f"ya29.T{n}" for n in range(5)]
    assert len(oauth._cache) == 3
    assert sources[4].token() == "ya29.T4"  # still cached
    assert sources[0].token() == "ya29.T5"  # evicted: minted again
    assert len(endpoint.forms) == 6
    assert oauth.MAX_CACHED_TOKENS == 1000


def test_no_refresh_lock_outlives_its_refresh():
    session, _ = session_with((400, {"error": "invalid_grant"}), refreshed("ya29.OK"))
    failing = token_source(session, Clock(NOW), refresh_token="1//REVOKED")
    with pytest.raises(ReauthorizationRequiredError):
        failing.token()
    assert oauth._cache._locks == {}
    assert token_source(session, Clock(NOW)).token() == "ya29.OK"
    assert oauth._cache._locks == {}
