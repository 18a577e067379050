"""Plain data the rest of the core works with, independent of Google's JSON shapes."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime


@dataclass(frozen=True)
class Calendar:
    id: str
    summary: str
    time_zone: str | None
    access_role: str
    primary: bool = False
    hidden: bool = False
    selected: bool = False
    description: str | None = None
    color: str | None = None

    @property
    def writable(self) -> bool:
        return self.access_role in ("owner", "writer")


@dataclass(frozen=True)
class Viewer:
    """Who reads the calendar. Google's `self` flags mark the calendar on which a copy of an
    event appears, not the caller (events resource: organizer.self, attendees[].self), so on a
    colleague's shared calendar `self` is the colleague: there the user is found by email."""

    email: str
    own_calendars: frozenset[str] = frozenset()

    def owns(self, calendar_id: str) -> bool:
        return calendar_id == "primary" or calendar_id.casefold() in self.own_calendars


@dataclass(frozen=True)
class Attendee:
    email: str
    name: str | None = None
    response: str = "needsAction"
    optional: bool = False
    organizer: bool = False
    is_self: bool = False
    resource: bool = False
    comment: str | None = None


@dataclass(frozen=True)
class EventTime:
    """Either an instant (timed event) or a calendar day (all-day event)."""

    instant: datetime | None = None
    day: date | None = None
    time_zone: str | None = None

    @property
    def is_day(self) -> bool:
        return self.day is not None


@dataclass(frozen=True)
class EntryPoint:
    kind: str
    uri: str
    label: str | None = None
    pin: str | None = None


@dataclass(frozen=True)
class Event:
    id: str
    calendar_id: str
    summary: str
    start: EventTime
    end: EventTime
    status: str = "confirmed"
    location: str | None = None
    description: str | None = None
    html_link: str | None = None
    meet_link: str | None = None
    organizer: str | None = None
    organizer_is_self: bool = True
    attendees: tuple[Attendee, ...] = ()
    recurring_event_id: str | None = None
    recurrence: tuple[str, ...] = ()
    visibility: str | None = None
    transparency: str | None = None
    color_id: str | None = None
    reminders: tuple[str, ...] | None = None
    uses_default_reminders: bool = False
    entry_points: tuple[EntryPoint, ...] = ()
    attachments: tuple[tuple[str, str], ...] = ()
    event_type: str = "default"
    etag: str | None = None
    ical_uid: str | None = None
    created: str | None = None
    updated: str | None = None
    guests_can_modify: bool = False
    guests_can_invite_others: bool = True
    guests_can_see_other_guests: bool = True
    extra: dict = field(default_factory=dict, compare=False, repr=False)

    @property
    def all_day(self) -> bool:
        return self.start.is_day

    @property
    def recurring(self) -> bool:
        return bool(self.recurring_event_id or self.recurrence)

    @property
    def my_response(self) -> str | None:
        for attendee in self.attendees:
            if attendee.is_self:
                return attendee.response
        return None

    @property
    def show_as(self) -> str:
        return "free" if self.transparency == "transparent" else "busy"
