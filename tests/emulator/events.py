"""Event model helpers: time parsing/validation, instances, rendering, copies."""

from __future__ import annotations

import base64
import copy
import re
from datetime import UTC, date, datetime, timedelta, tzinfo
from typing import Any

from . import recurrence
from .errors import ApiError, invalid, required, time_range_empty
from .state import Calendar, State
from .timeutil import (
    fmt_datetime,
    is_valid_zone,
    now_utc,
    parse_date,
    parse_datetime,
    zone,
)

EVENT_ID_RE = re.compile(r"^[a-v0-9]{5,1024}$")
READ_ONLY = {
    "kind", "etag", "id", "htmlLink", "created", "updated", "creator", "organizer",
    "iCalUID", "sequence", "recurringEventId", "originalStartTime", "hangoutLink",
}
ENUMS = {
    "visibility": {"default", "public", "private", "confidential"},
    "transparency": {"opaque", "transparent"},
    "status": {"confirmed", "tentative", "cancelled"},
    "eventType": {"default", "outOfOffice", "focusTime", "workingLocation", "birthday",
                  "fromGmail"},
}
EXPANSION_HORIZON = timedelta(days=730)
RESPONSE_STATUSES = {"needsAction", "declined", "tentative", "accepted"}


# ------------------------------------------------------------------------- times


def parse_edt(edt: Any, which: str) -> datetime | date:
    """EventDateTime -> aware datetime or date, with Google's errors."""
    if not isinstance(edt, dict) or not (edt.get("date") or edt.get("dateTime")):
        raise required(f"Missing {which} time.")
    tzname = edt.get("timeZone")
    if tzname and not is_valid_zone(tzname):
        raise invalid(f"Invalid time zone definition for {which} time.")
    if edt.get("date") and edt.get("dateTime"):
        raise invalid(f"Invalid {which} time.")
    if edt.get("date"):
        try:
            return parse_date(edt["date"])
        except ValueError:
            raise invalid(f"Invalid {which} time.") from None
    try:
        dt = parse_datetime(edt["dateTime"])
    except ValueError:
        raise invalid(f"Invalid {which} time.") from None
    if dt.tzinfo is None:
        if not tzname:
            raise required(f"Missing time zone definition for {which} time.")
        dt = dt.replace(tzinfo=zone(tzname))
    return dt


def bounds(ev: dict[str, Any], cal_tz: tzinfo) -> tuple[datetime, datetime]:
    """Absolute (aware) start/end; all-day dates are taken in the calendar's zone."""
    s = parse_edt(ev["start"], "start")
    e = parse_edt(ev["end"], "end")
    return _abs(s, cal_tz), _abs(e, cal_tz)


def _abs(v: datetime | date, cal_tz: tzinfo) -> datetime:
    if isinstance(v, datetime):
        return v
    return datetime(v.year, v.month, v.day, tzinfo=cal_tz)


def is_all_day(ev: dict[str, Any]) -> bool:
    return bool(ev.get("start", {}).get("date"))


