"""Reading an iCalendar (.ics) file into Google event bodies for `events.import` (pure).

Every VEVENT becomes one `ImportItem` (a body Google accepts) or one `Skipped` with the reason;
a file that is not iCalendar at all, too big or holds too many events is one clear
InvalidInputError. Time zones: IANA TZIDs as they are, Windows names (Outlook, Exchange)
through icalendar's maintained Windows→IANA table, custom VTIMEZONE definitions matched to an
IANA zone with the same offsets, floating times read in the user's zone.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from functools import lru_cache
from zoneinfo import ZoneInfo, available_timezones

from dateutil import rrule

from gcal.dates.times import localize, resolve_zone, to_rfc3339
from gcal.errors import InvalidInputError
from gcal.ics.items import IcsFile, ImportItem, Skipped, start_key
from gcal.ics.ranges import apply_future_ranges
from gcal.ics.writing import _icalendar
from gcal.params import strip_mailto

logger = logging.getLogger(__name__)

MAX_FILE_BYTES = 1_000_000
MAX_FILE_EVENTS = 500
MAX_REMINDERS = 5  # Google keeps at most 5 reminder overrides per event
MAX_REMINDER_MINUTES = 40_320  # four weeks, Google's limit
_FILE_EXAMPLE = "an .ics file starting with BEGIN:VCALENDAR"
_PARTSTAT = {"ACCEPTED": "accepted", "DECLINED": "declined", "TENTATIVE": "tentative"}
_CLASS = {"PUBLIC": "public", "PRIVATE": "private", "CONFIDENTIAL": "confidential"}
_STATUS = {"CANCELLED": "cancelled", "TENTATIVE": "tentative"}
# Where invitations from Teams, Zoom and others put the join link besides LOCATION/DESCRIPTION.
_CONFERENCE_PROPERTIES = (
    "CONFERENCE", "X-MICROSOFT-SKYPETEAMSMEETINGURL", "X-MICROSOFT-ONLINEMEETINGCONFLINK",
    "X-GOOGLE-CONFERENCE",
)


class _Unusable(Exception):
    """One VEVENT cannot be imported; the message is the skip reason."""


def read_ics(content: bytes, user_zone: ZoneInfo) -> IcsFile:
    if len(content) > MAX_FILE_BYTES:
        raise InvalidInputError(
            "file", f"the file has {len(content):,} bytes; at most {MAX_FILE_BYTES:,} can be "
            "imported at once: split it (e.g. one file per month)", _FILE_EXAMPLE)
    calendars = _parse_calendars(_decoded(content))
    vevents = [c for cal in calendars for c in cal.walk("VEVENT")]
    if not vevents:
        raise InvalidInputError("file", "the file holds no events (no VEVENT); to-dos and "
                                "free/busy blocks cannot be imported", _FILE_EXAMPLE)
    if len(vevents) > MAX_FILE_EVENTS:
        raise InvalidInputError(
            "file", f"the file holds {len(vevents)} events; at most {MAX_FILE_EVENTS} can be "
            "imported at once: split it", _FILE_EXAMPLE)
    method = str(calendars[0].get("METHOD") or "").upper() or None
    result = IcsFile(method=method)
    for vevent in vevents:
        try:
            result.items.extend(_items(vevent, user_zone))
        except _Unusable as problem:
            result.skipped.append(Skipped(_text(vevent.get("UID")), _summary(vevent),
                                          str(problem)))
        except (ValueError, TypeError, AttributeError, KeyError) as broken:
            # icalendar parses leniently and raises on first use of a broken value
            logger.info("skipping a broken VEVENT: %s", type(broken).__name__)
            result.skipped.append(Skipped(_text(vevent.get("UID")), _summary(vevent),
                                          f"broken: {_first_line(broken)}"))
    _skip_duplicates(result)
    _align_all_day_originals(result)
    apply_future_ranges(result, user_zone)
    _fold_cancelled_occurrences(result)  # after: a split re-keys occurrences to its parts
    return result


def _decoded(content: bytes) -> str:
    """RFC 5545 says UTF-8, but Outlook and older tools write UTF-16 or Windows-1252."""
    if content.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return content.decode("utf-16")
        except UnicodeDecodeError:  # odd length, a lone surrogate: cut or damaged
            raise InvalidInputError(
                "file", "the file says it is UTF-16 but its text is cut or damaged (an odd "
                "number of bytes or a broken character); export it again, preferably as "
                "UTF-8", _FILE_EXAMPLE) from None
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError:
        return content.decode("cp1252", errors="replace")


def _parse_calendars(text: str) -> list:
    if "BEGIN:VCALENDAR" not in text[:2048].upper():
        raise InvalidInputError("file", "this is not an iCalendar file (no BEGIN:VCALENDAR at "
                                "its start)", _FILE_EXAMPLE)
    try:
        calendars = _icalendar().Calendar.from_ical(text, multiple=True)
    except Exception as exc:  # icalendar raises ValueError and friends on broken structure
        logger.info("unreadable iCalendar file: %s", type(exc).__name__)
        raise InvalidInputError(
            "file", f"the iCalendar structure is broken ({_first_line(exc)}); no event was "
            "imported", _FILE_EXAMPLE) from None
    if not calendars:
        raise InvalidInputError("file", "the file holds no VCALENDAR", _FILE_EXAMPLE)
    return calendars


def _first_line(exc: Exception) -> str:
    return (str(exc).splitlines() or [type(exc).__name__])[0][:160]


def _skip_duplicates(result: IcsFile) -> None:
    """A file may repeat a UID (e.g. concatenated exports): the highest SEQUENCE wins."""
    best: dict[tuple[str, str | None], ImportItem] = {}
    for item in result.items:
        kept = best.get(item.key)
        if kept is None or item.sequence > kept.sequence:
            if kept is not None:
                result.skipped.append(Skipped(kept.uid, kept.summary, "older duplicate of an "
                                              "event later in the file"))
            best[item.key] = item
        else:
            result.skipped.append(Skipped(item.uid, item.summary, "duplicate of an event "
                                          "earlier in the file"))
    result.items = list(best.values())


# ------------------------------------------------------------------------------ one VEVENT


def _items(vevent, user_zone: ZoneInfo) -> list[ImportItem]:
    """The VEVENT, and one changed occurrence per RDATE period whose length differs from the
    series' (Google's RDATE has no length: the occurrence's own end is kept this way)."""
    item = _item(vevent, user_zone)
    periods = _odd_periods(vevent, item, user_zone)
    return [item, *(_period_item(item, start, end) for start, end in periods)]


