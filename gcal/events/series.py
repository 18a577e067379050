"""scope=following: change, delete or answer one occurrence of a series and every later one.

Done the way Google Calendar does it: the original series ends just before the chosen
occurrence (``UNTIL`` in the rule's own form: UTC for timed series, a date for all-day ones;
``COUNT`` dropped) and, for a change, a new series starts at that occurrence with the change
applied, carrying guests (with their answers), reminders, conference data and the exceptions
whose original start falls after the split (wherever they were moved).

Everything is decided before the first write: a guest never copies the organizer's series (a
shared change is refused, their own fields change per occurrence), and occurrences are chosen
by their original start. The new series' id is derived from the chosen occurrence's id, so a
resend after a lost answer finds the split already made and only finishes what is missing
(never a second new series). Steps run in an order whose every prefix a resend completes:
insert the new series, end the original series, carry the exceptions. docs/series.md lists
each operation's calls."""

from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from gcal.dates.recurrence import expand_rule, moved_rules, utc_stamp, wall_start
from gcal.dates.spans import WEEKDAYS
from gcal.dates.times import localize, parse_rfc3339, to_rfc3339
from gcal.errors import EVENT_ID_EXAMPLE, GoogleCalendarError, InvalidInputError, NotFoundError
from gcal.events import event_types, writes
from gcal.events.input import EventFields, Span, span_of
from gcal.google.batch import Call, run_batch
from gcal.google.client import CalendarClient
from gcal.google.ids import event_id_for_key
from gcal.google.serializers import event_from_api
from gcal.words import plural

# What a new series copies from the original besides times and rules: everything the
# organizer set (read-only and per-revision fields are Google's to fill).
_NOT_COPIED = {"kind", "etag", "id", "htmlLink", "created", "updated", "creator", "organizer",
               "iCalUID", "sequence", "recurringEventId", "originalStartTime", "hangoutLink",
               "status", "start", "end", "recurrence", "attendeesOmitted", "endTimeUnspecified",
               "privateCopy", "locked", "source"}
# What an occurrence can hold differently from its series (an exception worth carrying).
_OWN_FIELDS = ("summary", "description", "location", "colorId", "transparency", "visibility",
               "reminders", "attendees")
_INSTANCE_PAGE = 2500
_MAX_PAGES = 20


@dataclass
class _Split:
    calendar_id: str
    master: dict
    start: Span  # the chosen occurrence as the series would hold it (its original time)
    follower_id: str  # the id the new series gets (derived from the occurrence's id)

    @property
    def first_day(self) -> str:
        day = self.start.start if self.start.all_day else self.start.start.date()
        return f"{WEEKDAYS[day.weekday()]} {day.isoformat()}"


# ----------------------------------------------------------------------------- entry points

# What a guest may change on their own copy (Google's forbiddenForNonOrganizer spares these:
# https://developers.google.com/calendar/api/guides/errors#403_forbidden_for_non_organizer).
_PERSONAL = {"reminders", "colorId", "transparency"}
_PERSONAL_NAMES = "reminders, color and show_as"
_HORIZON = timedelta(days=366)  # how far an open-ended series is answered or changed
_ONE_OFF = writes.one_off_note("following")


