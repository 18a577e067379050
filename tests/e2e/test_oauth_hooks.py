"""The provider's OAuth hooks and credential validation, through the Dify plugin protocol."""

from __future__ import annotations

import time
from urllib.parse import parse_qs, urlsplit

import pytest

from gcal.google.oauth import SCOPES
from tests.plugin_process import PluginInvokeError

ALICE = "alice@example.com"
REDIRECT = "https://dify.example.com/console/api/oauth/plugin/acme/google_calendar/google_calendar/tool/callback"
SYSTEM = {"client_id": "test-client", "client_secret": "test-secret"}


def authorize(plugin, emu, *, granted=None, system=SYSTEM):
    url = plugin.oauth_authorization_url(REDIRECT, system)
    query = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
    code = emu.consent(
        system["client_id"], ALICE,
        redirect_uri=query["redirect_uri"], scope=query["scope"], state=query["state"],
        code_challenge=query["code_challenge"], granted_scopes=granted,
    )
    return url, query, code


def test_authorization_url_is_least_privilege_offline_pkce(plugin, emu):
    url, query, _ = authorize(plugin, emu)
    assert urlsplit(url).netloc == emu.host
    assert urlsplit(url).path == "/o/oauth2/v2/auth"
    assert set(query["scope"].split()) == set(SCOPES)
    assert "https://www.googleapis.com/auth/calendar" not in query["scope"].split()
    assert query["access_type"] == "offline"
    assert query["prompt"] == "consent"
    assert "include_granted_scopes" not in query  # least privilege (issue 28)
    assert query["code_challenge_method"] == "S256"
    assert query["response_type"] == "code"
    assert query["redirect_uri"] == REDIRECT


def test_code_exchange_returns_tokens_with_expiry(plugin, emu):
    _, query, code = authorize(plugin, emu)
    before = time.time()
    result = plugin.oauth_get_credentials(
        REDIRECT, SYSTEM, f"{REDIRECT}?code={code}&state={query['state']}&scope=x"
    )
    creds = result["credentials"]
    assert creds["access_token"] and creds["refresh_token"]
    assert before + 3000 < result["expires_at"] < time.time() + 3700
    token_calls = [r for r in emu.requests if r.path == "/token"]
    assert token_calls[-1].body["redirect_uri"] == REDIRECT
    assert token_calls[-1].body.get("code_verifier")
    listing = plugin.invoke_tool("list_calendars", {}, creds)
    assert ALICE in listing.text


def test_denied_consent_gives_clear_message(plugin, emu):
    url = plugin.oauth_authorization_url(REDIRECT, SYSTEM)
    state = parse_qs(urlsplit(url).query)["state"][0]
    with pytest.raises(PluginInvokeError) as error:
        plugin.oauth_get_credentials(REDIRECT, SYSTEM,
                                     f"{REDIRECT}?error=access_denied&state={state}")
    assert "declined" in error.value.message.lower()


def test_a_callback_error_without_a_valid_state_is_not_repeated(plugin, emu):
    """Anyone can send a browser to the callback with an `error_description` of their own:
    before the state checks out, nothing of it is shown."""
    planted = "error=access_denied&error_description=Call+%2B1+555+0100+to+restore+access"
    for state in ("", "&state=forged"):
        with pytest.raises(PluginInvokeError) as error:
            plugin.oauth_get_credentials(REDIRECT, SYSTEM, f"{REDIRECT}?{planted}{state}")
        assert "state" in error.value.message
        assert "555" not in error.value.message and "declined" not in error.value.message
    assert not [r for r in emu.requests if r.path == "/token"]


def _grants(emu, email):
    with emu.state.lock:
        return [(t.token, t.revoked) for t in emu.state.refresh_tokens.values()
                if t.email == email]


def test_a_refused_exchange_revokes_what_google_granted(plugin, emu):
    granted = [s for s in SCOPES if "freebusy" not in s]
    _, query, code = authorize(plugin, emu, granted=granted)
    with pytest.raises(PluginInvokeError):
        plugin.oauth_get_credentials(REDIRECT, SYSTEM,
                                     f"{REDIRECT}?code={code}&state={query['state']}")
    [(_, revoked)] = _grants(emu, ALICE)
    assert revoked
    assert [r.path for r in emu.requests if r.method == "POST"][-2:] == ["/token", "/revoke"]


def test_forged_or_foreign_state_is_rejected(plugin, emu):
    _, query, code = authorize(plugin, emu)
    with pytest.raises(PluginInvokeError) as error:
        plugin.oauth_get_credentials(REDIRECT, SYSTEM, f"{REDIRECT}?code={code}&state=forged")
    assert "state" in error.value.message.lower()
    other = {"client_id": "test-client", "client_secret": "another-secret"}
    with pytest.raises(PluginInvokeError):
        plugin.oauth_get_credentials(
            REDIRECT, other, f"{REDIRECT}?code={code}&state={query['state']}"
        )