def _item(vevent, user_zone: ZoneInfo) -> ImportItem:
    broken = [message for _, message in getattr(vevent, "errors", [])]
    start = _moment(vevent, "DTSTART", user_zone)
    if start is None:
        raise _Unusable("no valid DTSTART" + (f" ({broken[0][:120]})" if broken else ""))
    end = _end(vevent, start, user_zone)
    uid = _text(vevent.get("UID")) or _derived_uid(vevent, start)
    body: dict = {"iCalUID": uid, "start": _google_time(start), "end": _google_time(end)}
    _add_texts(body, vevent)
    recurrence = _recurrence(vevent, start, end)
    if recurrence:
        body["recurrence"] = recurrence
        if isinstance(start, datetime):
            _require_zone(body)
    original = _moment(vevent, "RECURRENCE-ID", user_zone)
    if original is not None:
        body["originalStartTime"] = _google_time(original)
    future = _range(vevent) == "THISANDFUTURE"
    _add_people(body, vevent)
    _add_state(body, vevent)
    reminders = _reminders(vevent, start)
    if reminders is not None:
        body["reminders"] = reminders
    sequence = _sequence(vevent)
    body["sequence"] = sequence
    return ImportItem(uid, body, sequence, start_key(original) if original is not None else None,
                      this_and_future=future and original is not None)


def _text(value) -> str:
    return str(value).strip() if value is not None else ""


def _summary(vevent) -> str:
    return _text(vevent.get("SUMMARY")) or "(no title)"


def _derived_uid(vevent, start: date) -> str:
    """Same file, same UID: a missing UID is derived from what identifies the event."""
    parts = [start.isoformat(), _summary(vevent), _text(vevent.get("LOCATION")),
             _text(vevent.get("ORGANIZER"))]
    digest = hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:32]
    return f"{digest}@ics-import"