def update_following(client: CalendarClient, fields: EventFields, event_id: str,
                     calendar_spec: str | None) -> writes.WriteResult:
    calendar = writes.target_calendar(client, calendar_spec)
    split = _locate(client, calendar.id, event_id)
    if split is None:  # not part of a series: "this and following" is just this event
        fields.scope = "instance"
        result = writes.update_event(client, fields, event_id, calendar.id)
        result.notes.append(_ONE_OFF)
        return result
    if not writes.is_organizer_copy(split.master, calendar.id):
        return _guest_update(client, split, fields)
    if _is_first(split):
        fields.scope = "series"
        result = writes.update_event(client, fields, split.master["id"], calendar.id)
        result.notes.append("That is the series' first occurrence, so the whole series "
                            "changed.")
        return result
    zone = fields.zone or client.primary_time_zone()
    follower = _existing(client, calendar.id, split.follower_id)
    if follower is None and _ended(split):
        raise InvalidInputError("event_id", f"the series already ends before {split.first_day}"
                                ", so there is no occurrence from it on to change",
                                EVENT_ID_EXAMPLE)
    notes: list[str] = []
    send = fields.send_updates
    # Read before the first write: the new series needs the cancelled ones, and the changed
    # ones move over, chosen by where they belong (their original start), not where they are.
    exceptions = _exceptions_from(client, split)
    if follower is None:
        body, send = _follower_body(split, fields, zone, exceptions)
        follower = writes.insert_event(client, calendar.id, body, send)
        notes += writes.invitation_note(send, follower.get("attendees"), "Invitations")
    else:
        follower, again = _change_again(client, split, follower, fields, zone)
        notes.append(again)
    if not _ended(split):  # right after the insert: both series run for one request only
        _end_before(client, split, fields.send_updates)
    notes += _carry_exceptions(client, split, follower, fields, exceptions)
    earlier = _count(client, calendar.id, split.master["id"])
    later = _count(client, calendar.id, follower["id"]) if _finite(follower) else None
    changed = plural(later, "occurrence") if later is not None else "every occurrence"
    line = (f"Changed {changed} from {split.first_day} on; the earlier {earlier} "
            f"{'is' if earlier == 1 else 'are'} unchanged.")
    event = event_from_api(follower, calendar.id, client.viewer())
    result = writes.WriteResult("updated", event, zone, notes=notes, send_updates=send)
    result.headline = line
    result.data = _ids(split.master["id"], follower["id"], later, earlier)
    return result


def delete_following(client: CalendarClient, event_id: str, calendar_spec: str | None,
                     send_updates: str | None) -> writes.WriteResult:
    calendar = writes.target_calendar(client, calendar_spec)
    zone = client.primary_time_zone()
    split = _locate(client, calendar.id, event_id)
    if split is None:
        result = writes.delete_event(client, event_id, calendar.id, "instance", send_updates)
        result.notes.append(_ONE_OFF)
        return result
    if not writes.is_organizer_copy(split.master, calendar.id):
        raise InvalidInputError("scope", f"only the organizer ({_organizer(split)}) can end "
                                "this series for everyone, and you are a guest; to leave it "
                                "from here on, use respond_to_event with scope=following and "
                                "response=declined", "instance")
    if _is_first(split):
        result = writes.delete_event(client, split.master["id"], calendar.id, "series",
                                     send_updates)
        result.notes.append("That is the series' first occurrence, so the whole series was "
                            "deleted.")
        return result
    action, notes = "deleted", []
    if _ended(split):
        action = "already_deleted"
        notes.append("The series already ends before this occurrence — nothing to do.")
    else:
        for item in _exceptions_from(client, split):  # they would stay visible after the end
            _drop_exception(client, split.calendar_id, item)
        split.master = _end_before(client, split, send_updates)
    earlier = _count(client, calendar.id, split.master["id"])
    event = event_from_api(split.master, calendar.id, client.viewer())
    result = writes.WriteResult(action, event, zone, notes=notes, send_updates=send_updates)
    result.headline = (f"Deleted every occurrence from {split.first_day} on; the earlier "
                       f"{earlier} {'is' if earlier == 1 else 'are'} kept.")
    result.data = _ids(split.master["id"], None, None, earlier)
    return result


