"""Validation of the manual credential (client ID, secret, refresh token) before Dify saves it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from gcal.client import client_from_credentials
from gcal.errors import InvalidInputError
from gcal.transport import calendar_path


def check_manual_credentials(credentials: Mapping[str, Any]) -> str:
    """A real token exchange plus one Calendar call; returns the primary calendar's zone."""
    for name in ("client_id", "client_secret", "refresh_token"):
        if not str(credentials.get(name) or "").strip():
            raise InvalidInputError(name, "is required for the manual connection")
    cleaned = {k: str(v).strip() for k, v in credentials.items() if isinstance(v, str)}
    client = client_from_credentials(cleaned, "api-key")
    entry = client.transport.get(calendar_path("users", "me", "calendarList", "primary")) or {}
    return entry.get("timeZone") or "UTC"