def _range(vevent) -> str:
    """RFC 5545 3.2.13: THISANDFUTURE, or nothing (one occurrence); RFC 2445's THISANDPRIOR
    is deprecated and has no meaning a series split could give."""
    params = getattr(vevent.get("RECURRENCE-ID"), "params", {})
    value = str(params.get("RANGE", "")).strip('"').upper()
    if value == "THISANDPRIOR":
        raise _Unusable("RANGE=THISANDPRIOR is deprecated (RFC 5545) and cannot be imported")
    return value


def _sequence(vevent) -> int:
    try:
        return max(0, int(str(vevent.get("SEQUENCE", 0))))
    except ValueError:
        return 0


def _moment(vevent, name: str, user_zone: ZoneInfo) -> date | datetime | None:
    prop = vevent.get(name)
    value = getattr(prop, "dt", None)
    if isinstance(value, datetime):
        named = _named_zone(str(getattr(prop, "params", {}).get("TZID", "")))
        if named is not None and value.tzinfo is not None:
            return value.astimezone(named)  # the file's own definition gives the instant
        if named is not None:
            return localize(value, named)  # a TZID icalendar did not know, without VTIMEZONE
        return _in_known_zone(value, user_zone)
    if isinstance(value, date):
        return value
    return None


def _end(vevent, start: date | datetime, user_zone: ZoneInfo) -> date | datetime:
    """DTEND, else DTSTART + DURATION, else RFC 5545's defaults (one day / zero length)."""
    end = _moment(vevent, "DTEND", user_zone)
    if end is None:
        duration = getattr(vevent.get("DURATION"), "dt", None)
        if isinstance(duration, timedelta):
            end = start + duration
    all_day = not isinstance(start, datetime)
    if end is None or (all_day and end == start):
        # RFC 5545 3.6.1: an all-day event without an end lasts one day; holiday feeds
        # (Calendar Labs) write DTEND equal to DTSTART for the same meaning
        end = start + timedelta(days=1) if all_day else start
    if isinstance(start, datetime) != isinstance(end, datetime):
        raise _Unusable("DTSTART and DTEND mix a date and a date-time")
    if end < start:
        raise _Unusable("it ends before it starts")
    return end


def _in_known_zone(value: datetime, user_zone: ZoneInfo) -> datetime:
    """Aware, in a zone Google knows: floating → the user's zone; custom → an IANA twin."""
    if value.tzinfo is None:
        return localize(value, user_zone)
    if isinstance(value.tzinfo, ZoneInfo):
        return value
    if value.utcoffset() == timedelta(0) and _is_utc(value.tzinfo):
        return value.astimezone(UTC)
    twin = _iana_twin(value.tzinfo, value.year, user_zone)
    if twin is None:
        return value  # a fixed offset for this instant; Google needs no name for single events
    return value.astimezone(twin)


def _named_zone(tzid: str) -> ZoneInfo | None:
    """The IANA zone a TZID names (any letter case): an IANA name, or a Windows name via
    icalendar's table."""
    from icalendar.timezone.windows_to_olson import WINDOWS_TO_OLSON

    name = tzid.strip('"')
    try:
        return resolve_zone(WINDOWS_TO_OLSON.get(name, name), parameter="file")
    except InvalidInputError:
        return None


def _is_utc(zone: tzinfo) -> bool:
    return str(getattr(zone, "key", "") or zone).upper() in ("UTC", "Z", "ETC/UTC", "GMT")


@lru_cache(maxsize=64)
def _iana_twin(zone: tzinfo, year: int, user_zone: ZoneInfo) -> ZoneInfo | None:
    """The IANA zone whose offsets equal a custom VTIMEZONE's around the year (cached: every
    event of an Outlook file shares the zone object)."""
    probes = [datetime(year, 1, 1, 12) + timedelta(days=15 * i) for i in range(25)]
    wanted = [p.replace(tzinfo=zone).utcoffset() for p in probes]
    for key in (user_zone.key, *_zone_keys()):
        candidate = ZoneInfo(key)
        if [p.replace(tzinfo=candidate).utcoffset() for p in probes] == wanted:
            return candidate
    return None


@lru_cache(maxsize=1)
def _zone_keys() -> tuple[str, ...]:
    """Every IANA name; first the one zone Windows maps each of its zones to (Europe/Berlin
    rather than Africa/Ceuta for Central European rules), then Area/City names, Etc/ last."""
    from icalendar.timezone.windows_to_olson import WINDOWS_TO_OLSON

    representative = set(WINDOWS_TO_OLSON.values())
    return tuple(sorted(available_timezones(), key=lambda k: (
        k not in representative, "/" not in k, k.startswith("Etc/"), k)))


