"""The per-call entry point of the core: a transport plus per-account caches."""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Mapping
from typing import Any
from zoneinfo import ZoneInfo

from gcal.credentials_check import (
    RECONNECT_MESSAGE,
    clean_credential,
    manual_credentials,
    require_usable_connection,
)
from gcal.errors import InvalidInputError, NotFoundError, ReauthorizationRequiredError
from gcal.oauth import OAuthClient, RefreshingTokenSource
from gcal.times import resolve_zone
from gcal.transport import CalendarTransport, calendar_path

# Calendar-list entries (access role, time zone) change rarely; caching them per account saves
# a round trip on almost every call. A stale role only means Google itself refuses the write.
_ENTRY_TTL = 600.0
_entry_cache: dict[tuple[str, str], tuple[float, dict]] = {}
_entry_lock = threading.Lock()


class CalendarClient:
    """Talks to one Google account. Cheap to build; caches live at module level per account."""

    def __init__(self, transport: CalendarTransport, account_key: str) -> None:
        self.transport = transport
        self._account_key = account_key

    def __repr__(self) -> str:
        return "CalendarClient(account=<redacted>)"

    def calendar_entry(self, calendar_id: str, *, parameter: str = "calendar_id") -> dict:
        """`calendarList.get`, cached per account (`primary` included)."""
        key = (self._account_key, calendar_id)
        with _entry_lock:
            cached = _entry_cache.get(key)
        if cached and cached[0] > time.monotonic():
            return cached[1]
        path = calendar_path("users", "me", "calendarList", calendar_id, parameter=parameter)
        entry = self.transport.get(path)
        self.remember_entry(entry or {}, alias=calendar_id)
        return entry or {}

    def remember_entry(self, entry: dict, *, alias: str | None = None) -> None:
        expiry = time.monotonic() + _ENTRY_TTL
        names = {alias, entry.get("id"), "primary" if entry.get("primary") else None}
        with _entry_lock:
            for name in names - {None}:
                _entry_cache[(self._account_key, name)] = (expiry, entry)

    def primary_time_zone(self) -> ZoneInfo:
        """The zone of the primary calendar: the user's own zone.

        `settings.get` needs a broader scope; `calendarList.get(primary)` is covered by
        calendar.calendarlist.readonly.
        """
        return ZoneInfo(self.calendar_entry("primary").get("timeZone") or "UTC")

    def calendar_zone(self, calendar_id: str) -> ZoneInfo:
        """A calendar's own zone (from its cached list entry), else the user's zone."""
        try:
            entry = self.calendar_entry(calendar_id)
        except NotFoundError:  # readable but not in the user's list (e.g. a public calendar)
            entry = {}
        return resolve_zone(entry.get("timeZone")) or self.primary_time_zone()

    def zone_or_primary(self, name: str | None, parameter: str = "time_zone") -> ZoneInfo:
        zone = resolve_zone(name, parameter=parameter)
        return zone if zone is not None else self.primary_time_zone()


def _account_key(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def client_from_credentials(
    credentials: Mapping[str, Any], credential_type: str | None
) -> CalendarClient:
    """Build a client from what Dify passes a tool: OAuth tokens or the manual credential."""
    require_usable_connection(credentials)
    if credential_type == "oauth2" or credentials.get("access_token"):
        access_token = clean_credential(credentials.get("access_token"))
        if not access_token:  # also when a host kept only the schema's keys of stale credentials
            raise ReauthorizationRequiredError(RECONNECT_MESSAGE)
        refresh_token = clean_credential(credentials.get("refresh_token"))
        return CalendarClient(
            CalendarTransport(access_token), _account_key(refresh_token or access_token)
        )
    manual = manual_credentials(credentials)
    if not all(manual.values()):
        raise InvalidInputError(
            "credentials",
            "the manual connection needs client ID, client secret and refresh token",
        )
    source = RefreshingTokenSource(
        OAuthClient(manual["client_id"], manual["client_secret"]), manual["refresh_token"]
    )
    return CalendarClient(CalendarTransport(source), _account_key(manual["refresh_token"]))