def respond_following(client: CalendarClient, event_id: str, calendar_spec: str | None,
                      response: str, comment: str | None, send_updates: str | None
                      ) -> writes.WriteResult:
    """A guest cannot split someone else's series: each occurrence from the chosen one on
    gets the answer (Google keeps an answer per occurrence). Only the first answer notifies
    the organizer; the rest go out quietly in batches; an open-ended series is answered a
    year ahead."""
    calendar = writes.listed_calendar(client, calendar_spec)
    if not calendar.writable:  # the invitation is on the user's own calendar too
        calendar = writes.listed_calendar(client, "primary")
    split = _locate(client, calendar.id, event_id)
    if split is None:
        result = writes.respond_to_event(client, event_id, calendar.id, response, comment,
                                         "instance", send_updates=send_updates)
        result.notes.append(_ONE_OFF)
        return result
    items = _occurrences_from(client, split)
    if not items:
        raise InvalidInputError("event_id", "no occurrence left from this one on",
                                EVENT_ID_EXAMPLE)
    viewer = client.viewer()
    todo = []
    for item in items:
        mine = writes.my_entry(item, calendar.id, viewer)
        if mine is None:
            raise writes.not_a_guest(item, calendar, viewer)
        answer = writes.answer_body(mine, response, comment)
        if mine != answer:  # a resend skips what is answered already: no second e-mail
            todo.append((item, {"attendees": [answer], "attendeesOmitted": True}))
    notifies = bool(todo) and todo[0][0] is items[0]  # the chosen one, not answered before
    send = (send_updates or "all") if notifies else "none"
    _answer_all(client, split, todo, send)
    earlier = _count(client, calendar.id, split.master["id"], time_max=_instant(split.start))
    saved = writes.fetch_event(client, calendar.id, items[0]["id"])
    result = writes.WriteResult("responded", event_from_api(saved, calendar.id, viewer),
                                client.primary_time_zone(), send_updates=send)
    result.headline = (f"Answered {plural(len(items), 'occurrence')} {response} from "
                       f"{split.first_day} on; the earlier {earlier} keep their answer.")
    if send != "none":
        result.notes.append("The organizer was told once (for the first of them).")
    if not _finite(split.master):
        result.notes.append(f"Occurrences from {_horizon(split):%Y-%m-%d} on (more than a "
                            "year ahead) were not answered; answer again from then on.")
    result.data = _ids(split.master["id"], None, len(items), earlier)
    return result


def _answer_all(client, split: _Split, todo: list[tuple[dict, dict]], first_send: str) -> None:
    """The first answer alone (it notifies, when asked to), the rest in batches, quietly."""
    if not todo:
        return
    first, patch = todo[0]
    writes.patch_event(client, split.calendar_id, first, patch, {"sendUpdates": first_send})
    _patch_each(client, split, todo[1:], done_before=1, verb="Answered")


def _patch_each(client, split: _Split, todo: list[tuple[dict, dict]], *, done_before: int,
                verb: str) -> None:
    calls = [Call("PATCH", writes.events_path(split.calendar_id, item["id"]),
                  {"sendUpdates": "none"}, patch) for item, patch in todo]
    answers = run_batch(client.transport, calls)
    failed = [answer for answer in answers if not answer.ok]
    if failed:
        done = done_before + len(answers) - len(failed)
        reason = failed[0].error.message if failed[0].error else f"HTTP {failed[0].status}"
        raise GoogleCalendarError(
            f"{verb} {done} of {done_before + len(todo)} occurrences from {split.first_day} on; "
            f"{len(failed)} failed ({reason}). Call again with the same parameters to finish: "
            "occurrences already done are skipped and nobody is notified again.")


def _guest_update(client: CalendarClient, split: _Split, fields: EventFields
                  ) -> writes.WriteResult:
    """A guest's own fields change on each occurrence from the split on, without a new
    series; anything shared is refused before any write (it needs the organizer)."""
    shared = _shared_changes(fields)
    if shared:
        raise InvalidInputError(
            "scope", f"only the organizer ({_organizer(split)}) can change this series' "
            f"{', '.join(shared)} for everyone, and you are a guest (a guest's change must not "
            "copy their series); ask them, or answer with respond_to_event scope=following (a "
            f"comment can propose it); {_PERSONAL_NAMES} are yours to change here",
            "reminders")
    patch = {**{k: v for k, v in fields.simple.items() if k in _PERSONAL},
             **{k: v for k, v in fields.cleared.items() if k in _PERSONAL}}
    if not patch:
        raise InvalidInputError("summary", "nothing to change was given", "reminders")
    items = _occurrences_from(client, split)
    todo = [(item, patch) for item in items if not writes.holds(item, patch)]
    _patch_each(client, split, todo, done_before=0, verb="Changed")
    zone = client.primary_time_zone()
    event = event_from_api(split.master, split.calendar_id, client.viewer())
    result = writes.WriteResult("updated", event, zone, send_updates="none")
    result.headline = (f"Changed your {', '.join(_names(patch))} on "
                       f"{plural(len(items), 'occurrence')} from {split.first_day} on; you are "
                       "a guest, so no new series was made and nobody was notified.")
    if not _finite(split.master):
        result.notes.append(f"Occurrences from {_horizon(split):%Y-%m-%d} on (more than a "
                            "year ahead) were not changed; change them again from then on.")
    result.data = _ids(split.master["id"], None, len(items), 0)
    return result