def test_missing_scope_is_named(plugin, emu):
    granted = [s for s in SCOPES if "freebusy" not in s]
    _, query, code = authorize(plugin, emu, granted=granted)
    with pytest.raises(PluginInvokeError) as error:
        plugin.oauth_get_credentials(
            REDIRECT, SYSTEM, f"{REDIRECT}?code={code}&state={query['state']}"
        )
    assert "View your availability in your calendars" in error.value.message


def test_refresh_keeps_refresh_token_and_revocation_asks_to_reauthorize(plugin, emu):
    _, query, code = authorize(plugin, emu)
    creds = plugin.oauth_get_credentials(
        REDIRECT, SYSTEM, f"{REDIRECT}?code={code}&state={query['state']}"
    )["credentials"]
    refreshed = plugin.oauth_refresh_credentials(REDIRECT, SYSTEM, creds)
    assert refreshed["credentials"]["refresh_token"] == creds["refresh_token"]
    assert refreshed["credentials"]["access_token"] != creds["access_token"]
    assert refreshed["expires_at"] > time.time() + 3000
    emu.revoke_user_tokens(ALICE)
    # Until Google refuses the access token it last obtained, a refresh is answered with it
    # (gcal/google/refresh_memo.py); the refusal makes the next refresh ask Google.
    with pytest.raises(PluginInvokeError) as refused:
        plugin.invoke_tool("list_events", {}, refreshed["credentials"])
    assert refused.value.error_type == "AuthenticationError"
    stale = plugin.oauth_refresh_credentials(REDIRECT, SYSTEM, creds)["credentials"]
    with pytest.raises(PluginInvokeError) as error:  # see tests/dify_host/test_connection.py
        plugin.invoke_tool("get_current_time", {}, stale)
    message = error.value.message
    assert "re-authorize" in message.lower() or "reconnect" in message.lower()
    assert "7 days" in message or "7-day" in message
    assert creds["refresh_token"] not in message


def test_manual_credentials_validate_and_work_for_tools(plugin, emu):
    refresh_token = emu.issue_refresh_token(ALICE, "test-client")
    manual = {"client_id": "test-client", "client_secret": "test-secret",
              "refresh_token": refresh_token}
    plugin.validate_credentials(manual)
    result = plugin.invoke_tool("get_current_time", {}, manual, credential_type="api-key")
    assert result.variables["time_zone"] == "Europe/Berlin"
    with pytest.raises(PluginInvokeError) as error:
        plugin.validate_credentials({**manual, "refresh_token": "1//revoked-or-wrong"})
    assert "1//revoked-or-wrong" not in error.value.message


def test_a_wrong_manual_credential_is_answered_as_typed_not_as_expired(plugin, emu):
    """Issue 27: validation says what is wrong with what was just entered."""
    emu.register_client("other-client", "other-secret")
    manual = {"client_id": "test-client", "client_secret": "test-secret"}
    pasted = {
        "ya29.an-access-token": "access token (ya29…), not a refresh token",
        "1//revoked-or-wrong": "refused it for this client ID and secret",
        emu.issue_refresh_token(ALICE, "other-client"): "issued to another OAuth client",
    }
    for refresh_token, says in pasted.items():
        with pytest.raises(PluginInvokeError) as error:
            plugin.validate_credentials({**manual, "refresh_token": refresh_token})
        message = error.value.message
        assert says in message and "OAuth Playground" in message, message
        assert "no longer accepts" not in message and refresh_token not in message
        assert not error.value.traceback


def test_manual_credentials_missing_a_scope_are_refused(plugin, emu):
    scopes = [s for s in SCOPES if "calendar.events" not in s]
    refresh_token = emu.issue_refresh_token(ALICE, "test-client", scopes=scopes)
    with pytest.raises(PluginInvokeError) as error:
        plugin.validate_credentials({"client_id": "test-client", "client_secret": "test-secret",
                                     "refresh_token": refresh_token})
    assert "Missing" in error.value.message


def test_the_connection_carries_only_the_plugins_scopes(plugin, emu):
    """A client shared by several plugins: the user once granted it the broad `calendar` scope
    for another one. Through the browser flow (Google's incremental authorization is modelled
    by the emulator), the plugin's connection must not inherit it."""
    import requests

    broad = "https://www.googleapis.com/auth/calendar"
    emu.issue_refresh_token(ALICE, "test-client", scopes=[broad])
    emu.auto_consent_user = ALICE
    url = plugin.oauth_authorization_url(REDIRECT, SYSTEM)
    answer = requests.get(url, allow_redirects=False, timeout=10)
    creds = plugin.oauth_get_credentials(REDIRECT, SYSTEM, answer.headers["Location"])
    with emu.state.lock:
        granted = emu.state.access_tokens[creds["credentials"]["access_token"]].scopes
    assert sorted(granted) == sorted(SCOPES)