def validate_event(ev: dict[str, Any]) -> None:
    """Semantic checks Google performs on a complete event resource."""
    if ev.get("status") == "cancelled" and "start" not in ev:
        return
    s = parse_edt(ev.get("start"), "start")
    e = parse_edt(ev.get("end"), "end")
    if isinstance(s, datetime) != isinstance(e, datetime):
        raise invalid("Start and end times must either both be date or both be dateTime.")
    if isinstance(s, datetime):
        if e < s:  # type: ignore[operator]
            raise time_range_empty()
    elif e <= s:  # type: ignore[operator]
        raise time_range_empty()
    rec = ev.get("recurrence")
    if rec:
        if isinstance(s, datetime):
            for which in ("start", "end"):
                if not ev[which].get("timeZone"):
                    raise required(f"Missing time zone definition for {which} time.")
        try:
            if isinstance(s, datetime):
                tzname = ev["start"]["timeZone"]
                local = s.astimezone(zone(tzname)).replace(tzinfo=None)
                recurrence.validate(rec, local, tzname, False)
            else:
                recurrence.validate(rec, datetime(s.year, s.month, s.day), None, True)
        except (recurrence.RecurrenceError, ValueError):
            raise invalid("Invalid recurrence rule.") from None
    for key, allowed in ENUMS.items():
        if key in ev and ev[key] not in allowed:
            raise invalid(f"Invalid value for: {key}")
    if "colorId" in ev and ev["colorId"] not in {str(i) for i in range(1, 12)}:
        raise invalid("Invalid Value")
    rem = ev.get("reminders")
    if rem:
        overrides = rem.get("overrides") or []
        if rem.get("useDefault") and overrides:
            raise ApiError(
                400,
                "cannotUseDefaultRemindersAndSpecifyOverride",
                "Cannot specify both default reminders and overrides at the same time.",
            )
        if len(overrides) > 5:
            raise invalid("Too many reminders.")
        for o in overrides:
            if o.get("method") not in ("email", "popup"):
                raise required("Missing reminder method.") if "method" not in o else invalid(
                    "Invalid reminder method."
                )
            if not isinstance(o.get("minutes"), int) or not 0 <= o["minutes"] <= 40320:
                raise invalid("Invalid reminder minutes.")
    validate_event_type(ev)
    seen = set()
    for a in ev.get("attendees") or []:
        email = (a.get("email") or "").strip()
        if not email:
            raise required("Missing attendee email.")
        if "@" not in email or " " in email:
            raise invalid("Invalid attendee email.")
        if a.get("responseStatus", "needsAction") not in RESPONSE_STATUSES:
            raise invalid("Invalid Value")
        if email.lower() in seen:
            raise invalid("Duplicate attendee email.")
        seen.add(email.lower())


# Status events (https://developers.google.com/calendar/api/guides/event-types and the
# discovery document's Event.eventType / *Properties): only on primary calendars (checked by
# insert), never with attendees; out of office and focus time are timed; a working location
# is free, public and spans at most one day when all-day; birthday and fromGmail events
# cannot be created through the API; a *Properties object needs its own event type (Google's
# wording, e.g. "outOfOfficeProperties requires an event type of outOfOffice", is quoted in
# dust-tt/dust PR #25311). The other messages follow the guide's rules; their exact wording
# is not published.
TYPE_PROPERTIES = {"outOfOffice": "outOfOfficeProperties", "focusTime": "focusTimeProperties",
                   "workingLocation": "workingLocationProperties"}
AUTO_DECLINE_MODES = {"declineNone", "declineAllConflictingInvitations",
                      "declineOnlyNewConflictingInvitations"}
WORKING_LOCATION_TYPES = {"homeOffice", "officeLocation", "customLocation"}


def validate_event_type(ev: dict[str, Any]) -> None:
    kind = ev.get("eventType", "default")
    for other, key in TYPE_PROPERTIES.items():
        if key in ev and ev[key] is not None and kind != other:
            raise invalid(f"{key} requires an event type of {other}")
    if kind in ("default", "birthday", "fromGmail"):
        return
    if ev.get("attendees"):
        raise invalid(f"Attendees cannot be added to {kind} events.")
    if kind in ("outOfOffice", "focusTime"):
        if is_all_day(ev):
            raise invalid(f"{kind} events cannot be all-day events.")
        props = ev.get(TYPE_PROPERTIES[kind]) or {}
        mode = props.get("autoDeclineMode")
        if mode is not None and mode not in AUTO_DECLINE_MODES:
            raise invalid("Invalid value for: autoDeclineMode")
        if kind == "focusTime" and props.get("chatStatus") not in (None, "available",
                                                                   "doNotDisturb"):
            raise invalid("Invalid value for: chatStatus")
        return
    props = ev.get("workingLocationProperties")
    if not props or props.get("type") not in WORKING_LOCATION_TYPES:
        raise required("Missing working location properties type.")
    if ev.get("transparency") != "transparent":
        raise invalid("Working location events must be transparent.")
    if ev.get("visibility") != "public":
        raise invalid("Working location events must be public.")
    if is_all_day(ev) and (parse_date(ev["end"]["date"]) - parse_date(ev["start"]["date"])
                           ).days != 1:
        raise invalid("All-day working location events must span exactly one day.")