def _shared_changes(fields: EventFields) -> list[str]:
    given = {*fields.simple, *fields.cleared} - _PERSONAL
    if fields.times.given:
        given.add("time")
    if (fields.attendees is not None or fields.optional_attendees is not None
            or fields.add_attendees or fields.remove_attendees):
        given.add("guests")
    if fields.add_meet:
        given.add("Google Meet")
    if fields.recurrence is not None:
        given.add("recurrence")
    return sorted(given)


def _names(patch: dict) -> list[str]:
    return [{"colorId": "color", "transparency": "show_as"}.get(key, key) for key in patch]


def _organizer(split: _Split) -> str:
    organizer = split.master.get("organizer") or {}
    return organizer.get("email") or organizer.get("displayName") or "unknown"


def _horizon(split: _Split) -> datetime:
    return _instant(split.start) + _HORIZON


def _ids(earlier_id: str, following_id: str | None, later: int | None, earlier: int) -> dict:
    return {"earlier_series_id": earlier_id, "following_series_id": following_id,
            "occurrences_changed": later, "occurrences_unchanged": earlier}


# ----------------------------------------------------------------------------- locating


def _locate(client: CalendarClient, calendar_id: str, event_id: str) -> _Split | None:
    """The series and the chosen occurrence; None when the event is not part of a series.

    After a split the occurrence no longer belongs to the original series (Google answers
    404 for it), so the id itself tells the series and the occurrence's original start."""
    match = writes.INSTANCE_ID.match(event_id)
    try:
        item = client.transport.get(writes.events_path(calendar_id, event_id)) or {}
    except NotFoundError:
        item = None
    if item is not None and not item.get("recurringEventId"):
        if item.get("recurrence"):
            raise InvalidInputError(
                "event_id", "is a whole series; scope=following needs one occurrence's id "
                "(list_events shows each occurrence with its own id)", EVENT_ID_EXAMPLE)
        return None
    master_id = (item or {}).get("recurringEventId") or (match["series"] if match else None)
    if master_id is None:
        raise InvalidInputError("event_id", f"no event {event_id!r} on calendar {calendar_id}",
                                EVENT_ID_EXAMPLE)
    master = writes.fetch_event(client, calendar_id, master_id)
    if master.get("status") == "cancelled":
        raise InvalidInputError("event_id", "its series has been deleted", EVENT_ID_EXAMPLE)
    own = span_of(master, client.calendar_zone(calendar_id))
    start = _original_start(item, match, own)
    follower_id = event_id_for_key(f"following:{event_id}", calendar_id,
                                   client.account_email())
    return _Split(calendar_id, master, start, follower_id)


def _original_start(item: dict | None, match, series: Span) -> Span:
    original = (item or {}).get("originalStartTime") or {}
    if "date" in original or (not original and series.all_day):
        day = (date.fromisoformat(original["date"]) if original
               else datetime.strptime(match["when"][:8], "%Y%m%d").date())
        return Span(day, day + (series.end - series.start), series.zone)
    if original:
        begin = parse_rfc3339(original["dateTime"]).astimezone(series.zone)
    else:
        begin = datetime.strptime(match["when"], "%Y%m%dT%H%M%SZ").replace(
            tzinfo=UTC).astimezone(series.zone)
    return Span(begin, begin + series.length(), series.zone)


def _is_first(split: _Split) -> bool:
    first = span_of(split.master, split.start.zone)
    return _instant(first) >= _instant(split.start)


def _ended(split: _Split) -> bool:
    """True once every RRULE of the series stops before the chosen occurrence."""
    rules = [line for line in split.master.get("recurrence") or [] if line.startswith("RRULE:")]
    ends = [_until(line, split.start) for line in rules]
    return bool(rules) and all(end is not None and end < _instant(split.start) for end in ends)


def _until(line: str, series: Span) -> datetime | None:
    """The last moment a rule's UNTIL allows. RFC 5545 3.3.10: UNTIL is inclusive, and a
    date or a floating date-time is local time, here the series' zone (a date covers its
    whole day)."""
    found = re.search(r"UNTIL=(\d{8})(T\d{6})?(Z)?", line)
    if not found:
        return None
    if found[3]:
        return datetime.strptime(found[1] + found[2], "%Y%m%dT%H%M%S").replace(tzinfo=UTC)
    if found[2]:
        return localize(datetime.strptime(found[1] + found[2], "%Y%m%dT%H%M%S"), series.zone)
    day = datetime.strptime(found[1], "%Y%m%d")
    return localize(day + timedelta(days=1), series.zone) - timedelta(microseconds=1)


