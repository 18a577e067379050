"""Compact text for the model and structured records for workflow variables.

The model reads the text; workflows read the records. They carry the same facts in two shapes
so neither audience pays for the other's format (see README, "Output").
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from gcal.dates.spans import day_label, inclusive_end_day, when_text
from gcal.dates.times import format_offset
from gcal.events.event_types import TYPE_NAMES, type_details, type_mark
from gcal.google.serializers import COLOR_NAMES
from gcal.models import Attendee, Calendar, Event, EventTime


def day_heading(day: date, zone: ZoneInfo) -> str:
    """Events are listed under one line per day; times below it omit this offset."""
    return f"{day_label(day)} {format_offset(_noon(day, zone))}"


def _noon(day: date, zone: ZoneInfo) -> datetime:
    return datetime(day.year, day.month, day.day, 12, tzinfo=zone)


def listing_day(event: Event, zone: ZoneInfo) -> date | None:
    if event.start.day is not None:
        return event.start.day
    if event.start.instant is not None:
        return event.start.instant.astimezone(zone).date()
    return None


def _clock(moment: datetime, day_offset: str) -> str:
    offset = format_offset(moment)
    return f"{moment:%H:%M}" if offset == day_offset else f"{moment:%H:%M}{offset}"


def time_in_day(event: Event, zone: ZoneInfo) -> str:
    """The event's time relative to its day heading: "09:30–10:00", "all-day to Wed …"."""
    if event.all_day:
        last = inclusive_end_day(event.start, event.end)
        return "all-day" if last in (None, event.start.day) else f"all-day to {day_label(last)}"
    if event.start.instant is None or event.end.instant is None:
        return "time unknown"
    start, end = event.start.instant.astimezone(zone), event.end.instant.astimezone(zone)
    day_offset = format_offset(_noon(start.date(), zone))
    if start.date() == end.date():
        return f"{_clock(start, day_offset)}–{_clock(end, day_offset)}"
    end_offset = format_offset(_noon(end.date(), zone))
    return f"{_clock(start, day_offset)} to {day_label(end.date())} {_clock(end, end_offset)}"


def _organized_by_someone_else(event: Event) -> bool:
    """Not the user, nor the team, resource or holiday calendar (ids ending in
    calendar.google.com, never a person) the event is on: that one is named by the listing."""
    if not event.organizer or event.organizer_is_self:
        return False
    organizer = event.organizer.casefold()
    return not (organizer == event.calendar_id.casefold()
                and organizer.endswith(".calendar.google.com"))


_MY_ANSWERS = {"declined": "declined", "tentative": "tentative", "needsAction": "not answered"}


def event_line(
    event: Event, zone: ZoneInfo, *, calendar: str | None = None, standalone: bool = False,
    guest_query: str | None = None, continuing_from: date | None = None,
) -> str:
    """`time title [id calendar] details`: under a day heading, or `standalone` with its date.

    `calendar` is a short alias from the listing's legend (or an id) when the reader cannot
    tell the calendar otherwise. Brackets instead of labelled columns: the model reads each
    listed event, so every token per line counts (see README, "Output"). Guests matching
    `guest_query` are shown with their answer; `continuing_from` marks an event that started
    on an earlier day than the heading it is listed under.
    """
    when = when_text(event, zone) if standalone else time_in_day(event, zone)
    reference = f"{event.id} {calendar}" if calendar else event.id
    details = []
    mark = type_mark(event.event_type, event.extra.get("typeProperties"))
    if mark:
        details.append(mark)
    if event.location:
        details.append(f"at {event.location}")
    if event.meet_link:
        details.append(event.meet_link.removeprefix("https://"))
    answer = _MY_ANSWERS.get(event.my_response or "accepted")
    if answer:  # accepted (and your own events) are the silent default
        details.append(f"you:{answer}")
    if _organized_by_someone_else(event):
        details.append(f"by {event.organizer}")
    if _recurring_unseen(event):
        details.append("recurring")
    if event.status == "tentative":
        details.append("tentative")
    details.extend(_matching_guests(event, guest_query))
    if continuing_from is not None:
        details.append(f"continuing from {day_label(continuing_from)}")
    line = f"{when} {event.summary} [{reference}]"
    return f"{line} {', '.join(details)}" if details else line


