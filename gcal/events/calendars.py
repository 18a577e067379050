"""Calendars the user can see, and turning what a model writes (ids, names, `all`) into ids.

Which calendars a read covers when none are named follows Google Calendar's own UI: the
calendars the user shows there (`selected` in the calendar list, hidden ones excluded). The
calendars that make the user busy are the primary calendar plus the other shown calendars the
user owns or can write; subscriptions they can only read (holidays, colleagues' calendars) do
not block their time.

Names: an exact name (case-insensitive) or id always wins. A read may also use a unique prefix
of a name, and the answer says which calendar was used ("Fam → Family"); a write never guesses:
it fails and lists the candidates.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from enum import Enum

from gcal.errors import InvalidInputError
from gcal.google.client import CalendarClient
from gcal.google.serializers import calendar_from_api
from gcal.models import Calendar

ACCESS_ROLES = ("freeBusyReader", "reader", "writer", "owner")
_ROLE_RANK = {role: rank for rank, role in enumerate(ACCESS_ROLES)}


class Default(Enum):
    """What an empty calendar parameter means for a tool."""

    SHOWN = "the calendars you show in Google Calendar"
    BUSY = "your calendars that make you busy"


@dataclass(frozen=True)
class CalendarChoice:
    ids: list[str]
    notes: list[str] = field(default_factory=list)  # e.g. 'calendar "Fam" → "Family"'
    names: dict[str, str] = field(default_factory=dict)  # id -> name shown to people


def list_calendars(
    client: CalendarClient, *, min_access_role: str | None = None, show_hidden: bool = False,
    refresh: bool = True,
) -> list[Calendar]:
    """The account's calendars; `list_calendars` asks Google afresh (and refills the cache)."""
    minimum = _ROLE_RANK.get(min_access_role or "freeBusyReader", 0)
    calendars = [calendar_from_api(entry)
                 for entry in client.calendar_list(refresh=refresh).entries]
    return [c for c in calendars
            if _ROLE_RANK.get(c.access_role, 0) >= minimum and (show_hidden or not c.hidden)]


def shown_calendars(calendars: list[Calendar]) -> list[Calendar]:
    return [c for c in calendars if _readable(c) and (c.primary or (c.selected and not c.hidden))]


def busy_calendars(calendars: list[Calendar]) -> list[Calendar]:
    return [c for c in calendars if c.primary or (c.writable and c.selected and not c.hidden)]


def _readable(calendar: Calendar) -> bool:
    return calendar.access_role != "freeBusyReader"


def _split_names(spec: str | None) -> list[str]:
    """Calendar names may contain spaces, so only commas, semicolons and new lines separate."""
    items = [part.strip() for part in re.split(r"[,;\n]", spec or "")]
    return list(dict.fromkeys(item for item in items if item))


def resolve_calendar_ids(
    client: CalendarClient,
    spec: str | None,
    *,
    parameter: str = "calendar_ids",
    default: Default = Default.SHOWN,
) -> CalendarChoice:
    """Ids, names (exact, or a unique prefix), `primary`, `all`, or the tool's default.

    `all` means every calendar the default draws from, shown or not: all readable calendars
    for listings, all calendars the user owns or can write for busy time.
    """
    calendars = list_calendars(client, show_hidden=True, refresh=False)
    wanted = _split_names(spec)
    if not wanted:
        return _choice(_defaults(calendars, default))
    if len(wanted) == 1 and wanted[0].casefold() == "all":
        return _choice(_everything(calendars, default))
    chosen: list[Calendar] = []
    notes: list[str] = []
    for item in wanted:
        calendar, note = _resolve(client, calendars, item, parameter, allow_prefix=True)
        chosen.append(calendar)
        notes.extend([note] if note else [])
    return _choice(list({c.id: c for c in chosen}.values()), notes)


def resolve_calendar_id(
    client: CalendarClient, spec: str | None, *, parameter: str = "calendar_id",
    allow_prefix: bool = False,
) -> str:
    """One calendar by id or exact name (default: primary); writes never match a prefix."""
    return resolve_calendar(client, spec, parameter=parameter, allow_prefix=allow_prefix).ids[0]


def resolve_calendar(
    client: CalendarClient, spec: str | None, *, parameter: str = "calendar_id",
    allow_prefix: bool = False,
) -> CalendarChoice:
    text = (spec or "").strip()
    if not text or text == "primary":
        return CalendarChoice(["primary"])
    calendars = list_calendars(client, show_hidden=True, refresh=False)
    calendar, note = _resolve(client, calendars, text, parameter, allow_prefix=allow_prefix)
    return _choice([calendar], [note] if note else [])


def _choice(calendars: list[Calendar], notes: list[str] | None = None) -> CalendarChoice:
    return CalendarChoice([c.id for c in calendars], notes or [],
                          {c.id: c.summary for c in calendars})


def _defaults(calendars: list[Calendar], default: Default) -> list[Calendar]:
    chosen = busy_calendars(calendars) if default is Default.BUSY else shown_calendars(calendars)
    return chosen or [_primary_stand_in()]