def _instant(span: Span) -> datetime:
    return span.instants()[0]


# ----------------------------------------------------------------------------- rules


def earlier_rules(lines: list[str], split_at: Span) -> list[str]:
    """The original series' lines, ending just before ``split_at``."""
    until = (f"UNTIL={(split_at.start - timedelta(days=1)):%Y%m%d}" if split_at.all_day else
             f"UNTIL={(_instant(split_at) - timedelta(seconds=1)).astimezone(UTC):%Y%m%dT%H%M%SZ}")
    kept = []
    for line in lines:
        if line.startswith("RRULE:"):
            parts = [p for p in line.removeprefix("RRULE:").split(";")
                     if not p.startswith(("COUNT=", "UNTIL="))]
            kept.append("RRULE:" + ";".join([*parts, until]))
        else:
            dated = _dates_on_side(line, split_at, before=True)
            if dated:
                kept.append(dated)
    return kept


def following_rules(lines: list[str], series: Span, split_at: Span) -> list[str]:
    """The lines of a series starting at ``split_at``: a COUNT lowered by the occurrences
    before it, RDATE/EXDATE values from it on."""
    kept = []
    for line in lines:
        if line.startswith("RRULE:"):
            kept.append(_rest_of_count(line, series, split_at))
        else:
            dated = _dates_on_side(line, split_at, before=False)
            if dated:
                kept.append(dated)
    return kept


def _rest_of_count(line: str, series: Span, split_at: Span) -> str:
    count = re.search(r"COUNT=(\d+)", line)
    if not count:
        return line
    # COUNT counts what the rule generates, before EXDATEs remove any (RFC 5545 3.8.5.3);
    # the walk stops at the split, however large the COUNT.
    walk = expand_rule(line, wall_start(series), stop_before=wall_start(split_at))
    if walk.cut:
        raise InvalidInputError("event_id", f"how many occurrences of {line} come before "
                                f"this one cannot be judged: the rule {walk.cut}",
                                EVENT_ID_EXAMPLE)
    # RFC 5545 3.3.10: "The DTSTART property value always counts as the first occurrence",
    # and Google keeps a start its rule does not give as one; dateutil skips it.
    stray_start = (wall_start(split_at) > wall_start(series)
                   and walk.moments[:1] != (wall_start(series),))
    done = len(walk.moments) + stray_start
    return line.replace(count[0], f"COUNT={max(1, int(count[1]) - done)}")


def _dates_on_side(line: str, split_at: Span, *, before: bool) -> str | None:
    head, _, values = line.partition(":")
    zone = split_at.zone
    kept = [v for v in values.split(",") if (_value_instant(v, zone) < _instant(split_at))
            == before]
    return f"{head}:{','.join(kept)}" if kept else None


def _value_instant(value: str, zone: ZoneInfo) -> datetime:
    if len(value) == 8:
        return localize(datetime.strptime(value, "%Y%m%d"), zone)
    wall = datetime.strptime(value[:15], "%Y%m%dT%H%M%S")
    return wall.replace(tzinfo=UTC) if value.endswith("Z") else localize(wall, zone)


def _rule_value(span: Span) -> str:
    return f"{span.start:%Y%m%d}" if span.all_day else utc_stamp(_instant(span))


# ----------------------------------------------------------------------------- the new series