def _recurring_unseen(event: Event) -> bool:
    """A series, or an occurrence whose id does not already read `<series id>_<start>` (the
    form Google's occurrence ids take in practice; not a documented contract, so checked)."""
    if event.recurrence:
        return True
    series = event.recurring_event_id
    return bool(series) and not event.id.startswith(f"{series}_")


_GUEST_ANSWERS = {"needsAction": "not answered"}
MAX_MATCHED_GUESTS = 3


def _matching_guests(event: Event, query: str | None) -> list[str]:
    """`with bob@example.com: declined` for the guests a search for `query` found."""
    terms = (query or "").casefold().split()  # Google's q matches every term somewhere
    found = [a for a in event.attendees if not a.is_self and not a.resource
             and any(term in f"{a.email} {a.name or ''}".casefold() for term in terms)]
    return [f"with {a.name or a.email}: {_GUEST_ANSWERS.get(a.response, a.response)}"
            for a in found[:MAX_MATCHED_GUESTS]]


def legend_line(aliases: dict[str, str], names: dict[str, str]) -> str:
    """`Calendars: unlabelled primary [alice@example.com]; c2 Team [team@group…]`, each named
    once; an empty alias marks the primary calendar, whose lines carry no label."""
    parts = []
    for calendar_id, alias in sorted(aliases.items(), key=lambda item: bool(item[1])):
        name = names.get(calendar_id)
        shown = f"{name} [{calendar_id}]" if name and name != calendar_id else f"[{calendar_id}]"
        parts.append(f"{alias} {shown}" if alias else f"unlabelled: primary [{calendar_id}]")
    return "Calendars: " + "; ".join(parts)


def _guest_count(event: Event) -> int:
    return sum(1 for a in event.attendees if not a.resource)


def _attendee_text(attendee: Attendee) -> str:
    notes = []
    if attendee.is_self:
        notes.append("you")
    if attendee.organizer:
        notes.append("organizer")
    if attendee.optional:
        notes.append("optional")
    notes.append(attendee.response)
    name = f"{attendee.name} <{attendee.email}>" if attendee.name else attendee.email
    comment = f' "{attendee.comment}"' if attendee.comment else ""
    return f"{name} ({', '.join(notes)}){comment}"


def event_detail(event: Event, zone: ZoneInfo) -> str:
    lines = [event.summary, f"id: {event.id} | calendar: {event.calendar_id}"]
    lines.append(f"when: {when_text(event, zone)} ({zone.key})")
    if event.status != "confirmed":
        lines.append(f"status: {event.status}")
    mark = type_mark(event.event_type, event.extra.get("typeProperties"))
    if mark:
        lines.append(" | ".join([f"type: {mark}", *type_details(
            event.event_type, event.extra.get("typeProperties"))]))
    if event.location:
        lines.append(f"where: {event.location}")
    if event.meet_link:
        lines.append(f"meet: {event.meet_link}")
    phones = [p for p in event.entry_points if p.kind == "phone"]
    for phone in phones[:1]:
        pin = f" pin {phone.pin}" if phone.pin else ""
        lines.append(f"dial-in: {phone.label or phone.uri}{pin}")
    if _organized_by_someone_else(event):
        lines.append(f"organizer: {event.organizer}")
    if event.attendees:
        people = "; ".join(_attendee_text(a) for a in event.attendees)
        lines.append(f"attendees ({len(event.attendees)}): {people}")
    if event.recurrence:
        lines.append(f"repeats: {' '.join(event.recurrence)}")
    if event.recurring_event_id:
        lines.append(f"instance of series: {event.recurring_event_id}")
    lines.append(f"reminders: {_reminder_text(event)}")
    extras = [f"show as: {event.show_as}"]
    if event.visibility and event.visibility != "default":
        extras.append(f"visibility: {event.visibility}")
    if event.color_id:
        extras.append(f"color: {COLOR_NAMES.get(event.color_id, event.color_id)}")
    lines.append(" | ".join(extras))
    for title, url in event.attachments:
        lines.append(f"attachment: {title} {url}".rstrip())
    if event.html_link:
        lines.append(f"link: {event.html_link}")
    if event.description:
        lines.append(f"description: {event.description.strip()}")
    return "\n".join(lines)


