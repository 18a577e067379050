"""Writing events as an RFC 5545 iCalendar file (pure: models in, bytes out)."""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from gcal.dates.recurrence import fit_to_event
from gcal.dates.times import parse_rfc3339
from gcal.google.serializers import event_time_from_api
from gcal.models import Attendee, EntryPoint, Event, EventTime

if TYPE_CHECKING:
    from icalendar import Calendar, Timezone, vCalAddress, vDatetime, vDDDTypes
    from icalendar import Event as VEvent

def _icalendar():
    """Imported on first export: icalendar costs ~125 ms at start-up, paid by every tool."""
    import icalendar

    return icalendar


PRODUCT_ID = "-//dify-google-calendar//Google Calendar export//EN"
MIME_TYPE = "text/calendar"
_PARTSTAT = {
    "accepted": "ACCEPTED",
    "declined": "DECLINED",
    "tentative": "TENTATIVE",
    "needsAction": "NEEDS-ACTION",
}
_CLASS = {"public": "PUBLIC", "private": "PRIVATE", "confidential": "CONFIDENTIAL"}
_FEATURE = {"video": "VIDEO", "phone": "PHONE", "sip": "AUDIO"}
# VTIMEZONE definitions must cover every instant in the file; these are icalendar's defaults,
# widened below when an event lies outside them.
_ZONE_RANGE = (date(1970, 1, 1), date(2038, 1, 1))
_UNSAFE_NAME = re.compile(r"[^\w .()-]+")
_MAX_NAME = 100


