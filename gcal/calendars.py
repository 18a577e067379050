"""Calendars the user can see, and turning what a model writes (ids, names, `all`) into ids."""

from __future__ import annotations

import re

from gcal.client import CalendarClient
from gcal.errors import InvalidInputError
from gcal.models import Calendar
from gcal.serializers import calendar_from_api
from gcal.transport import calendar_path

ACCESS_ROLES = ("freeBusyReader", "reader", "writer", "owner")
_MAX_PAGES = 20


def list_calendars(
    client: CalendarClient, *, min_access_role: str | None = None, show_hidden: bool = False
) -> list[Calendar]:
    params: dict = {"maxResults": 250, "showHidden": str(show_hidden).lower()}
    if min_access_role:
        params["minAccessRole"] = min_access_role
    calendars: list[Calendar] = []
    path = calendar_path("users", "me", "calendarList")
    for _ in range(_MAX_PAGES):
        page = client.transport.get(path, params=params) or {}
        for item in page.get("items", []):
            client.remember_entry(item)
            calendars.append(calendar_from_api(item))
        token = page.get("nextPageToken")
        if not token:
            break
        params["pageToken"] = token
    return calendars


def _split_names(spec: str | None) -> list[str]:
    """Calendar names may contain spaces, so only commas, semicolons and new lines separate."""
    items = [part.strip() for part in re.split(r"[,;\n]", spec or "")]
    return list(dict.fromkeys(item for item in items if item))


def _looks_like_id(text: str) -> bool:
    return text == "primary" or "@" in text or "#" in text


def resolve_calendar_ids(
    client: CalendarClient, spec: str | None, *, parameter: str = "calendar_ids"
) -> list[str]:
    """IDs need no lookup (one round trip saved); names and `all` read the calendar list."""
    wanted = _split_names(spec)
    if not wanted:
        return ["primary"]
    if len(wanted) == 1 and wanted[0].lower() == "all":
        return [c.id for c in list_calendars(client) if c.access_role != "freeBusyReader"]
    if all(_looks_like_id(item) for item in wanted):
        return wanted
    calendars = list_calendars(client, show_hidden=True)
    return [item if _looks_like_id(item) else _by_name(calendars, item, parameter).id
            for item in wanted]


def resolve_calendar_id(
    client: CalendarClient, spec: str | None, *, parameter: str = "calendar_id"
) -> str:
    text = (spec or "").strip()
    if not text:
        return "primary"
    if _looks_like_id(text):
        return text
    return _by_name(list_calendars(client, show_hidden=True), text, parameter).id


def _by_name(calendars: list[Calendar], name: str, parameter: str) -> Calendar:
    folded = name.casefold()
    exact = [c for c in calendars if c.summary.casefold() == folded or c.id.casefold() == folded]
    if len(exact) == 1:
        return exact[0]
    partial = [c for c in calendars if folded in c.summary.casefold()]
    if len(partial) == 1 and not exact:
        return partial[0]
    names = ", ".join(f'"{c.summary}"' for c in calendars[:15])
    problem = f'no calendar is named "{name}"' if not (exact or partial) else (
        f'"{name}" matches several calendars'
    )
    raise InvalidInputError(parameter, f"{problem}; known calendars: {names}", "primary")