def _reminder_text(event: Event) -> str:
    if event.uses_default_reminders or event.reminders is None:
        return "calendar default"
    return ", ".join(event.reminders) if event.reminders else "none"


def time_value(point: EventTime, zone: ZoneInfo) -> str | None:
    if point.day is not None:
        return point.day.isoformat()
    if point.instant is not None:
        return point.instant.astimezone(zone).isoformat()
    return None


def event_record(event: Event, zone: ZoneInfo, *, detailed: bool = False) -> dict:
    record = {
        "id": event.id,
        "calendar_id": event.calendar_id,
        "summary": event.summary,
        "start": time_value(event.start, zone),
        "end": time_value(event.end, zone),
        "all_day": event.all_day,
        "status": event.status,
        "location": event.location,
        "meet_link": event.meet_link,
        "html_link": event.html_link,
        "my_response": event.my_response,
        "organizer": event.organizer,
        "attendee_count": _guest_count(event) or None,
        "recurring": event.recurring or None,
        "recurring_event_id": event.recurring_event_id,
        "event_type": TYPE_NAMES.get(event.event_type, event.event_type)
        if event.event_type != "default" else None,
    }
    if event.all_day:
        last = inclusive_end_day(event.start, event.end)
        record["end_inclusive"] = last.isoformat() if last else None
    if detailed:
        record.update(_detail_fields(event))
    return {key: value for key, value in record.items() if value not in (None, "", [], ())}


def _detail_fields(event: Event) -> dict:
    return {
        "description": event.description,
        "attendees": [
            {
                key: value
                for key, value in {
                    "email": a.email,
                    "name": a.name,
                    "response": a.response,
                    "optional": a.optional or None,
                    "organizer": a.organizer or None,
                    "self": a.is_self or None,
                    "comment": a.comment,
                }.items()
                if value is not None
            }
            for a in event.attendees
        ],
        "recurrence": list(event.recurrence),
        "reminders": "default" if event.uses_default_reminders else list(event.reminders or []),
        "visibility": event.visibility,
        "show_as": event.show_as,
        "color": COLOR_NAMES.get(event.color_id or "", event.color_id),
        "conference": [
            {"type": p.kind, "uri": p.uri, **({"pin": p.pin} if p.pin else {})}
            for p in event.entry_points
        ],
        "attachments": [{"title": t, "url": u} for t, u in event.attachments],
        "etag": event.etag,
        "ical_uid": event.ical_uid,
        "type_properties": event.extra.get("typeProperties") or None,
    }


def calendar_line(calendar: Calendar) -> str:
    parts = [calendar.summary, f"id:{calendar.id}", calendar.access_role]
    if calendar.time_zone:
        parts.append(calendar.time_zone)
    if calendar.primary:
        parts.append("primary")
    if calendar.hidden:
        parts.append("hidden")
    elif not calendar.selected and not calendar.primary:
        parts.append("not shown")  # left out of default listings, as in Google Calendar
    return " | ".join(parts)


def calendar_record(calendar: Calendar) -> dict:
    record = {
        "id": calendar.id,
        "name": calendar.summary,
        "access_role": calendar.access_role,
        "time_zone": calendar.time_zone,
        "primary": calendar.primary,
        "hidden": calendar.hidden,
        "selected": calendar.selected,
        "description": calendar.description,
    }
    return {key: value for key, value in record.items() if value is not None}
