"""Validation of the manual credential (client ID, secret, refresh token) before Dify saves it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from gcal import oauth
from gcal.errors import InvalidInputError
from gcal.transport import CalendarTransport, calendar_path


def check_manual_credentials(credentials: Mapping[str, Any]) -> str:
    """A real token exchange, a scope check and one Calendar call; returns the user's zone."""
    values = {name: str(credentials.get(name) or "").strip()
              for name in ("client_id", "client_secret", "refresh_token")}
    for name, value in values.items():
        if not value:
            raise InvalidInputError(name, "is required for the manual connection")
    client = oauth.OAuthClient(values["client_id"], values["client_secret"])
    tokens = oauth.refresh(client, values["refresh_token"])
    oauth.require_scopes(tokens)
    transport = CalendarTransport(tokens.access_token)
    entry = transport.get(calendar_path("users", "me", "calendarList", "primary")) or {}
    return entry.get("timeZone") or "UTC"
