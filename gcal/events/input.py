"""Write parameters (as a model or workflow passes them) → validated parts of a Google event.

Everything here runs before the first request, so bad input never leaves a half-done change.
Times need the target zone and are resolved later (``TimeInput.new_span`` / ``revise``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from gcal.dates.recurrence import parse_recurrence
from gcal.dates.times import (
    TIME_EXAMPLE,
    TimeValue,
    day_start,
    localize,
    parse_rfc3339,
    parse_time,
    resolve_zone,
    to_rfc3339,
)
from gcal.errors import EVENT_ID_EXAMPLE, InvalidInputError
from gcal.events.event_types import TypeInput, default_title, parse_type_input
from gcal.google.serializers import COLOR_NAMES
from gcal.params import choice, parse_emails, to_bool, to_int, to_str

DEFAULT_DURATION = timedelta(minutes=60)
MAX_DURATION_MINUTES = 60 * 24 * 366
SEND_UPDATES = ("all", "externalOnly", "none")
SCOPES = ("instance", "following", "series")
VISIBILITIES = ("default", "public", "private", "confidential")
SHOW_AS = {"busy": "opaque", "free": "transparent", "opaque": "opaque",
           "transparent": "transparent"}
# guest_permissions names → Google's flags. As in Google Calendar's event editor, letting
# guests modify the event lets them invite others and see the guest list too.
GUEST_PERMISSIONS = {
    "modify": ("guestsCanModify", "guestsCanInviteOthers", "guestsCanSeeOtherGuests"),
    "invite_others": ("guestsCanInviteOthers",),
    "see_guests": ("guestsCanSeeOtherGuests",),
}
_PERMISSION_NAMES = {"modify": "modify", "edit": "modify", "invite_others": "invite_others",
                     "invite": "invite_others", "see_guests": "see_guests",
                     "see_guest_list": "see_guests", "see_other_guests": "see_guests"}
_PERMISSIONS_EXAMPLE = "invite_others, see_guests"
# A PATCH merges nested objects (only arrays are replaced), so going back to the calendar's
# default reminders must empty the stored overrides too, or Google refuses the event:
# https://developers.google.com/calendar/api/guides/performance#patch
DEFAULT_REMINDERS = {"useDefault": True, "overrides": []}
# update_event's clear_fields: what each name resets in a PATCH body (null clears in PATCH).
CLEARABLE = {
    "description": {"description": None},
    "location": {"location": None},
    "attendees": {"attendees": []},
    "recurrence": {"recurrence": None},
    "reminders": {"reminders": DEFAULT_REMINDERS},
    "color": {"colorId": None},
    "google_meet": {"conferenceData": None},
}
_REMINDER = re.compile(
    r"(?:(popup|email|notification|alert|mail)\s*[:=\s]\s*)?(\d+)\s*"
    r"(m|min|mins|minutes?|h|hr|hrs|hours?|d|days?|w|weeks?)?"
)
_UNIT_MINUTES = {"m": 1, "h": 60, "d": 1440, "w": 10080}
_REMINDER_EXAMPLE = "popup:10, email:1440"
_MAX_REMINDER_MINUTES = 40320


# ----------------------------------------------------------------------------- times


@dataclass(frozen=True)
class Span:
    """A validated time range: timed (aware instants) or all-day (dates, end exclusive)."""

    start: datetime | date
    end: datetime | date
    zone: ZoneInfo

    @property
    def all_day(self) -> bool:
        return not isinstance(self.start, datetime)

    def body(self) -> dict:
        """Google's start/end; timed events always carry the IANA zone (recurrence needs it)."""
        if self.all_day:
            return {"start": {"date": self.start.isoformat()},
                    "end": {"date": self.end.isoformat()}}
        return {
            "start": {"dateTime": to_rfc3339(self.start.astimezone(self.zone)),
                      "timeZone": self.zone.key},
            "end": {"dateTime": to_rfc3339(self.end.astimezone(self.zone)),
                    "timeZone": self.zone.key},
        }

    def patch_body(self) -> dict:
        """`body()` for a PATCH: Google merges nested objects, so the other kind of time
        (`date` vs `dateTime`) must be cleared explicitly or it survives and Google refuses
        the event ("Invalid start time")."""
        cleared = ({"dateTime": None, "timeZone": None} if self.all_day else {"date": None})
        return {key: {**cleared, **value} for key, value in self.body().items()}

    def in_zone(self, zone: ZoneInfo) -> Span:
        """The same span kept in another zone (all-day dates do not move)."""
        if self.all_day:
            return Span(self.start, self.end, zone)
        return Span(self.start.astimezone(zone), self.end.astimezone(zone), zone)

    def instants(self) -> tuple[datetime, datetime]:
        if self.all_day:
            return day_start(self.start, self.zone), day_start(self.end, self.zone)
        return self.start, self.end  # type: ignore[return-value]

    def length(self) -> timedelta:
        if self.all_day:
            return self.end - self.start
        return _elapsed(self.start, self.end)  # type: ignore[arg-type]