def _follower_body(split: _Split, fields: EventFields, zone: ZoneInfo,
                   exceptions: list[dict]):
    master, base = split.master, split.start
    if fields.recurrence is not None:
        raise InvalidInputError("recurrence", "cannot be given with scope=following; change "
                                "the rule with scope=series", "series")
    own = fields.zone or base.zone
    moved = fields.times.revise(base, zone).in_zone(own) if fields.times.given else base
    if moved.all_day != base.all_day:
        raise InvalidInputError("all_day", "a recurring series cannot switch between all-day "
                                "and timed", "false")
    cancelled = [_rule_value(_original_start(item, None, base)) for item in exceptions
                 if item.get("status") == "cancelled"]
    rules = following_rules(master.get("recurrence") or [], span_of(master, base.zone), base)
    if cancelled:
        rules.append(("EXDATE;VALUE=DATE:" if base.all_day else "EXDATE:") + ",".join(cancelled))
    if fields.times.given:
        rules = moved_rules(rules, base, moved)
    body = {key: value for key, value in master.items() if key not in _NOT_COPIED}
    body.update(id=split.follower_id, recurrence=rules, **moved.body())
    body.update({key: value for key, value in fields.simple.items()})
    body.update({key: value for key, value in fields.cleared.items() if value is not None})
    for key, value in fields.cleared.items():
        if value is None:
            body.pop(key, None)
    attendees = writes.revised_attendees(master.get("attendees") or [], fields)
    if attendees is not None:
        body["attendees"] = attendees
    for key, value in event_types.update_patch(fields.types, master,
                                               adds_guests=bool(body.get("attendees")),
                                               all_day=moved.all_day).items():
        body[key] = {**(body.get(key) or {}), **value}
    if fields.add_meet and not writes.has_meet(master):
        body["conferenceData"] = writes.meet_request(split.follower_id)
    send = writes.default_send(fields.send_updates, body.get("attendees"))
    return body, send


def _existing(client, calendar_id: str, event_id: str) -> dict | None:
    try:
        item = client.transport.get(writes.events_path(calendar_id, event_id)) or {}
    except NotFoundError:
        return None
    return None if item.get("status") == "cancelled" else item


def _change_again(client, split: _Split, follower: dict, fields: EventFields,
                  zone: ZoneInfo) -> tuple[dict, str]:
    """The same occurrence id again: the new series already holds these occurrences, so the
    change goes there (a resend that changes nothing writes nothing)."""
    body, _ = _follower_body(split, fields, zone, [])
    touched = {*fields.simple, *fields.cleared}
    if fields.times.given:
        touched |= {"start", "end"}
    if "attendees" in body and writes.revised_attendees(
            split.master.get("attendees") or [], fields) is not None:
        touched.add("attendees")
    wanted = {key: body.get(key) for key in touched}
    if writes.holds(follower, wanted):
        return follower, ("This occurrence was already split off with this change (same "
                          "occurrence id) — not split twice.")
    fields.scope = "series"
    writes.update_event(client, fields, follower["id"], split.calendar_id)
    return (writes.fetch_event(client, split.calendar_id, follower["id"]),
            "This occurrence was already split off (same occurrence id), so the change was "
            "applied to that new series — not split twice.")


def _finite(series: dict) -> bool:
    rules = [line for line in series.get("recurrence") or [] if line.startswith("RRULE:")]
    return all("COUNT=" in line or "UNTIL=" in line for line in rules)


# ----------------------------------------------------------------------------- exceptions


def _exceptions_from(client, split: _Split) -> list[dict]:
    """Stored exceptions (moved, changed or cancelled occurrences) whose original start is at
    or after the split, wherever they are now. events.instances filters on an occurrence's
    actual time, so one moved across the split would be misjudged; a listing by iCalUID
    (singleEvents=false) returns the series and every exception of it, at any time, and
    cancelled ones too (events.list: "cancelled exceptions of an uncancelled recurring event
    are still included" with showDeleted=false)."""
    items = _pages(client, writes.events_path(split.calendar_id),
                   {"iCalUID": split.master.get("iCalUID"), "showDeleted": "true",
                    "maxResults": _INSTANCE_PAGE})
    return [item for item in items if item.get("recurringEventId") == split.master["id"]
            and _belongs_after(item, split)]


def _belongs_after(item: dict, split: _Split) -> bool:
    return _instant(_original_start(item, None, split.start)) >= _instant(split.start)


def _occurrences_from(client, split: _Split) -> list[dict]:
    """Live occurrences whose original start is from the split on (up to a year ahead for an
    open-ended series), in that order; read a year back too, so one moved earlier is found."""
    horizon = None if _finite(split.master) else _horizon(split)
    items = _instances(client, split.calendar_id, split.master["id"],
                       time_min=_instant(split.start) - _HORIZON, time_max=horizon)
    kept = [item for item in items if item.get("status") != "cancelled"
            and _belongs_after(item, split)
            and (horizon is None
                 or _instant(_original_start(item, None, split.start)) < horizon)]
    return sorted(kept, key=lambda item: _instant(_original_start(item, None, split.start)))