def _google_time(moment: date | datetime) -> dict:
    if not isinstance(moment, datetime):
        return {"date": moment.isoformat()}
    out = {"dateTime": to_rfc3339(moment)}
    key = getattr(moment.tzinfo, "key", None)
    if key:
        out["timeZone"] = "UTC" if key in ("UTC", "Etc/UTC") else key
    return out


def _require_zone(body: dict) -> None:
    """Google needs a zone name for a recurring series; a custom zone without an IANA twin
    cannot expand correctly."""
    if "timeZone" not in body["start"] or "timeZone" not in body["end"]:
        raise _Unusable("recurring event in a custom time zone that matches no IANA zone")


# ------------------------------------------------------------------------------ recurrence


def _recurrence(vevent, start: date | datetime, end: date | datetime) -> list[str]:
    rules = _values(vevent, "RRULE")
    lines = ["RRULE:" + _utc_until(_checked(rule, start), start).to_ical().decode()
             for rule in rules]
    for prop in _values(vevent, "RDATE"):
        lines.extend(f"RDATE{value}" for value in _date_values(prop, start))
    if not lines:
        if any(v == start for p in _values(vevent, "EXDATE")
               for v in _raw_values(p, start)):
            raise _Unusable("its EXDATE excludes its only occurrence")
        return []  # EXDATE without RRULE or RDATE: nothing to exclude from (one event)
    for prop in _values(vevent, "EXDATE"):
        lines.extend(f"EXDATE{value}" for value in _date_values(prop, start))
    return lines


_RULE_RANGES = {"COUNT": (1, None), "INTERVAL": (1, None), "BYSECOND": (0, 60),
                "BYMINUTE": (0, 59), "BYHOUR": (0, 23), "BYMONTHDAY": (-31, 31),
                "BYYEARDAY": (-366, 366), "BYWEEKNO": (-53, 53), "BYMONTH": (1, 12),
                "BYSETPOS": (-366, 366)}


def _checked(rule, start: date | datetime):
    """RFC 5545 3.3.10's value ranges; a rule outside them (COUNT=-1, INTERVAL=0) is skipped
    with the reason, never imported to show nothing."""
    frequency = str((rule.get("FREQ") or [""])[0]).upper()
    if frequency in ("HOURLY", "MINUTELY", "SECONDLY"):
        # Google Calendar repeats at most daily, and expanding such a rule over years is
        # millions of occurrences (issue 28: a 327-byte file could hold the process).
        raise _Unusable(f"its rule repeats {frequency.lower()}; Google Calendar repeats at "
                        "most daily")
    for part, (low, high) in _RULE_RANGES.items():
        for value in rule.get(part, []):
            number = int(value)
            if number < low or (high is not None and number > high) or (
                    number == 0 and low < 0):
                raise _Unusable(f"its rule (RRULE) has an invalid {part}={value}")
    unbounded = rule.copy()
    unbounded.pop("UNTIL", None)  # a value icalendar has read already; dateutil wants it UTC
    try:
        anchor = start if isinstance(start, datetime) else datetime.combine(start, time())
        rrule.rrulestr(unbounded.to_ical().decode(), dtstart=anchor.replace(tzinfo=None))
    except (ValueError, TypeError) as problem:
        raise _Unusable(f"its rule (RRULE) is invalid ({_first_line(problem)})") from None
    return rule


def _values(vevent, name: str) -> list:
    value = vevent.get(name)
    return value if isinstance(value, list) else [value] if value is not None else []


def _utc_until(rule, start: date | datetime):
    """RFC 5545: UNTIL is UTC when DTSTART has a zone (some writers put local or zoned
    times there; they are read in DTSTART's zone)."""
    until = rule.get("UNTIL")
    if until and isinstance(until[0], datetime) and isinstance(start, datetime):
        moment = until[0] if until[0].tzinfo else localize(until[0], start.tzinfo)
        rule = rule.copy()
        rule["UNTIL"] = [moment.astimezone(UTC)]
    return rule


