"""The per-call entry point of the core: a transport plus per-account caches."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from gcal.dates.times import resolve_zone
from gcal.errors import InvalidInputError, NotFoundError, ReauthorizationRequiredError
from gcal.google.account_cache import ExpiringLRU
from gcal.google.credentials_check import (
    RECONNECT_MESSAGE,
    clean_credential,
    manual_credentials,
    require_usable_connection,
)
from gcal.google.oauth import OAuthClient, RefreshingTokenSource
from gcal.google.transport import CalendarTransport, calendar_path
from gcal.models import Viewer

# The calendar list (names, access roles, zones, which calendars are shown) changes rarely;
# caching it per account lets names and the user's zone resolve without a round trip. A stale
# entry only means Google itself refuses a write, and a name the cache does not know triggers a
# fresh fetch. Bounded in accounts and age: one process serves every user of the workspace.
CALENDAR_LIST_TTL = 300.0
MAX_CACHED_ACCOUNTS = 1000
_MAX_LIST_PAGES = 20
_KEPT_FIELDS = ("id", "summary", "summaryOverride", "timeZone", "accessRole", "primary",
                "hidden", "selected", "description", "backgroundColor")
_calendar_lists: ExpiringLRU[str, CalendarList] = ExpiringLRU(
    MAX_CACHED_ACCOUNTS, CALENDAR_LIST_TTL)


@dataclass(frozen=True)
class CalendarList:
    """The account's calendar-list entries (hidden ones included), as fetched at one time."""

    entries: tuple[dict, ...]
    fetched_at: float

    def find(self, calendar_id: str) -> dict | None:
        if calendar_id == "primary":
            return next((e for e in self.entries if e.get("primary")), None)
        wanted = calendar_id.casefold()
        return next((e for e in self.entries if str(e.get("id", "")).casefold() == wanted), None)


class CalendarClient:
    """Talks to one Google account. Cheap to build; caches live at module level per account."""

    def __init__(self, transport: CalendarTransport, account_key: str) -> None:
        self.transport = transport
        self._account_key = account_key

    def __repr__(self) -> str:
        return "CalendarClient(account=<redacted>)"

    def calendar_list(self, *, refresh: bool = False) -> CalendarList:
        """Every calendar-list entry of the account (`calendarList.list`, hidden included)."""
        cached = None if refresh else _calendar_lists.get(self._account_key)
        if cached is not None:
            return cached
        params: dict = {"maxResults": 250, "showHidden": "true"}
        entries: list[dict] = []
        path = calendar_path("users", "me", "calendarList")
        for _ in range(_MAX_LIST_PAGES):
            page = self.transport.get(path, params=params) or {}
            entries.extend({key: item[key] for key in _KEPT_FIELDS if key in item}
                           for item in page.get("items", []) if item.get("id"))
            token = page.get("nextPageToken")
            if not token:
                break
            params["pageToken"] = token
        fresh = CalendarList(tuple(entries), time.monotonic())
        _calendar_lists.put(self._account_key, fresh)
        return fresh

    def calendar_entry(self, calendar_id: str, *, parameter: str = "calendar_id") -> dict:
        """The list entry of one calendar (`primary` included); a calendar the cached list does
        not know is looked up in a fresh list once before NotFoundError."""
        if not calendar_id.strip():
            raise InvalidInputError(parameter, "must not be empty", "primary")
        calendars = self.calendar_list()
        entry = calendars.find(calendar_id)
        if entry is None and not self._just_fetched(calendars):
            entry = self.calendar_list(refresh=True).find(calendar_id)
        if entry is None:
            raise NotFoundError(
                f"No calendar {calendar_id!r} in your calendar list. list_calendars shows "
                "the calendars you can use.", status=404, reason="notFound")
        return entry

    @staticmethod
    def _just_fetched(calendars: CalendarList) -> bool:
        return time.monotonic() - calendars.fetched_at < 2.0

    def account_email(self) -> str:
        """The primary calendar's id, i.e. the user's email: the same for every token of the
        account (what idempotency keys and "who am I" are scoped to)."""
        return str(self.calendar_entry("primary").get("id") or "")

    def viewer(self) -> Viewer:
        """The user's email and own calendars, from the cached calendar list."""
        own = frozenset(str(e["id"]).casefold() for e in self.calendar_list().entries
                        if e.get("accessRole") == "owner")
        return Viewer(self.account_email(), own)

    def primary_time_zone(self) -> ZoneInfo:
        """The zone of the primary calendar: the user's own zone.

        `settings.get` needs a broader scope; the calendar list is covered by
        calendar.calendarlist.readonly.
        """
        return resolve_zone(self.calendar_entry("primary").get("timeZone")) or ZoneInfo("UTC")

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