def normalize_attendees(ev: dict[str, Any]) -> None:
    org = (ev.get("organizer") or {}).get("email", "").lower()
    for a in ev.get("attendees") or []:
        a.pop("self", None)
        if a["email"].lower() == org:
            a["organizer"] = True
            a.setdefault("responseStatus", "accepted")
        a.setdefault("responseStatus", "needsAction")
        if a["email"].lower() != org:
            a.pop("organizer", None)


# ------------------------------------------------------------------------- instances


def split_instance_id(event_id: str) -> tuple[str, str] | None:
    m = re.match(r"^(.+)_(\d{8}(?:T\d{6}Z)?)$", event_id)
    return (m.group(1), m.group(2)) if m else None


def make_instance(
    master: dict[str, Any], start: datetime | date, end: datetime | date
) -> dict[str, Any]:
    inst = copy.deepcopy(master)
    inst.pop("recurrence", None)
    all_day = not isinstance(start, datetime)
    inst["id"] = f"{master['id']}_{recurrence.instance_suffix(start, all_day)}"
    inst["recurringEventId"] = master["id"]
    if all_day:
        inst["start"] = {"date": start.isoformat()}
        inst["end"] = {"date": end.isoformat()}
        inst["originalStartTime"] = {"date": start.isoformat()}
    else:
        tzs = master["start"].get("timeZone")
        tze = master["end"].get("timeZone")
        inst["start"] = {"dateTime": start.isoformat(), "timeZone": tzs}
        inst["end"] = {"dateTime": end.isoformat(), "timeZone": tze}
        inst["originalStartTime"] = {"dateTime": start.isoformat(), "timeZone": tzs}
    return inst


def expand_master(
    master: dict[str, Any],
    cal: Calendar,
    window_start: datetime | None,
    window_end: datetime | None,
    *,
    include_cancelled: bool,
) -> list[dict[str, Any]]:
    """Instances of a recurring event, with stored exceptions substituted."""
    cal_tz = zone(cal.time_zone)
    s = parse_edt(master["start"], "start")
    e = parse_edt(master["end"], "end")
    if window_end is None:  # open-ended series: expand about two years ahead
        window_end = max(_abs(s, cal_tz), now_utc()) + EXPANSION_HORIZON
    occ = recurrence.expand(
        master["recurrence"], s, e, master["start"].get("timeZone"), window_start,
        window_end, cal_tz,
    )
    out = []
    seen = set()
    for start, end in occ:
        inst = make_instance(master, start, end)
        seen.add(inst["id"])
        exc = cal.events.get(inst["id"])
        if exc is not None:
            # Google filters an exception by where it is now, not where it was: timeMin
            # bounds its end, timeMax its start (events.list / events.instances).
            if exc.get("status") != "cancelled" and not overlaps(exc, cal_tz, window_start,
                                                                   window_end):
                continue
            inst = exc
        if inst.get("status") == "cancelled" and not include_cancelled:
            continue
        out.append(inst)
    # Exceptions moved into the window from elsewhere.
    for ev in cal.events.values():
        if ev.get("recurringEventId") == master["id"] and ev["id"] not in seen:
            if ev.get("status") == "cancelled" and not include_cancelled:
                continue
            if ev.get("status") == "cancelled" and "start" not in ev:
                continue
            if overlaps(ev, cal_tz, window_start, window_end):
                out.append(ev)
    return out