def _raw_values(prop, start: date | datetime) -> Iterator[date | datetime]:
    """RDATE/EXDATE values in DTSTART's terms: a floating time is local like a floating
    DTSTART (RFC 5545 3.3.5), a date on a timed series is that day from midnight in the
    series' zone (as recurring-ical-events reads it) with the series' length, a period is its
    start (its end: `_odd_periods`)."""
    for item in getattr(prop, "dts", []):
        value = item.dt
        if isinstance(value, tuple):
            value = value[0]
        if isinstance(start, datetime):
            if not isinstance(value, datetime):
                value = datetime.combine(value, time())
            yield localize(value, start.tzinfo) if value.tzinfo is None else value
        else:
            yield value.date() if isinstance(value, datetime) else value


def _date_values(prop, start: date | datetime) -> Iterator[str]:
    """RDATE/EXDATE values as UTC instants or dates: unambiguous whatever the file's TZID."""
    for value in _raw_values(prop, start):
        if isinstance(value, datetime):
            yield ":" + value.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
        else:
            yield ";VALUE=DATE:" + value.strftime("%Y%m%d")


def _odd_periods(vevent, item: ImportItem, user_zone: ZoneInfo) -> list[tuple]:
    """RDATE;VALUE=PERIOD values (RFC 5545 3.8.5.2) whose length is not the series'."""
    start = _moment(vevent, "DTSTART", user_zone)
    if not isinstance(start, datetime) or "recurrence" not in item.body:
        return []
    length = _end(vevent, start, user_zone) - start
    periods = []
    for prop in _values(vevent, "RDATE"):
        for entry in getattr(prop, "dts", []):
            if not isinstance(entry.dt, tuple):
                continue
            begin, finish = entry.dt
            begin = localize(begin, start.tzinfo) if begin.tzinfo is None else begin
            finish = begin + finish if isinstance(finish, timedelta) else (
                localize(finish, start.tzinfo) if finish.tzinfo is None else finish)
            if finish - begin != length and finish > begin:
                periods.append((begin.astimezone(start.tzinfo), finish.astimezone(start.tzinfo)))
    return periods


def _period_item(series: ImportItem, start: datetime, end: datetime) -> ImportItem:
    body = {k: v for k, v in series.body.items() if k != "recurrence"}
    body.update(start=_google_time(start), end=_google_time(end),
                originalStartTime=_google_time(start))
    return ImportItem(series.uid, body, series.sequence, start_key(start))


def _align_all_day_originals(result: IcsFile) -> None:
    """Outlook/Exchange write the RECURRENCE-ID of an all-day series' occurrence as a time
    (`RECURRENCE-ID;TZID=GMT Standard Time:20200416T000000`, or that midnight in UTC): it
    names the day whose midnight is nearest in the writer's zone."""
    all_day = {i.uid for i in result.items if i.original_start is None
               and "date" in i.body["start"] and i.body.get("recurrence")}
    aligned = []
    for item in result.items:
        original = item.body.get("originalStartTime") or {}
        if item.uid in all_day and "dateTime" in original:
            wall = datetime.fromisoformat(original["dateTime"].replace("Z", "+00:00"))
            day = (wall + timedelta(hours=12)).date()
            body = {**item.body, "originalStartTime": {"date": day.isoformat()}}
            item = replace(item, body=body, original_start=start_key(day))
        aligned.append(item)
    result.items = aligned


def _fold_cancelled_occurrences(result: IcsFile) -> None:
    """A cancelled occurrence (STATUS:CANCELLED with a RECURRENCE-ID, as Thunderbird writes
    it) of a series in the same file is also an EXDATE of the series: a new series is
    imported without it in one call. The item stays, for a series the calendar holds."""
    if result.cancels:
        return
    series = {i.uid: i for i in result.items if i.original_start is None
              and i.body.get("recurrence")}
    for item in result.items:
        master = series.get(item.uid)
        if (master is None or not item.original_start or item.this_and_future
                or item.body.get("status") != "cancelled"):
            continue
        value = (f";VALUE=DATE:{item.original_start}" if len(item.original_start) == 8
                 else f":{item.original_start}")
        body = {**master.body, "recurrence": [*master.body["recurrence"], "EXDATE" + value]}
        series[item.uid] = replace(master, body=body)
    result.items = [series.get(i.uid, i) if i.original_start is None else i
                    for i in result.items]


# ------------------------------------------------------------------------------ fields