def _everything(calendars: list[Calendar], default: Default) -> list[Calendar]:
    if default is Default.BUSY:
        chosen = [c for c in calendars if c.primary or (c.writable and not c.hidden)]
    else:
        chosen = [c for c in calendars if _readable(c) and (c.primary or not c.hidden)]
    return chosen or [_primary_stand_in()]


def _primary_stand_in() -> Calendar:
    return Calendar(id="primary", summary="primary", time_zone=None, access_role="owner",
                    primary=True)


def _resolve(
    client: CalendarClient, calendars: list[Calendar], text: str, parameter: str, *,
    allow_prefix: bool,
) -> tuple[Calendar, str | None]:
    """The calendar `text` names. The cached list is refetched once before giving up."""
    found = _match(calendars, text, parameter, allow_prefix)
    if found is None:
        calendars = list_calendars(client, show_hidden=True, refresh=True)
        found = _match(calendars, text, parameter, allow_prefix)
    if found is not None:
        return found
    if text == "primary" or "@" in text or "#" in text:
        # Not in the list, but it looks like an id (e.g. a public calendar): let Google decide.
        return Calendar(id=text, summary=text, time_zone=None, access_role="reader"), None
    raise _unknown(calendars, text, parameter, allow_prefix)


def _match(
    calendars: list[Calendar], text: str, parameter: str, allow_prefix: bool
) -> tuple[Calendar, str | None] | None:
    folded = text.casefold()
    if folded == "primary":  # kept as written: every Calendar API call accepts it
        primary = next((c for c in calendars if c.primary), None)
        return (replace(primary, id="primary"), None) if primary else None
    exact = [c for c in calendars if folded in (c.id.casefold(), c.summary.casefold())]
    if len(exact) == 1:
        return exact[0], None
    if len(exact) > 1:
        raise InvalidInputError(
            parameter, f'"{text}" is the name of several calendars ({_listed(exact)}); '
            "use the calendar id instead", exact[0].id)
    if allow_prefix:
        starts = [c for c in calendars if c.summary.casefold().startswith(folded)]
        if len(starts) == 1:
            return starts[0], f'calendar "{text}" → "{starts[0].summary}"'
    return None


def _unknown(
    calendars: list[Calendar], text: str, parameter: str, allow_prefix: bool
) -> InvalidInputError:
    folded = text.casefold()
    similar = [c for c in calendars if folded in c.summary.casefold()]
    if similar:
        problem = (f'no calendar is named exactly "{text}"; candidates: {_listed(similar)}' +
                   ("" if allow_prefix else " (writes need the exact name or id)"))
        return InvalidInputError(parameter, problem, similar[0].summary)
    if is_calendar_alias(text):
        return _alias_error(calendars, text, parameter)
    names = _listed([c for c in calendars if not c.hidden][:15])
    return InvalidInputError(parameter, f'no calendar is named "{text}"; your calendars: '
                             f"{names}", "primary")


def _listed(calendars: list[Calendar]) -> str:
    return ", ".join(f'"{c.summary}" ({c.id})' for c in calendars)


def _alias_error(calendars: list[Calendar], text: str, parameter: str) -> InvalidInputError:
    """A listing's label passed as a calendar: name the calendar it stands for, or none."""
    number = int(text[1:])
    problem = (f'"{text}" is a short label from a listing\'s "Calendars:" legend, not a '
               "calendar id")
    if 1 <= number <= len(calendars):
        meant = calendars[number - 1]
        return InvalidInputError(parameter, f'{problem}; it stands for "{meant.summary}": pass '
                                 "its id", meant.id)
    return InvalidInputError(parameter, f"{problem}; pass the [id] the legend gives for it")


def calendar_aliases(
    calendar_ids: list[str], account_order: list[str] | None = None
) -> dict[str, str]:
    """Short names (c1, c2, …) a multi-calendar listing uses on each line instead of the id.

    c<n> is the calendar's place in the account's calendar list (`account_order`), so a label
    means the same calendar in every answer and an error can say which one it was; calendars
    not in that list are numbered after it.
    """
    order = list(account_order or [])
    numbers = {cal: n for n, cal in enumerate(
        [*order, *(cal for cal in calendar_ids if cal not in order)], 1)}
    return {cal: f"c{numbers[cal]}" for cal in calendar_ids}


PRIMARY_ALIAS = ""  # primary lines carry no label: it is every event tool's default calendar


def listing_aliases(client: CalendarClient, calendar_ids: list[str]) -> dict[str, str]:
    """`calendar_aliases` numbered by the account's (cached) calendar list; the primary
    calendar gets PRIMARY_ALIAS, saving a label on what is usually most lines."""
    calendars = list_calendars(client, show_hidden=True, refresh=False)
    primary = next((c.id for c in calendars if c.primary), "primary")
    order = [c.id for c in calendars]
    aliases = calendar_aliases([primary if cal == "primary" else cal for cal in calendar_ids],
                               order)
    return {cal: PRIMARY_ALIAS if cal in (primary, "primary") else aliases[cal]
            for cal in calendar_ids}


def is_calendar_alias(text: str) -> bool:
    """`text` has the form of a `calendar_aliases` short name (c1, c2, …)."""
    return _ALIAS.fullmatch(text) is not None


_ALIAS = re.compile(r"c\d{1,3}", re.IGNORECASE)
