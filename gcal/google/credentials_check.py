"""The credentials Dify hands the plugin: one normalisation, the manual-credential check, and
the marker for a connection Google no longer accepts."""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from gcal.errors import InvalidInputError, OAuthError, ReauthorizationRequiredError
from gcal.google import oauth
from gcal.google.transport import CalendarTransport, calendar_path

MANUAL_FIELDS = ("client_id", "client_secret", "refresh_token")

# Set by the provider when Google answers invalid_grant to a refresh (see stale_oauth_credentials).
REAUTHORIZATION_MARK = "reauthorization_required"
# Dify refreshes when `expires_at - 60 < now` (api/core/tools/tool_manager.py, OAuth branch of
# get_tool_runtime): this makes it try the refresh again about four minutes later.
REAUTHORIZATION_RETRY_SECONDS = 300

RECONNECT_MESSAGE = (
    "Google no longer accepts this Google Calendar connection (invalid_grant: revoked or "
    "expired). Reconnect in Dify: Tools → Google Calendar → remove this authorization, then "
    "Add authorization → OAuth. An OAuth app left in \"Testing\" in Google Cloud Console loses "
    "its grants after 7 days: publish it."
)


# What was just typed into the manual form is judged as typed, not as an expired connection.
# Google's access tokens start "ya29."; its refresh tokens "1//".
ACCESS_TOKEN_PREFIX = "ya29."
PLAYGROUND_HINT = ("copy it whole from the OAuth Playground after ticking \"Use your own OAuth "
                   "credentials\" with this client ID and secret")
NOT_A_REFRESH_TOKEN = ("this is an access token (ya29…), not a refresh token (1//…); "
                       + PLAYGROUND_HINT)
REFUSED_REFRESH_TOKEN = ("Google refused it for this client ID and secret (invalid_grant); "
                         + PLAYGROUND_HINT)
OTHER_CLIENTS_REFRESH_TOKEN = ("it was issued to another OAuth client (unauthorized_client); "
                               + PLAYGROUND_HINT)


def clean_credential(value: Any) -> str:
    """Pasted secrets often carry a trailing newline or stray spaces; Google refuses them."""
    return str(value or "").strip()


def manual_credentials(credentials: Mapping[str, Any]) -> dict[str, str]:
    """Client ID, secret and refresh token, normalised the same way for validation and tools."""
    return {name: clean_credential(credentials.get(name)) for name in MANUAL_FIELDS}


def check_manual_credentials(credentials: Mapping[str, Any]) -> str:
    """A real token exchange, a scope check and one Calendar call; returns the user's zone."""
    values = manual_credentials(credentials)
    for name, value in values.items():
        if not value:
            raise InvalidInputError(name, "is required for the manual connection")
    refresh_token = values["refresh_token"]
    if refresh_token.startswith(ACCESS_TOKEN_PREFIX):
        raise InvalidInputError("refresh_token", NOT_A_REFRESH_TOKEN)
    client = oauth.OAuthClient(values["client_id"], values["client_secret"])
    try:
        tokens = oauth.refresh(client, refresh_token)
    except ReauthorizationRequiredError:
        raise InvalidInputError("refresh_token", REFUSED_REFRESH_TOKEN) from None
    except OAuthError as exc:
        if exc.error != "unauthorized_client":
            raise
        raise InvalidInputError("refresh_token", OTHER_CLIENTS_REFRESH_TOKEN) from None
    oauth.require_scopes(tokens)
    transport = CalendarTransport(tokens.access_token)
    entry = transport.get(calendar_path("users", "me", "calendarList", "primary")) or {}
    return entry.get("timeZone") or "UTC"


def stale_oauth_credentials(
    refresh_token: str, *, now: float | None = None
) -> tuple[dict[str, str], int]:
    """Credentials (and expires_at) to hand Dify when Google refuses the refresh token.

    Raising instead would make an agent app silently drop every tool of the plugin (Dify's
    `_init_prompt_tools` swallows the refresh error), so nobody would learn to reconnect.
    The refresh token is kept so Dify's later retry uses the same grant.
    """
    expires_at = int((time.time() if now is None else now) + REAUTHORIZATION_RETRY_SECONDS)
    credentials = {
        "access_token": "",
        "refresh_token": refresh_token,
        REAUTHORIZATION_MARK: "invalid_grant",
    }
    return credentials, expires_at


def require_usable_connection(credentials: Mapping[str, Any]) -> None:
    """Fail at once, before any Google request, on a connection marked as needing a reconnect."""
    if credentials.get(REAUTHORIZATION_MARK):
        raise ReauthorizationRequiredError(RECONNECT_MESSAGE, error="invalid_grant")