def _add_texts(body: dict, vevent) -> None:
    summary = _text(vevent.get("SUMMARY"))
    location = _text(vevent.get("LOCATION"))
    description = _text(vevent.get("DESCRIPTION"))
    links = [_text(vevent.get("URL")), *_conference_links(vevent)]
    extra = []
    for link in dict.fromkeys(filter(None, links)):
        if link not in description and link not in location and link not in extra:
            extra.append(link)
    if not location and extra and _is_conference(vevent, extra[0]):
        location = extra.pop(0)
    if extra:
        description = "\n\n".join(filter(None, [description, "\n".join(extra)]))
    for name, value in (("summary", summary), ("location", location),
                        ("description", description)):
        if value:
            body[name] = value


def _conference_links(vevent) -> list[str]:
    links = []
    for name in _CONFERENCE_PROPERTIES:
        links.extend(_text(v) for v in _values(vevent, name))
    return [link for link in links if link.lower().startswith(("https://", "http://"))]


def _is_conference(vevent, link: str) -> bool:
    return link in _conference_links(vevent)


def _address(value) -> str | None:
    text = strip_mailto(_text(value)).strip()
    return text if "@" in text and " " not in text else None


def _add_people(body: dict, vevent) -> None:
    organizer = vevent.get("ORGANIZER")
    email = _address(organizer) if organizer is not None else None
    if email:
        body["organizer"] = _person(email, organizer)
    attendees = []
    seen = set()
    for attendee in _values(vevent, "ATTENDEE"):
        email = _address(attendee)
        if not email or email.lower() in seen:
            continue
        seen.add(email.lower())
        entry = _person(email, attendee)
        params = getattr(attendee, "params", {})
        entry["responseStatus"] = _PARTSTAT.get(str(params.get("PARTSTAT", "")).upper(),
                                                "needsAction")
        if str(params.get("ROLE", "")).upper() in ("OPT-PARTICIPANT", "NON-PARTICIPANT"):
            entry["optional"] = True
        if str(params.get("CUTYPE", "")).upper() in ("RESOURCE", "ROOM"):
            entry["resource"] = True
        attendees.append(entry)
    if attendees:
        body["attendees"] = attendees


def _person(email: str, prop) -> dict:
    entry = {"email": email}
    name = str(getattr(prop, "params", {}).get("CN", "")).strip().strip('"')
    if name and name != email:
        entry["displayName"] = name
    return entry


def _add_state(body: dict, vevent) -> None:
    status = _STATUS.get(_text(vevent.get("STATUS")).upper())
    if status:
        body["status"] = status
    busy = _text(vevent.get("X-MICROSOFT-CDO-BUSYSTATUS")).upper()
    transparent = _text(vevent.get("TRANSP")).upper() == "TRANSPARENT" or busy == "FREE"
    body["transparency"] = "transparent" if transparent else "opaque"
    visibility = _CLASS.get(_text(vevent.get("CLASS")).upper())
    if visibility:
        body["visibility"] = visibility


def _reminders(vevent, start: date | datetime) -> dict | None:
    overrides = []
    for alarm in vevent.walk("VALARM"):
        minutes = _minutes_before(alarm, start)
        if minutes is None:
            continue
        method = "email" if _text(alarm.get("ACTION")).upper() == "EMAIL" else "popup"
        entry = {"method": method, "minutes": minutes}
        if entry not in overrides:
            overrides.append(entry)
    if not overrides:
        return None
    overrides.sort(key=lambda o: o["minutes"])
    return {"useDefault": False, "overrides": overrides[:MAX_REMINDERS]}


def _minutes_before(alarm, start: date | datetime) -> int | None:
    trigger = getattr(alarm.get("TRIGGER"), "dt", None)
    if isinstance(trigger, timedelta):
        before = -trigger
    elif isinstance(trigger, datetime):
        anchor = start if isinstance(start, datetime) else datetime.combine(start, trigger.time())
        if anchor.tzinfo is None:
            anchor = anchor.replace(tzinfo=trigger.tzinfo or UTC)
        before = anchor - (trigger if trigger.tzinfo else trigger.replace(tzinfo=UTC))
    else:
        return None
    minutes = int(before.total_seconds() // 60)
    return minutes if 0 <= minutes <= MAX_REMINDER_MINUTES else None