def calendar_bytes(
    events: Iterable[Event],
    *,
    zone: ZoneInfo,
    name: str | None = None,
    removed: Mapping[str, Sequence[EventTime]] | None = None,
    stamp: datetime | None = None,
) -> bytes:
    """One VCALENDAR: series masters (with their Google recurrence lines), their changed
    occurrences (RECURRENCE-ID) and single events. `removed` maps a master's id to the original
    starts of its deleted occurrences, written as EXDATE. Timed values carry the event's TZID
    (`zone` when Google gives none), with VTIMEZONE components generated from zoneinfo."""
    calendar = _icalendar().Calendar()
    calendar.add("prodid", PRODUCT_ID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    if name:
        calendar.add("x-wr-calname", name)
    calendar.add("x-wr-timezone", zone.key)
    stamp_value = _time((stamp or datetime.now(UTC)).astimezone(UTC))
    removed = removed or {}
    days: list[date] = []
    for event in events:
        vevent = _vevent(event, zone, stamp_value, removed.get(event.id, ()))
        calendar.add_component(vevent)
        days.extend(_days(event))
    first, last = _ZONE_RANGE
    if days:
        first, last = min(first, min(days)), max(last, max(days) + timedelta(days=366))
    _add_timezones(calendar, first, last)
    return calendar.to_ical()


def _add_timezones(calendar: Calendar, first: date, last: date) -> None:
    """What `add_missing_timezones` does, with each VTIMEZONE built once per process and the
    zones in a fixed (sorted) order rather than set order."""
    tzids = sorted(calendar.get_missing_tzids())
    found = (_timezone(tzid, first, last) for tzid in tzids)
    calendar.subcomponents[:0] = [zone for zone in found if zone is not None]


@functools.lru_cache(maxsize=64)
def _timezone(tzid: str, first: date, last: date) -> Timezone | None:
    """Generating one zone's transitions over 1970–2038 takes ~2 ms; files share the result,
    which nothing changes after this (the calendar holding it is serialised and dropped)."""
    try:
        return _icalendar().Timezone.from_tzid(tzid, first_date=first, last_date=last)
    except ValueError:  # a TZID icalendar does not know: left without VTIMEZONE, as before
        return None


def _days(event: Event) -> list[date]:
    return [t.day or t.instant.date() for t in (event.start, event.end) if t.day or t.instant]


def _vevent(
    event: Event, zone: ZoneInfo, stamp: vDatetime, removed: Sequence[EventTime]
) -> VEvent:
    """`stamp` (DTSTAMP) is one value shared by every event of the file."""
    ical = _icalendar()
    vevent = ical.Event()
    _put(vevent, "uid", ical.vText(uid_of(event)))
    _put(vevent, "dtstamp", stamp)
    _put(vevent, "dtstart", _series_time(event, _value(event.start, zone)))
    _put(vevent, "dtend", _series_time(event, _value(event.end, zone)))
    original = original_start(event)
    if original is not None:
        vevent.add("recurrence-id", _value(original, _zone_of(event.start, zone)))
    # A date or floating UNTIL is local (RFC 5545 3.3.10): written in UTC, as a zoned
    # DTSTART requires, so no reader takes it for UTC.
    _add_recurrence(vevent, fit_to_event(event.recurrence or [], event.start.day is not None,
                                         _zone_of(event.start, zone)))
    for moment in removed:
        vevent.add("exdate", _value(moment, _zone_of(event.start, zone)))
    _put(vevent, "summary", ical.vText(event.summary))
    _add_text(vevent, "location", event.location)
    _add_text(vevent, "description", _description(event))
    _add_people(vevent, event)
    _add_conference(vevent, event)
    _add_state(vevent, event)
    return vevent


def _time(value: date | datetime) -> vDatetime | vDDDTypes:
    """A date-time as vDatetime: vDDDTypes would build one on every serialisation."""
    ical = _icalendar()
    return ical.vDatetime(value) if isinstance(value, datetime) else ical.vDDDTypes(value)


# Not "UTC" / "Etc/UTC": readers take a time whose zone is named UTC as UTC and move it to
# X-WR-TIMEZONE (x-wr-timezone's `is_UTC`: tzname "UTC"); Etc/GMT has UTC's rules, another name.
_UTC_ZONE_ID = "Etc/GMT"
_UTC_KEYS = ("UTC", "Etc/UTC", "Etc/GMT", "GMT")


def _series_time(event: Event, value: date | datetime) -> vDatetime | vDDDTypes:
    """A series kept in UTC is written with TZID=Etc/GMT (and its VTIMEZONE), not as `...Z`:
    readers that honour X-WR-TIMEZONE expand a UTC series in that zone, an hour off after a
    DST change."""
    utc = isinstance(value, datetime) and (
        value.tzinfo is UTC or getattr(value.tzinfo, "key", None) in _UTC_KEYS)
    if not (event.recurrence and utc):
        return _time(value)
    written = _icalendar().vDatetime(value.replace(tzinfo=None))
    written.params["TZID"] = _UTC_ZONE_ID
    return written


def _put(vevent: VEvent, name: str, value: object) -> None:
    """`add` for a value built as its icalendar type: `add` would otherwise infer the type,
    which costs more than building the value (about half of building an event)."""
    vevent.add(name, value, encode=False)


def uid_of(event: Event) -> str:
    return event.ical_uid or f"{event.recurring_event_id or event.id}@google.com"


def original_start(event: Event) -> EventTime | None:
    """Where a changed occurrence sat in its series (Google's `originalStartTime`)."""
    raw = event.extra.get("originalStartTime") if event.recurring_event_id else None
    return event_time_from_api(raw) if raw else None


def _zone_of(moment: EventTime, fallback: ZoneInfo) -> ZoneInfo:
    try:
        return ZoneInfo(moment.time_zone) if moment.time_zone else fallback
    except (ZoneInfoNotFoundError, ValueError):
        return fallback


def _value(moment: EventTime, fallback: ZoneInfo) -> date | datetime:
    if moment.day is not None:
        return moment.day
    if moment.instant is None:
        raise ValueError("event time has neither a date nor a date-time")
    return moment.instant.astimezone(_zone_of(moment, fallback))


def _add_recurrence(vevent: VEvent, lines: Sequence[str]) -> None:
    """Google's recurrence lines are iCalendar content lines already: let icalendar parse them."""
    if not lines:
        return
    block = "\r\n".join(["BEGIN:VEVENT", *lines, "END:VEVENT", ""])
    parsed = _icalendar().Event.from_ical(block)
    for name in ("RRULE", "EXRULE", "RDATE", "EXDATE"):
        values = parsed.get(name)
        for value in values if isinstance(values, list) else [values] if values else []:
            vevent.add(name, value, encode=False)


def _add_text(vevent: VEvent, name: str, text: str | None) -> None:
    if text:
        _put(vevent, name, _icalendar().vText(text))


def _description(event: Event) -> str | None:
    if event.meet_link and event.meet_link not in (event.description or ""):
        join = f"Join with Google Meet: {event.meet_link}"
        return f"{event.description}\n\n{join}" if event.description else join
    return event.description


def _add_people(vevent: VEvent, event: Event) -> None:
    if event.organizer:
        organizer = _icalendar().vCalAddress(f"mailto:{event.organizer}")
        name = event.extra.get("organizerName")
        if name:
            organizer.params["CN"] = name
        _put(vevent, "organizer", organizer)
    for attendee in event.attendees:
        _put(vevent, "attendee", _attendee(attendee))


def _attendee(attendee: Attendee) -> vCalAddress:
    address = _icalendar().vCalAddress(f"mailto:{attendee.email}")
    if attendee.name:
        address.params["CN"] = attendee.name
    address.params["PARTSTAT"] = _PARTSTAT.get(attendee.response, "NEEDS-ACTION")
    address.params["ROLE"] = "OPT-PARTICIPANT" if attendee.optional else "REQ-PARTICIPANT"
    address.params["CUTYPE"] = "RESOURCE" if attendee.resource else "INDIVIDUAL"
    return address


def _add_conference(vevent: VEvent, event: Event) -> None:
    if event.meet_link:
        _put(vevent, "url", _icalendar().vUri(event.meet_link))
    points: Sequence[EntryPoint] = event.entry_points
    if event.meet_link and not any(p.uri == event.meet_link for p in points):
        points = (EntryPoint("video", event.meet_link, None), *points)
    for point in points:
        feature = _FEATURE.get(point.kind)
        if feature:
            parameters = {"VALUE": "URI", "FEATURE": feature}
            if point.label:
                parameters["LABEL"] = point.label
            _put(vevent, "conference", _icalendar().vUri(point.uri, params=parameters))


def _add_state(vevent: VEvent, event: Event) -> None:
    ical = _icalendar()
    _put(vevent, "status", ical.vText(event.status.upper()))
    transparent = event.transparency == "transparent"
    _put(vevent, "transp", ical.vText("TRANSPARENT" if transparent else "OPAQUE"))
    if event.visibility in _CLASS:
        _put(vevent, "class", ical.vText(_CLASS[event.visibility]))
    sequence = event.extra.get("sequence")
    if sequence is not None:
        _put(vevent, "sequence", ical.vInt(int(sequence)))
    for name, stamp in (("created", event.created), ("last-modified", event.updated)):
        if stamp:
            _put(vevent, name, _time(_utc(stamp)))


def _utc(text: str) -> datetime:
    return parse_rfc3339(text).astimezone(UTC)


def safe_file_name(wanted: str | None, default: str) -> str:
    """A plain file name ending in .ics: no folders, no control or shell-special characters."""
    base = (wanted or "").replace("\\", "/").rsplit("/", 1)[-1]
    base = unicodedata.normalize("NFC", base)
    if base.lower().endswith(".ics"):
        base = base[:-4]
    base = re.sub(r"\s+", " ", _UNSAFE_NAME.sub("-", base)).strip(" .-")
    base = base[: _MAX_NAME - 4].rstrip(" .-")
    return f"{base}.ics" if base else default
