"""scope=following: change, delete or answer one occurrence of a series and every later one.

Done the way Google Calendar does it: the original series ends just before the chosen
occurrence (``UNTIL`` in the rule's own form: UTC for timed series, a date for all-day ones;
``COUNT`` dropped) and, for a change, a new series starts at that occurrence with the change
applied, carrying guests (with their answers), reminders, conference data and the exceptions
that fall after the split.

The new series' id is derived from the chosen occurrence's id, so a resend after a lost answer
finds the split already made and only finishes what is missing (never a second new series).
Steps run in an order whose every prefix a resend completes: insert the new series, carry the
exceptions, end the original series.
"""

from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from gcal.dates.recurrence import expand_rule, moved_rules, utc_stamp, wall_start
from gcal.dates.spans import WEEKDAYS
from gcal.dates.times import localize, parse_rfc3339, to_rfc3339
from gcal.errors import EVENT_ID_EXAMPLE, InvalidInputError, NotFoundError
from gcal.events import event_types, writes
from gcal.events.input import EventFields, Span, span_of
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


def update_following(client: CalendarClient, fields: EventFields, event_id: str,
                     calendar_spec: str | None) -> writes.WriteResult:
    calendar = writes.target_calendar(client, calendar_spec)
    split = _locate(client, calendar.id, event_id)
    if split is None:  # not part of a series: "this and following" is just this event
        fields.scope = "instance"
        return writes.update_event(client, fields, event_id, calendar.id)
    if _is_first(split):
        fields.scope = "series"
        result = writes.update_event(client, fields, split.master["id"], calendar.id)
        result.notes.append("That is the series' first occurrence, so the whole series "
                            "changed.")
        return result
    zone = fields.zone or client.primary_time_zone()
    follower = _existing(client, calendar.id, split.follower_id)
    notes: list[str] = []
    send = fields.send_updates
    # Read once: the new series needs the cancelled ones, and the changed ones move over.
    exceptions = (_exceptions_from(client, split)
                  if follower is None or not _ended(split) else [])
    if follower is None:
        body, send = _follower_body(split, fields, zone, exceptions)
        follower = writes.insert_event(client, calendar.id, body, send)
        notes += writes.invitation_note(send, follower.get("attendees"), "Invitations")
    elif _ended(split):
        notes.append("This split was already made (same occurrence) — not split twice.")
    if not _ended(split):
        _carry_exceptions(client, split, follower, fields, exceptions)
        _end_before(client, split, fields.send_updates)
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
        return writes.delete_event(client, event_id, calendar.id, "instance", send_updates)
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
        later = _exceptions_from(client, split)
        for item in later:  # orphaned exceptions would stay visible after the new end
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
    gets the answer (Google keeps an answer per occurrence). An open-ended series is answered
    through its instances Google lists, at most a year ahead."""
    calendar = writes.listed_calendar(client, calendar_spec)
    split = _locate(client, calendar.id, event_id)
    if split is None:
        return writes.respond_to_event(client, event_id, calendar.id, response, comment,
                                       "instance", send_updates=send_updates)
    horizon = _instant(split.start) + timedelta(days=366)
    items = [i for i in _instances(client, calendar.id, split.master["id"],
                                   time_min=_instant(split.start), time_max=horizon)
             if i.get("status") != "cancelled"]
    last = None
    for item in items:  # already read: answered without reading each one again
        last = writes.answer_invitation(client, calendar, item, response, comment,
                                        send_updates=send_updates)
    if last is None:
        raise InvalidInputError("event_id", "no occurrence left from this one on",
                                EVENT_ID_EXAMPLE)
    earlier = _count(client, calendar.id, split.master["id"], time_max=_instant(split.start))
    last.headline = (f"Answered {plural(len(items), 'occurrence')} {response} from "
                     f"{split.first_day} on; the earlier {earlier} keep their answer.")
    if not _finite(split.master):
        last.notes.append("Occurrences more than a year ahead were not answered.")
    last.data = _ids(split.master["id"], None, len(items), earlier)
    return last


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
    return bool(rules) and all(_until(line) is not None and _until(line) < _instant(split.start)
                               for line in rules)


def _until(line: str) -> datetime | None:
    found = re.search(r"UNTIL=(\d{8})(T\d{6}Z)?", line)
    if not found:
        return None
    if found[2]:
        return datetime.strptime(found[1] + found[2], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    return datetime.strptime(found[1], "%Y%m%d").replace(tzinfo=UTC)


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
    done = len(walk.moments)
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


def _finite(series: dict) -> bool:
    rules = [line for line in series.get("recurrence") or [] if line.startswith("RRULE:")]
    return all("COUNT=" in line or "UNTIL=" in line for line in rules)


# ----------------------------------------------------------------------------- exceptions


def _exceptions_from(client, split: _Split) -> list[dict]:
    """Occurrences from the split on that differ from their series (moved, changed or
    cancelled): they are stored events of their own at Google."""
    items = _instances(client, split.calendar_id, split.master["id"],
                       time_min=_instant(split.start), deleted=True)
    return [item for item in items if _is_exception(item, split)]


def _is_exception(item: dict, split: _Split) -> bool:
    if item.get("status") == "cancelled":
        return True
    if item.get("start") != item.get("originalStartTime"):
        moved = span_of(item, split.start.zone)
        original = _original_start(item, None, split.start)
        if _instant(moved) != _instant(original) or moved.length() != original.length():
            return True
    return any(item.get(key) != split.master.get(key) for key in _OWN_FIELDS
               if key != "attendees") or _answers(item) != _answers(split.master)


def _answers(item: dict) -> list:
    return sorted((a.get("email", "").casefold(), a.get("optional", False))
                  for a in item.get("attendees") or [])


def _carry_exceptions(client, split: _Split, follower: dict, fields: EventFields,
                      exceptions: list[dict]) -> None:
    """Each changed occurrence after the split becomes the same exception of the new series
    (cancelled ones are EXDATEs there already); the original's copy is then removed, since
    Google keeps an exception visible even when the series no longer reaches it."""
    new_start = span_of(follower, split.start.zone)
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
            _patch_quietly(client, split.calendar_id, twin, patch)
        _drop_exception(client, split.calendar_id, item)


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
    # Read again: removing the carried exceptions may have given the series a new etag.
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
    path = writes.events_path(calendar_id, series_id, "instances")
    page = client.transport.get(path, params={k: v for k, v in params.items() if v}) or {}
    return page.get("items", [])


def _count(client, calendar_id: str, series_id: str, *, time_max: datetime | None = None
           ) -> int:
    return sum(1 for item in _instances(client, calendar_id, series_id, time_max=time_max)
               if item.get("status") != "cancelled")