def _elapsed(start: datetime, end: datetime) -> timedelta:
    # Aware datetimes sharing one tzinfo subtract as wall-clock times: compare in UTC.
    return end.astimezone(UTC) - start.astimezone(UTC)


def _after(moment: datetime, delta: timedelta, zone: ZoneInfo) -> datetime:
    """``delta`` of real time later (a 60-minute meeting lasts 60 minutes across DST)."""
    return (moment.astimezone(UTC) + delta).astimezone(zone)


@dataclass(frozen=True)
class TimeInput:
    start: str | None = None
    end: str | None = None
    duration_minutes: int | None = None
    all_day: bool | None = None

    @property
    def given(self) -> bool:
        return bool(self.start or self.end or self.duration_minutes is not None
                    or self.all_day is not None)

    def new_span(self, zone: ZoneInfo, *, now: datetime | None = None) -> Span:
        if not self.start:
            raise InvalidInputError("start", "is required", TIME_EXAMPLE)
        start = parse_time(self.start, zone=zone, parameter="start", now=now)
        all_day = start.is_date if self.all_day is None else self.all_day
        return self._span(start, all_day, zone, now, kept=None)

    def revise(self, current: Span, zone: ZoneInfo, *, now: datetime | None = None) -> Span:
        """The span after an update: a moved start keeps the duration unless end is given."""
        if self.start:
            start = parse_time(self.start, zone=zone, parameter="start", now=now)
        else:
            start = (TimeValue(day=current.start) if current.all_day
                     else TimeValue(instant=current.start))  # type: ignore[arg-type]
        all_day = self.all_day
        if all_day is None:
            all_day = start.is_date if self.start else current.all_day
        return self._span(start, all_day, zone, now, kept=_kept_length(current, all_day, zone))

    def _span(self, start: TimeValue, all_day: bool, zone: ZoneInfo, now, kept) -> Span:
        if all_day:
            first = start.day if start.day else start.instant.astimezone(zone).date()
            last = self._last_day(first, zone, now, kept)
            return Span(first, last + timedelta(days=1), zone)
        if start.instant is None:
            raise InvalidInputError(
                "start", f"{self.start or start.day.isoformat()!r} has no time of day; give a "
                "time (all_day is false; a date alone makes an all-day event)", TIME_EXAMPLE)
        begin = start.instant.astimezone(zone)
        return Span(begin, self._timed_end(begin, zone, now, kept), zone)

    def _timed_end(self, begin: datetime, zone: ZoneInfo, now, kept) -> datetime:
        if self.end:
            end = parse_time(self.end, zone=zone, parameter="end", now=now)
            if end.instant is None:
                raise InvalidInputError("end", f"{self.end!r} has no time of day but the event "
                                        "has a start time; give an end time",
                                        "2026-03-10T16:00")
            finish = end.instant.astimezone(zone)
            self._check_duration_agrees(begin, finish)
        elif self.duration_minutes is not None:
            finish = _after(begin, timedelta(minutes=self.duration_minutes), zone)
        else:
            finish = _after(begin, kept if isinstance(kept, timedelta) else DEFAULT_DURATION,
                            zone)
        if _elapsed(begin, finish) <= timedelta(0):
            raise InvalidInputError(
                "end", f"{to_rfc3339(finish)} is not after start {to_rfc3339(begin)}",
                to_rfc3339(_after(begin, DEFAULT_DURATION, zone)))
        return finish

    def _check_duration_agrees(self, begin: datetime, finish: datetime) -> None:
        if self.duration_minutes is None:
            return
        if _elapsed(begin, finish) != timedelta(minutes=self.duration_minutes):
            raise InvalidInputError(
                "duration_minutes", f"{self.duration_minutes} disagrees with end {self.end!r}; "
                "give either end or duration_minutes", "60")

    def _last_day(self, first: date, zone: ZoneInfo, now, kept) -> date:
        if self.end:
            end = parse_time(self.end, zone=zone, parameter="end", now=now)
            last = end.day if end.day else end.instant.astimezone(zone).date()
        elif self.duration_minutes is not None:
            if self.duration_minutes % 1440:
                raise InvalidInputError(
                    "duration_minutes", "an all-day event lasts whole days: use a multiple of "
                    "1440, or give end as the last day (inclusive)", "2880")
            last = first + timedelta(days=self.duration_minutes // 1440 - 1)
        else:
            last = first + timedelta(days=kept if isinstance(kept, int) else 0)
        if last < first:
            raise InvalidInputError(
                "end", f"last day {last.isoformat()} is before the first day "
                f"{first.isoformat()} (for all-day events end is the last day, inclusive)",
                first.isoformat())
        return last


def _kept_length(current: Span, all_day: bool, zone: ZoneInfo) -> timedelta | int | None:
    """The current length in the new kind: a timedelta (timed) or extra days (all-day)."""
    if all_day and current.all_day:
        return (current.end - current.start).days - 1
    if all_day:
        start, end = (t.astimezone(zone) for t in current.instants())
        last = (end - timedelta(microseconds=1)).date()
        return max(0, (last - start.date()).days)
    return None if current.all_day else current.length()


def span_of(item: Mapping[str, Any], fallback: ZoneInfo) -> Span:
    """The span of a Google event resource, in its own zone (else ``fallback``)."""
    start, end = item.get("start") or {}, item.get("end") or {}
    zone = resolve_zone(start.get("timeZone")) or fallback
    if "date" in start:
        return Span(date.fromisoformat(start["date"]), date.fromisoformat(end["date"]), zone)
    return Span(parse_rfc3339(start["dateTime"]).astimezone(zone),
                parse_rfc3339(end["dateTime"]).astimezone(zone), zone)


def shifted_series(master: Span, instance: Span, moved: Span) -> Span:
    """Apply an instance's move to the series: same wall-clock shift, the new duration."""
    if moved.all_day != master.all_day:
        raise InvalidInputError(
            "all_day", "a recurring series cannot switch between all-day and timed; delete it "
                       "and create a new series", "false")
    if master.all_day:
        start = master.start + (moved.start - instance.start)
        return Span(start, start + moved.length(), master.zone)
    zone = master.zone
    wall_shift = _wall(moved.start, zone) - _wall(instance.start, zone)
    start = localize(_wall(master.start, zone) + wall_shift, zone)
    return Span(start, _after(start, moved.length(), zone), zone)


def _wall(moment: datetime, zone: ZoneInfo) -> datetime:
    return moment.astimezone(zone).replace(tzinfo=None)


# ----------------------------------------------------------------------------- fields


@dataclass
class EventFields:
    """Validated write parameters; ``simple`` holds ready Google fields (no times/guests)."""

    times: TimeInput
    zone: ZoneInfo | None
    simple: dict = field(default_factory=dict)
    attendees: list[str] | None = None
    optional_attendees: list[str] | None = None
    add_attendees: list[str] = field(default_factory=list)
    remove_attendees: list[str] = field(default_factory=list)
    recurrence: list[str] | None = None
    add_meet: bool = False
    send_updates: str | None = None
    scope: str = "instance"
    cleared: dict = field(default_factory=dict)
    types: TypeInput = field(default_factory=TypeInput)


def parse_event_fields(params: Mapping[str, Any], *, update: bool = False) -> EventFields:
    summary = to_str(params.get("summary"), "summary", max_length=1024)
    types = parse_type_input(params)
    if not update and not summary:
        summary = default_title(types)
    if not update and not summary:
        raise InvalidInputError("summary", "is required and must not be empty",
                                "Project kickoff")
    fields = EventFields(
        times=TimeInput(
            start=to_str(params.get("start"), "start"),
            end=to_str(params.get("end"), "end"),
            duration_minutes=to_int(params.get("duration_minutes"), "duration_minutes",
                                    minimum=1, maximum=MAX_DURATION_MINUTES),
            all_day=_all_day(params),
        ),
        zone=resolve_zone(to_str(params.get("time_zone"), "time_zone")),
        attendees=_emails(params, "attendees"),
        optional_attendees=_emails(params, "optional_attendees"),
        recurrence=parse_recurrence(params.get("recurrence")),
        add_meet=bool(to_bool(params.get("add_google_meet"), "add_google_meet",
                              default=False)),
        send_updates=parse_send_updates(params),
        types=types,
    )
    fields.simple = _simple_fields(params, summary)
    if update:
        _parse_update_only(params, fields)
    return fields


def _emails(params: Mapping[str, Any], name: str) -> list[str] | None:
    value = params.get(name)
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    return parse_emails(value, name)


def _simple_fields(params: Mapping[str, Any], summary: str | None) -> dict:
    simple: dict[str, Any] = {
        "summary": summary,
        "description": to_str(params.get("description"), "description", max_length=8192),
        "location": to_str(params.get("location"), "location", max_length=1024),
        "reminders": parse_reminders(params.get("reminders")),
        "colorId": parse_color(params.get("color")),
        "visibility": choice(params.get("visibility"), "visibility", VISIBILITIES),
        "transparency": choice(params.get("show_as"), "show_as", SHOW_AS),
    }
    simple.update(parse_guest_permissions(params.get("guest_permissions")))
    return {key: value for key, value in simple.items() if value is not None}


def _all_day(params: Mapping[str, Any]) -> bool | None:
    """Only true forces all-day. Dify turns a boolean a model sent empty into false, so false
    means "not specified": the kind then follows start (a date, or a time of day)."""
    return True if to_bool(params.get("all_day"), "all_day") else None


def parse_guest_permissions(value: Any) -> dict[str, bool]:
    """``modify, invite_others, see_guests`` or ``none`` → all three Google flags; "" → {}."""
    text = to_str(value, "guest_permissions")
    if not text:
        return {}
    names = [part.strip().lower().replace(" ", "_").replace("-", "_")
             for part in re.split(r"[,;\n]+", text) if part.strip()]
    granted: set[str] = set()
    for name in names:
        if name in ("none", "no", "nothing"):
            continue
        if name.removeprefix("guests_can_") not in _PERMISSION_NAMES:
            raise InvalidInputError(
                "guest_permissions", f"{name!r} is not one of: modify, invite_others, "
                "see_guests, none", _PERMISSIONS_EXAMPLE)
        granted.update(GUEST_PERMISSIONS[_PERMISSION_NAMES[name.removeprefix("guests_can_")]])
    every = {flag for flags in GUEST_PERMISSIONS.values() for flag in flags}
    return {flag: flag in granted for flag in sorted(every)}


def _parse_update_only(params: Mapping[str, Any], fields: EventFields) -> None:
    fields.add_attendees = _emails(params, "add_attendees") or []
    fields.remove_attendees = _emails(params, "remove_attendees") or []
    fields.scope = parse_scope(params)
    for name in _clear_names(params.get("clear_fields")):
        fields.cleared.update(CLEARABLE[name])
    overlap = set(fields.cleared) & (set(fields.simple) | _given_lists(fields))
    if overlap:
        raise InvalidInputError("clear_fields", f"clears {', '.join(sorted(overlap))}, which "
                                "this call also sets; do one or the other", "description")


def _given_lists(fields: EventFields) -> set[str]:
    given = set()
    if fields.attendees is not None or fields.add_attendees:
        given.add("attendees")
    if fields.recurrence is not None:
        given.add("recurrence")
    if fields.add_meet:
        given.add("conferenceData")
    return given


def _clear_names(value: Any) -> list[str]:
    text = to_str(value, "clear_fields")
    if not text:
        return []
    names = [part.strip().lower().replace(" ", "_") for part in re.split(r"[,;\s]+", text)]
    names = ["google_meet" if name in ("meet", "conference") else name for name in names]
    unknown = [name for name in names if name and name not in CLEARABLE]
    if unknown:
        raise InvalidInputError("clear_fields", f"cannot clear {', '.join(unknown)}; clearable: "
                                f"{', '.join(CLEARABLE)}", "description, location")
    return [name for name in names if name]


# ----------------------------------------------------------------------------- small parsers


def parse_reminders(value: Any) -> dict | None:
    """``default``, ``none``, or up to 5 overrides such as ``popup:10, email:1440``."""
    text = to_str(value, "reminders")
    if not text:
        return None
    word = text.lower()
    if word in ("default", "calendar default", "use default"):
        return dict(DEFAULT_REMINDERS)
    if word in ("none", "off", "no", "no reminders"):
        return {"useDefault": False, "overrides": []}
    overrides = [_reminder(part) for part in re.split(r"[,;\n]+", text) if part.strip()]
    unique = [dict(o) for o in dict.fromkeys(tuple(o.items()) for o in overrides)]
    if len(unique) > 5:
        raise InvalidInputError("reminders", f"{len(unique)} reminders given; Google allows at "
                                "most 5", _REMINDER_EXAMPLE)
    return {"useDefault": False, "overrides": unique}


def _reminder(part: str) -> dict:
    match = _REMINDER.fullmatch(part.strip().lower())
    if not match:
        raise InvalidInputError(
            "reminders", f"{part.strip()!r} is not a reminder; use method:minutes with method "
            "popup or email, or the words default / none", _REMINDER_EXAMPLE)
    method = "email" if match[1] in ("email", "mail") else "popup"
    minutes = int(match[2]) * _UNIT_MINUTES[(match[3] or "m")[0]]
    if minutes > _MAX_REMINDER_MINUTES:
        raise InvalidInputError("reminders", f"{part.strip()!r} is more than 4 weeks (40320 "
                                "minutes) before the event", _REMINDER_EXAMPLE)
    return {"method": method, "minutes": minutes}


def parse_color(value: Any) -> str | None:
    text = to_str(value, "color")
    if not text:
        return None
    by_name = {name.casefold(): color_id for color_id, name in COLOR_NAMES.items()}
    color_id = text if text in COLOR_NAMES else by_name.get(text.casefold())
    if color_id is None:
        names = ", ".join(f"{name} ({cid})" for cid, name in COLOR_NAMES.items())
        raise InvalidInputError("color", f"{text!r} is not a Google event colour; use one of "
                                f"{names}", "Tomato")
    return color_id


def attendee_entries(required: list[str], optional: list[str]) -> list[dict]:
    """Google attendee objects; someone named in both lists is a required guest."""
    taken = {email.casefold() for email in required}
    return ([{"email": email} for email in required]
            + [{"email": email, "optional": True}
               for email in optional if email.casefold() not in taken])


def required_event_id(params: Mapping[str, Any]) -> str:
    event_id = to_str(params.get("event_id"), "event_id", max_length=1024)
    if not event_id:
        raise InvalidInputError("event_id", "is required", EVENT_ID_EXAMPLE)
    return event_id


def parse_scope(params: Mapping[str, Any]) -> str:
    return choice(params.get("scope"), "scope", SCOPES, default="instance")


def parse_send_updates(params: Mapping[str, Any]) -> str | None:
    return choice(params.get("send_updates"), "send_updates", SEND_UPDATES)
