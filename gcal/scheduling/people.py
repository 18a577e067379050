"""Who takes part in a search, in which zone, with which working hours and holidays.

A person's zone comes from, in order: the call (``attendee_time_zones``), the person's
calendar in the user's calendar list (its ``timeZone``; Google lists a calendar shared
free/busy-only there too), else it is unknown and the user's zone is assumed (the answer
says for whom). Meeting rooms (resource calendars) have free/busy but no working hours.
"""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from gcal.dates.times import resolve_zone
from gcal.errors import InvalidInputError
from gcal.google.client import CalendarClient
from gcal.params import split_list
from gcal.scheduling.countries import HOLIDAYS_EXAMPLE, holiday_calendar_id, zone_holiday_calendar
from gcal.scheduling.holidays import shown_holiday_ids
from gcal.scheduling.slots import HOURS_EXAMPLE, SlotRules, WorkingHours, parse_working_hours

ZONES_EXAMPLE = "ann@example.com=Europe/Berlin, ken@example.com=Asia/Tokyo"
HOURS_PAIR_EXAMPLE = f"ken@example.com={HOURS_EXAMPLE}"
_PAIR = re.compile(r"^\s*([^\s=:]+@[^\s=:]+)\s*[=:]\s*(.+?)\s*$")
_ROOM_SUFFIX = "resource.calendar.google.com"


class ZoneSource:
    YOURS = "your zone"
    CALL = "given"
    CALENDAR_LIST = "calendar list"
    ASSUMED = "assumed"


@dataclass(frozen=True)
class Person:
    email: str
    zone: ZoneInfo
    zone_source: str
    hours: WorkingHours
    holiday_calendar: str | None = None  # whose public holidays are this person's days off
    is_user: bool = False


@dataclass(frozen=True)
class PerPerson:
    """What the call says about individual people (keys case-folded)."""

    zones: Mapping[str, ZoneInfo]
    hours: Mapping[str, WorkingHours]
    holidays: Mapping[str, str]

    @property
    def asked(self) -> bool:
        return bool(self.zones or self.hours or self.holidays)


def parse_per_person(zones: Any, hours: Any, holidays: Any) -> PerPerson:
    return PerPerson(
        {k: resolve_zone(v, parameter="attendee_time_zones")
         for k, v in _pairs(zones, "attendee_time_zones", ZONES_EXAMPLE)},
        {k: _hours(v) for k, v in _pairs(hours, "attendee_working_hours",
                                         HOURS_PAIR_EXAMPLE)},
        {k: holiday_calendar_id(v) for k, v in _pairs(holidays, "attendee_holidays",
                                                      HOLIDAYS_EXAMPLE)},
    )


def _hours(text: str) -> WorkingHours:
    try:
        return parse_working_hours(text)
    except InvalidInputError as error:
        raise InvalidInputError("attendee_working_hours", error.message.split(": ", 1)[-1],
                                HOURS_PAIR_EXAMPLE) from None


def _pairs(value: Any, parameter: str, example: str) -> list[tuple[str, str]]:
    """``a@x.com=value, b@y.com=value`` (``:`` also separates; a JSON object too)."""
    if isinstance(value, str) and value.strip().startswith("{"):
        with contextlib.suppress(ValueError):
            value = json.loads(value)
    if isinstance(value, Mapping):
        return [(str(k).strip().casefold(), str(v)) for k, v in value.items()]
    pairs = []
    for item in split_list(value, whitespace=False):
        match = _PAIR.match(item)
        if not match:
            raise InvalidInputError(parameter, f"{item!r} is not email=value", example)
        pairs.append((match.group(1).casefold(), match.group(2)))
    return pairs


def check_named(per_person: PerPerson, known: Iterable[str]) -> None:
    """Every person the per-person parameters name must be searched for."""
    names = {name.casefold() for name in known}
    for parameter, given, example in (
            ("attendee_time_zones", per_person.zones, ZONES_EXAMPLE),
            ("attendee_working_hours", per_person.hours, HOURS_PAIR_EXAMPLE),
            ("attendee_holidays", per_person.holidays, HOLIDAYS_EXAMPLE)):
        strangers = [email for email in given if email not in names]
        if strangers:
            raise InvalidInputError(
                parameter, f"names {', '.join(strangers)}, who is not in attendees; add them "
                "to attendees or leave them out here", example)


def resolve_people(
    user_email: str, user_zone: ZoneInfo, hours: WorkingHours, attendees: Sequence[str],
    per_person: PerPerson, calendar_entries: Sequence[Mapping[str, Any]],
    shown_holiday_calendars: Iterable[str],
) -> list[Person]:
    """The user first, then each attendee who is a person (rooms have no hours)."""
    listed = {str(e.get("id", "")).casefold(): e for e in calendar_entries}
    shown = set(shown_holiday_calendars)
    people = [_person(user_email, user_zone, ZoneSource.YOURS, hours, per_person, shown,
                      is_user=True)]
    for email in attendees:
        key = email.casefold()
        if key == user_email.casefold() or key.endswith(_ROOM_SUFFIX):
            continue
        zone, source = _zone(key, per_person, listed.get(key), user_zone)
        people.append(_person(email, zone, source, hours, per_person, shown))
    return people


def _person(email: str, zone: ZoneInfo, source: str, hours: WorkingHours,
            per_person: PerPerson, shown: set[str], *, is_user: bool = False) -> Person:
    key = email.casefold()
    zone = per_person.zones.get(key, zone)
    if key in per_person.zones:
        source = ZoneSource.CALL if not is_user else source
    holidays = per_person.holidays.get(key)
    if holidays is None and not is_user and source != ZoneSource.ASSUMED:
        # The user shows this country's holidays: they are this person's days off.
        own = zone_holiday_calendar(zone)
        holidays = own if own in shown else None
    return Person(email, zone, source, per_person.hours.get(key, hours), holidays, is_user)


def _zone(key: str, per_person: PerPerson, entry: Mapping[str, Any] | None,
          user_zone: ZoneInfo) -> tuple[ZoneInfo, str]:
    if key in per_person.zones:
        return per_person.zones[key], ZoneSource.CALL
    listed = resolve_zone(str((entry or {}).get("timeZone") or "")) if entry else None
    if listed is not None:
        return listed, ZoneSource.CALENDAR_LIST
    return user_zone, ZoneSource.ASSUMED


def assumed(people: Sequence[Person]) -> list[str]:
    return [p.email for p in people if p.zone_source == ZoneSource.ASSUMED]


def differ(people: Sequence[Person]) -> bool:
    """Whether anyone's working time differs from the user's (zone, hours or holidays)."""
    user = people[0]
    return any((p.zone.key, p.hours, p.holiday_calendar) != (user.zone.key, user.hours,
                                                             user.holiday_calendar)
               for p in people[1:])



def people_of(client: CalendarClient, rules: SlotRules, attendees: Sequence[str],
              per_person: PerPerson) -> list[Person]:
    """The people of a search; their zones from the call or the (cached) calendar list."""
    user_email = client.account_email()
    check_named(per_person, [user_email, *attendees])
    people = resolve_people(user_email, rules.zone, rules.hours, attendees, per_person,
                            client.calendar_list().entries, shown_holiday_ids(client))
    for person in people:
        if rules.duration > person.hours.length:
            raise InvalidInputError(
                "duration_minutes" if person.is_user else "attendee_working_hours",
                f"the meeting does not fit in {person.email}'s working hours {person.hours}",
                str(int(person.hours.length.total_seconds() // 60)))
    return people