def find_occurrence(master: dict[str, Any], cal: Calendar, suffix: str) -> dict[str, Any] | None:
    all_day = is_all_day(master)
    try:
        if all_day:
            d = datetime.strptime(suffix, "%Y%m%d").date()
            ws = datetime(d.year, d.month, d.day, tzinfo=zone(cal.time_zone))
        else:
            ws = datetime.strptime(suffix, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    except ValueError:
        return None
    s = parse_edt(master["start"], "start")
    e = parse_edt(master["end"], "end")
    occ = recurrence.expand(
        master["recurrence"], s, e, master["start"].get("timeZone"),
        ws - timedelta(days=2), ws + timedelta(days=2), zone(cal.time_zone),
    )
    for start, end in occ:
        inst = make_instance(master, start, end)
        if inst["id"].endswith("_" + suffix):
            return inst
    return None


def overlaps(
    ev: dict[str, Any], cal_tz: tzinfo, window_start: datetime | None, window_end: datetime | None
) -> bool:
    if ev.get("recurrence"):
        return True  # checked by expansion
    s, e = bounds(ev, cal_tz)
    if window_start is not None and e <= window_start and not (s == e == window_start):
        return False
    return not (window_end is not None and s >= window_end)


def master_overlaps(
    master: dict[str, Any], cal: Calendar, ws: datetime | None, we: datetime | None
) -> bool:
    return bool(expand_master(master, cal, ws, we, include_cancelled=True))


# ------------------------------------------------------------------------- rendering


def html_link(event_id: str, calendar_id: str) -> str:
    eid = base64.urlsafe_b64encode(f"{event_id} {calendar_id}".encode()).decode().rstrip("=")
    return f"https://www.google.com/calendar/event?eid={eid}"


def render(
    ev: dict[str, Any],
    cal: Calendar,
    caller: str | None,
    tz_name: str | None = None,
    max_attendees: int | None = None,
) -> dict[str, Any]:
    out = copy.deepcopy(ev)
    tz = zone(tz_name or cal.time_zone)
    for key in ("start", "end", "originalStartTime"):
        edt = out.get(key)
        if isinstance(edt, dict) and edt.get("dateTime"):
            try:
                dt = parse_edt(edt, key if key != "originalStartTime" else "start")
            except ApiError:
                continue
            assert isinstance(dt, datetime)
            edt["dateTime"] = fmt_datetime(dt, tz)
            if not edt.get("timeZone"):
                edt.pop("timeZone", None)
    # `self` marks the calendar on which this copy of the event appears, not the caller:
    # organizer.self "Whether the organizer corresponds to the calendar on which this copy of
    # the event appears", attendees[].self likewise
    # (https://developers.google.com/calendar/api/v3/reference/events). On the primary
    # calendar that is the user; on a secondary calendar, that calendar.
    me = cal.id.lower()
    for key in ("creator", "organizer"):
        person = out.get(key)
        if isinstance(person, dict) and person.get("email", "").lower() == me:
            person["self"] = True
    attendees = out.get("attendees")
    if attendees:
        for a in attendees:
            if a.get("email", "").lower() == me:
                a["self"] = True
        if max_attendees is not None and len(attendees) > max_attendees:
            out["attendees"] = [a for a in attendees if a.get("self")]
            out["attendeesOmitted"] = True
    return {k: v for k, v in out.items() if not k.startswith("_")}


def merge_patch(target: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    """Google PATCH semantics: objects merge recursively, arrays/scalars replace, null clears."""
    out = copy.deepcopy(target)
    for k, v in patch.items():
        if v is None:
            out.pop(k, None)
        elif isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = merge_patch(out[k], v)
        else:
            out[k] = copy.deepcopy(v)
    return out


def touch(state: State, ev: dict[str, Any], now_iso: str, *, bump_sequence: bool) -> None:
    ev["etag"] = state.new_event_etag()
    ev["updated"] = now_iso
    if bump_sequence:
        ev["sequence"] = int(ev.get("sequence", 0)) + 1


def search_text(ev: dict[str, Any]) -> str:
    parts = [ev.get("summary", ""), ev.get("description", ""), ev.get("location", "")]
    for p in [ev.get("organizer") or {}, *(ev.get("attendees") or [])]:
        parts += [p.get("email", ""), p.get("displayName", "")]
    return " ".join(x for x in parts if x).lower()