def _carry_exceptions(client, split: _Split, follower: dict, fields: EventFields,
                      exceptions: list[dict]) -> list[str]:
    """Each changed occurrence after the split becomes the same exception of the new series
    (cancelled ones are EXDATEs there already); the original's copy is then removed, since
    Google keeps an exception visible even when the series no longer reaches it."""
    new_start = span_of(follower, split.start.zone)
    notes = []
    for item in exceptions:
        if item.get("status") != "cancelled":
            original = _original_start(item, None, split.start)
            shifted = _shift(original, split.start, new_start)
            twin = f"{follower['id']}_{_rule_value(shifted)}"
            patch = {key: item[key] for key in _OWN_FIELDS
                     if key in item and item.get(key) != split.master.get(key)}
            patch.update(fields.simple)
            moved = span_of(item, split.start.zone)
            if not fields.times.given and _instant(moved) != _instant(original):
                patch.update(moved.patch_body())
            try:
                _patch_quietly(client, split.calendar_id, twin, patch)
            except NotFoundError:  # the new series has no such occurrence: keep the old one
                notes.append(f"The changed occurrence {item['id']} has no counterpart in the "
                             "new series and was kept as it is.")
                continue
        _drop_exception(client, split.calendar_id, item)
    return notes


def _shift(original: Span, base: Span, new_start: Span) -> Span:
    if base.all_day:
        start = original.start + (new_start.start - base.start)
        return Span(start, start + original.length(), base.zone)
    zone = new_start.zone
    wall = wall_start(Span(original.start, original.end, zone)) + (
        wall_start(new_start) - wall_start(Span(base.start, base.end, zone)))
    start = localize(wall, zone)
    return Span(start, start + original.length(), zone)


def _patch_quietly(client, calendar_id: str, event_id: str, patch: dict) -> None:
    if patch:
        client.transport.patch(writes.events_path(calendar_id, event_id),
                               params={"sendUpdates": "none"}, json=patch)


def _drop_exception(client, calendar_id: str, item: dict) -> None:
    if item.get("status") == "cancelled":
        return
    with contextlib.suppress(NotFoundError):  # gone already: a resend after a lost answer
        client.transport.delete(writes.events_path(calendar_id, item["id"]),
                                params={"sendUpdates": "none"})


def _end_before(client, split: _Split, send_updates: str | None) -> dict:
    # Read again: its etag may have moved since it was read (the If-Match must be current).
    master = writes.fetch_event(client, split.calendar_id, split.master["id"])
    rules = earlier_rules(master.get("recurrence") or [], split.start)
    send = writes.default_send(send_updates, master.get("attendees"))
    return writes.patch_event(client, split.calendar_id, master, {"recurrence": rules},
                              {"sendUpdates": send})


# ----------------------------------------------------------------------------- counting


def _instances(client, calendar_id: str, series_id: str, *, time_min: datetime | None = None,
               time_max: datetime | None = None, deleted: bool = False) -> list[dict]:
    params = {"maxResults": _INSTANCE_PAGE, "showDeleted": "true" if deleted else None,
              "timeMin": to_rfc3339(time_min) if time_min else None,
              "timeMax": to_rfc3339(time_max) if time_max else None}
    return _pages(client, writes.events_path(calendar_id, series_id, "instances"), params)


def _pages(client, path: str, params: dict) -> list[dict]:
    """Every page, so nothing beyond the first is missed (bounded: a runaway token loop)."""
    params = {key: value for key, value in params.items() if value}
    items: list[dict] = []
    for _ in range(_MAX_PAGES):
        page = client.transport.get(path, params=params) or {}
        items += page.get("items", [])
        if not page.get("nextPageToken"):
            return items
        params = {**params, "pageToken": page["nextPageToken"]}
    raise GoogleCalendarError(f"The series has more than {_MAX_PAGES * _INSTANCE_PAGE:,} "
                              "occurrences to read; change it with scope=series instead.")


def _count(client, calendar_id: str, series_id: str, *, time_max: datetime | None = None
           ) -> int:
    return sum(1 for item in _instances(client, calendar_id, series_id, time_max=time_max)
               if item.get("status") != "cancelled")
