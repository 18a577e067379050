"""Creating, changing, moving, deleting and answering events.

Each operation validates everything and reads what it needs first, then makes exactly one
write request, so a failure never leaves a half-done change behind.
"""

from __future__ import annotations

import re
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from gcal.dates.recurrence import check_start_on_rule, fit_to_event, moved_rules
from gcal.dates.spans import day_label
from gcal.dates.times import day_start, now_in, parse_rfc3339
from gcal.errors import (
    EVENT_ID_EXAMPLE,
    BackendError,
    ConflictError,
    GoneError,
    GoogleCalendarError,
    InvalidInputError,
    NotFoundError,
    PreconditionFailedError,
    ReadOnlyCalendarError,
    TransportError,
    event_not_found,
)
from gcal.events import event_types
from gcal.events.calendars import resolve_calendar_id
from gcal.events.conflicts import (
    SeriesCheck,
    Window,
    find_conflicts,
    find_series_conflicts,
    first_occurrences,
    window_items,
)
from gcal.events.input import (
    EventFields,
    Span,
    attendee_entries,
    shifted_series,
    span_of,
)
from gcal.google.client import CalendarClient
from gcal.google.ids import conference_request_id, event_id_for_key, new_event_id
from gcal.google.serializers import calendar_from_api, event_from_api
from gcal.google.transport import calendar_path, maybe_applied
from gcal.models import Calendar, Event, Viewer
from gcal.words import plural

RESPONSES = {"accepted": "accepted", "accept": "accepted", "yes": "accepted",
             "declined": "declined", "decline": "declined", "no": "declined",
             "tentative": "tentative", "maybe": "tentative"}


@dataclass
class WriteResult:
    action: str  # created, already_existed, updated, deleted, already_deleted, moved, ...
    event: Event
    zone: ZoneInfo
    conflicts: list[Event] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    send_updates: str | None = "none"  # whom Google e-mailed; "none" also when nothing was written
    headline: str | None = None  # what happened, when more than the action says
    data: dict = field(default_factory=dict)  # further typed outputs


# ----------------------------------------------------------------------------- shared reads


def target_calendar(
    client: CalendarClient, spec: str | None, *, parameter: str = "calendar_id"
) -> Calendar:
    """The calendar to write to, by id or name; it must exist and be writable."""
    calendar = listed_calendar(client, spec, parameter=parameter)
    if not calendar.writable:
        raise InvalidInputError(
            parameter, f'you have only {calendar.access_role} access to "{calendar.summary}", '
            "so events there cannot be changed; use a calendar you own or can edit "
            "(list_calendars with min_access_role=writer)", "primary")
    return calendar


def listed_calendar(
    client: CalendarClient, spec: str | None, *, parameter: str = "calendar_id"
) -> Calendar:
    """A calendar of the user's calendar list, by id or name (any access role)."""
    calendar_id = resolve_calendar_id(client, spec, parameter=parameter)
    try:
        entry = client.calendar_entry(calendar_id, parameter=parameter)
    except NotFoundError:
        raise InvalidInputError(parameter, f"no calendar {calendar_id!r} in your calendar "
                                "list (list_calendars shows them)", "primary") from None
    return calendar_from_api(entry or {})


def events_path(calendar_id: str, *rest: str) -> str:
    return calendar_path("calendars", calendar_id, "events", *rest, parameter="event_id")


def fetch_event(client: CalendarClient, calendar_id: str, event_id: str) -> dict:
    try:
        return client.transport.get(events_path(calendar_id, event_id)) or {}
    except NotFoundError:
        raise event_not_found(event_id, calendar_id) from None


def _live(item: dict) -> dict:
    if item.get("status") == "cancelled":
        raise InvalidInputError("event_id", f"event {item.get('id')!r} has been deleted",
                                EVENT_ID_EXAMPLE)
    return item


def _subject(client: CalendarClient, calendar_id: str, item: dict, scope: str) -> dict:
    """The event a change applies to: the instance, or with scope=series its series."""
    master_id = item.get("recurringEventId")
    if scope == "series" and master_id:
        return fetch_event(client, calendar_id, master_id)
    return item


def _has_guests(*attendee_lists: list[dict] | None) -> bool:
    return any(not a.get("self") and not a.get("resource")
               for people in attendee_lists for a in people or [])


def default_send(given: str | None, *attendee_lists: list[dict] | None) -> str:
    """Invitations and updates really go out whenever there are guests, unless told not to."""
    return given or ("all" if _has_guests(*attendee_lists) else "none")


def _conflicts(client, calendar_id: str, span: Span, event_id: str, notes: list[str], *,
               free: bool = False, read: list[dict] | Future | None = None,
               recurrence: list[str] | None = None):
    """Overlaps of the event, or of a new series' first two weeks (`recurrence`)."""
    if free:
        return []  # an event shown as free blocks no time, so it conflicts with nothing
    try:
        occurrences = first_occurrences(recurrence, _window(span), span.zone) if recurrence \
            else []
        if len(occurrences) > 1:
            check = find_series_conflicts(client, calendar_id, occurrences, span.zone,
                                          ignore_id=event_id)
            notes.extend(_series_notes(check, span.zone))
            return check.conflicts
        return find_conflicts(client, calendar_id, _window(span), span.zone,
                              ignore_id=event_id,
                              read=(calendar_id, read) if read is not None else None)
    except GoogleCalendarError as exc:
        notes.append(f"Could not check for overlapping events: {exc.message}")
        return []


def _series_notes(check: SeriesCheck, zone: ZoneInfo) -> list[str]:
    last = check.occurrences[-1].start.astimezone(zone).date()
    notes = [f"Checked the first {plural(len(check.occurrences), 'occurrence')} (to "
             f"{day_label(last)}) for overlaps: {check.clashing} overlap other events."]
    if check.holidays:
        notes.append("On public holidays: " + ", ".join(
            f"{day_label(day)} {name}".rstrip() for day, name in check.holidays) + ".")
    if check.away:
        notes.append("On out-of-office days: " + ", ".join(map(day_label, check.away)) + ".")
    return notes


def invitation_note(send: str, attendees: list[dict] | None, verb: str) -> list[str]:
    guests = sum(1 for a in attendees or [] if not a.get("self") and not a.get("resource"))
    if not guests:
        return []
    if send == "none":
        return [f"No emails were sent to the {plural(guests, 'guest')} (send_updates=none)."]
    return [f"{verb} sent to {plural(guests, 'guest')} (send_updates={send})."]


# ----------------------------------------------------------------------------- create


def create_event(
    client: CalendarClient,
    fields: EventFields,
    calendar_spec: str | None,
    idempotency_key: str | None = None,
    *,
    allow_duplicate: bool = False,
) -> WriteResult:
    calendar = target_calendar(client, calendar_spec)
    zone = fields.zone or client.primary_time_zone()  # people mean their own time
    span = fields.times.new_span(zone)
    if fields.types.kind in event_types.DECLINING and span.all_day:
        # Google needs times for these: whole days mean midnight to midnight in the zone.
        span = Span(day_start(span.start, zone), day_start(span.end, zone), zone)
    event_id = (event_id_for_key(idempotency_key, calendar.id, client.account_email())
                if idempotency_key else new_event_id())
    body = _new_body(fields, span, event_id)
    types, ignored = event_types.ignored_on_default(fields.types)
    body.update(event_types.new_event_body(
        types, primary=calendar.primary, all_day=span.all_day,
        days=(span.end - span.start).days if span.all_day else 0,
        has_guests=bool(body.get("attendees")), simple=fields.simple, meet=fields.add_meet))
    send = default_send(fields.send_updates, body.get("attendees"))
    earlier, read = _earlier_copy(client, calendar.id, body, span, idempotency_key,
                                  allow_duplicate)
    if earlier is not None:
        return earlier
    # The id is ours before Google answers, so the overlap query can run alongside the insert;
    # the target calendar's window, read for the duplicate check, is not read twice.
    check_notes: list[str] = []
    with ThreadPoolExecutor(max_workers=1) as pool:
        overlaps = pool.submit(_conflicts, client, calendar.id, span, event_id, check_notes,
                               free=body.get("transparency") == "transparent", read=read,
                               recurrence=body.get("recurrence"))
        item = _insert(client, calendar.id, body, send, meet=fields.add_meet)
        if idempotency_key and item.get("start"):  # a 409 answered with someone else's event
            _require_own_keyed(client, calendar.id, item, body, span)
        conflicts = overlaps.result()
    notes = invitation_note(send, item.get("attendees"), "Invitations")
    if ignored:
        notes.append(f"Ignored {', '.join(ignored)}: event_type is default.")
    if fields.add_meet and not item.get("hangoutLink"):
        notes.append("The Google Meet link is still being set up; get_event shows it shortly.")
    if span.instants()[1] <= now_in(zone):
        notes.append("Note: this event is entirely in the past; check the date if that was "
                     "not intended.")
    event = event_from_api(item, calendar.id, client.viewer())
    return WriteResult("created", event, zone, conflicts, notes + check_notes, send)


_SAME_KEY_NOTE = ("This event already existed (same idempotency_key) — not created twice; it "
                  "is returned unchanged.")
_SAME_EVENT_NOTE = ("An event with the same title, start and end was already on this calendar "
                    "— not created twice (create_event with allow_duplicate=true creates another).")


def _earlier_copy(client, calendar_id: str, body: dict, span: Span, key: str | None,
                  allow_duplicate: bool) -> tuple[WriteResult | None, list[dict] | None]:
    """The event a repeated create would duplicate (same key, or same title and times), and
    the target calendar's items in the span when they were read for that."""
    with ThreadPoolExecutor(max_workers=2) as pool:
        keyed = pool.submit(_existing, client, calendar_id, body["id"]) if key else None
        read = (None if allow_duplicate else
                pool.submit(window_items, client, calendar_id, _window(span), span.zone,
                            limit=_SAME_EVENT_PAGE))
        keyed_item = keyed.result() if keyed else None
        items = read.result() if read else None
    alike = _same_in(items or [], body["summary"], span)
    if keyed_item is not None:
        _require_own_keyed(client, calendar_id, keyed_item, body, span)
        found, note = keyed_item, _SAME_KEY_NOTE
    elif alike:
        found, note = alike[0], _SAME_EVENT_NOTE
    else:
        return None, items
    return _finish(client, "already_existed", found, calendar_id, span, span.zone,
                   [note]), items


def _require_own_keyed(client: CalendarClient, calendar_id: str, item: dict, body: dict,
                       span: Span) -> None:
    """A keyed id is derivable by anyone who knows the key (it holds no secret), so an event
    found under it counts as this create's earlier result only if the user created or
    organizes it and its title and start are the ones asked for; otherwise it is a clash."""
    viewer = client.viewer()
    creator = (item.get("creator") or {}).get("email", "")
    mine = (creator.casefold() == viewer.email.casefold()
            or _organized_by(item, calendar_id, viewer))
    same = ((item.get("summary") or "").strip().casefold() == body["summary"].strip().casefold()
            and bool(item.get("start")) and _same_start(span_of(item, span.zone), span))
    if not (mine and same):
        raise InvalidInputError(
            "idempotency_key", "this calendar already holds a different event under the id "
            f"this key gives (event id {item.get('id')}: "
            f"{'not created by you' if not mine else 'another title or start'}); nothing was "
            "created. Use a new key for this event", "standup-2026-03-10-v2")


def _same_start(found: Span, wanted: Span) -> bool:
    if found.all_day or wanted.all_day:
        return found.start == wanted.start
    return found.instants()[0] == wanted.instants()[0]


def same_events(client: CalendarClient, calendar_id: str, summary: str, span: Span,
                *, other_than: str | None = None) -> list[dict]:
    """Live events on the calendar with this title (ignoring case) and exactly this span."""
    items = window_items(client, calendar_id, _window(span), span.zone, limit=_SAME_EVENT_PAGE)
    return _same_in(items, summary, span, other_than=other_than)


def _same_in(items: list[dict], summary: str, span: Span, *,
             other_than: str | None = None) -> list[dict]:
    title = summary.strip().casefold()
    return [item for item in items
            if not _is_or_occurs_of(item, other_than) and item.get("status") != "cancelled"
            and (item.get("summary") or "").strip().casefold() == title
            and item.get("start") and _same_span(span_of(item, span.zone), span)]


def _is_or_occurs_of(item: dict, event_id: str | None) -> bool:
    """`item` is the event `event_id`, or (listings expand series) one of its occurrences."""
    return event_id is not None and event_id in (item.get("id"), item.get("recurringEventId"))


def _window(span: Span) -> Window:
    start, end = span.instants()
    return Window(start, end, span.all_day)


_SAME_EVENT_PAGE = 250


def _same_span(found: Span, wanted: Span) -> bool:
    if found.all_day or wanted.all_day:
        return (found.start, found.end) == (wanted.start, wanted.end)
    return found.instants() == wanted.instants()


def _new_body(fields: EventFields, span: Span, event_id: str) -> dict:
    body = {"id": event_id, **fields.simple, **span.body()}
    if span.all_day:
        # Google Calendar's UI creates all-day events as free (the API's default is busy).
        body.setdefault("transparency", "transparent")
    attendees = attendee_entries(fields.attendees or [], fields.optional_attendees or [])
    if attendees:
        body["attendees"] = attendees
    if fields.recurrence:
        check_start_on_rule(fields.recurrence, span)
        body["recurrence"] = fit_to_event(fields.recurrence, span.all_day, span.zone)
    if fields.add_meet:
        body["conferenceData"] = meet_request(event_id)
    return body


def meet_request(event_id: str, revision: str = "") -> dict:
    return {"createRequest": {"requestId": conference_request_id(event_id, revision),
                              "conferenceSolutionKey": {"type": "hangoutsMeet"}}}


def _existing(client: CalendarClient, calendar_id: str, event_id: str) -> dict | None:
    try:
        item = client.transport.get(events_path(calendar_id, event_id)) or {}
    except NotFoundError:
        return None
    if item.get("status") == "cancelled":
        raise InvalidInputError("idempotency_key", "the event created earlier with this key "
                                "has been deleted; use a new key to create it again",
                                "standup-2026-03-10-v2")
    return item


def insert_event(client, calendar_id: str, body: dict, send: str) -> dict:
    """Insert a ready body whose id is ours (a resend cannot create it twice)."""
    return _insert(client, calendar_id, body, send, meet="conferenceData" in body)


def _insert(client, calendar_id: str, body: dict, send: str, *, meet: bool) -> dict:
    try:
        return _insert_once(client, calendar_id, body, send, meet=meet)
    except (TransportError, BackendError) as exc:
        # Every answer was lost or failed: Google may still have stored the event.
        raise maybe_applied(exc, (
            f"The event may have been created anyway (event id {body['id']}): check with "
            f"get_event event_id={body['id']} calendar_id={calendar_id} before creating it "
            "again.")) from None


def _insert_once(client, calendar_id: str, body: dict, send: str, *, meet: bool) -> dict:
    params = {"sendUpdates": send}
    if meet:
        params["conferenceDataVersion"] = 1
    try:
        # The id is ours, so a resent insert cannot create a second event.
        return client.transport.post(events_path(calendar_id), params=params, json=body,
                                     idempotent=True) or {}
    except ConflictError:
        # A retry after a lost answer: the first attempt stored the event.
        stored = _existing(client, calendar_id, body["id"])
        if stored is None:
            raise
        return stored


def _finish(client, action, item, calendar_id, span, zone, notes) -> WriteResult:
    event = event_from_api(item, calendar_id, client.viewer())
    stored = span_of(item, zone) if item.get("start") else span
    conflicts = _conflicts(client, calendar_id, stored, event.id, notes,
                           free=event.show_as == "free")
    return WriteResult(action, event, zone, conflicts, notes)


def quick_add_event(
    client: CalendarClient, text: str, calendar_spec: str | None, send_updates: str | None,
    *, allow_duplicate: bool = False,
) -> WriteResult:
    """Google parses the text while creating, so a duplicate can only be seen afterwards:
    then the new copy is removed again (silently) and the earlier event is answered. The
    duplicate check and the overlap check share one read of the calendar, in one round."""
    calendar = target_calendar(client, calendar_spec)
    zone = client.primary_time_zone()
    item = client.transport.post(
        events_path(calendar.id, "quickAdd"),
        params={"text": text, "sendUpdates": send_updates},
    ) or {}
    notes = ["Google interpreted the text; check the title and time above."]
    if not (item.get("id") and item.get("start")):
        return _finish(client, "created", item, calendar.id, None, zone, notes)
    event = event_from_api(item, calendar.id, client.viewer())
    span = span_of(item, zone)
    with ThreadPoolExecutor(max_workers=1) as pool:
        read = pool.submit(window_items, client, calendar.id, _window(span), span.zone,
                           limit=_SAME_EVENT_PAGE)
        conflicts = _conflicts(client, calendar.id, span, event.id, notes,
                               free=event.show_as == "free", read=read)
        try:
            items = read.result()
        except GoogleCalendarError as exc:  # the event exists: answer it, say what is unknown
            items = []
            notes.append(f"Could not check for an identical earlier event: {exc.message}")
    alike = [] if allow_duplicate else _same_in(items, item.get("summary") or "", span,
                                                other_than=item["id"])
    if alike:
        client.transport.delete(events_path(calendar.id, item["id"]),
                                params={"sendUpdates": "none"})
        earlier = event_from_api(alike[0], calendar.id, client.viewer())
        others = [] if earlier.show_as == "free" else [
            c for c in conflicts if earlier.id not in (c.id, c.recurring_event_id)]
        return WriteResult("already_existed", earlier, zone, others,
                           [_SAME_EVENT_NOTE, *notes[1:]])
    result = WriteResult("created", event, zone, conflicts, notes)
    result.send_updates = send_updates
    return result


# ----------------------------------------------------------------------------- update


def update_event(
    client: CalendarClient, fields: EventFields, event_id: str, calendar_spec: str | None
) -> WriteResult:
    calendar = target_calendar(client, calendar_spec)
    target = _live(fetch_event(client, calendar.id, event_id))
    subject = _live(_subject(client, calendar.id, target, fields.scope))
    if fields.recurrence is not None and subject.get("recurringEventId"):
        raise InvalidInputError("recurrence", "can only be changed for the whole series; add "
                                "scope=series", "series")
    # Wall-clock times are read in the user's zone (people mean their own time); the event
    # keeps its own zone unless time_zone names another.
    zone = fields.zone or client.primary_time_zone()
    own = fields.zone or span_of(subject, client.calendar_zone(calendar.id)).zone
    patch, span = _patch_body(fields, target, subject, zone, own)
    patch.update(event_types.update_patch(fields.types, subject,
                                          adds_guests=bool(patch.get("attendees")),
                                          all_day=span.all_day if span else None))
    notes = []
    if fields.add_meet and has_meet(subject):
        notes.append("It already has a Google Meet link, which was kept.")
    if not patch:
        if not notes:
            raise InvalidInputError("summary", "nothing to change was given; pass at least one "
                                    "field such as summary, start or attendees", "New title")
        unchanged = event_from_api(subject, calendar.id, client.viewer())
        return WriteResult("unchanged", unchanged, zone, notes=notes)
    send = default_send(fields.send_updates, subject.get("attendees"), patch.get("attendees"))
    params = {"sendUpdates": send}
    if "conferenceData" in patch:
        params["conferenceDataVersion"] = 1
    item = patch_event(client, calendar.id, subject, patch, params)
    notes += invitation_note(send, item.get("attendees"), "Updates")
    if item.get("recurrence"):
        notes.append("This is a recurring series: the change applies to every occurrence.")
    elif item.get("recurringEventId"):
        notes.append("Only this occurrence changed (scope=series changes the whole series).")
    elif fields.scope == "series":
        notes.append(one_off_note("series"))
    event = event_from_api(item, calendar.id, client.viewer())
    conflicts = (_conflicts(client, calendar.id, span_of(item, zone), event.id, notes,
                            free=event.show_as == "free") if span else [])
    return WriteResult("updated", event, zone, conflicts, notes, send)


def _guest_cannot_change(subject: dict, refused: ReadOnlyCalendarError) -> ReadOnlyCalendarError:
    """Google's 403 forbiddenForNonOrganizer: the user may own the calendar, but only the
    organizer changes what the guests share (time, title, guests, notes); a guest's own copy
    keeps reminders, color and show-as (https://developers.google.com/calendar/api/guides/errors)."""
    organizer = (subject.get("organizer") or {}).get("email") or "its organizer"
    return ReadOnlyCalendarError(
        f"Only the organizer ({organizer}) can change or cancel this event for its guests; "
        "you are a guest. respond_to_event answers the invitation (a comment can propose "
        "another time); reminders, color and show_as are yours to change.",
        status=refused.status, reason=refused.reason, google_message=refused.google_message)


def _patch_body(fields: EventFields, target: dict, subject: dict, zone: ZoneInfo,
                own: ZoneInfo):
    patch = {**fields.simple, **fields.cleared}
    span = None
    if fields.times.given:
        moved = fields.times.revise(span_of(target, own), zone).in_zone(own)
        span = moved if subject is target else shifted_series(
            span_of(subject, own), span_of(target, own), moved)
        patch.update(span.patch_body())
        if subject.get("recurrence") and fields.recurrence is None:
            rules = moved_rules(subject["recurrence"], span_of(subject, own), span)
            if rules != subject["recurrence"]:
                patch["recurrence"] = rules
    if fields.recurrence is not None:
        current = span or span_of(subject, own)
        check_start_on_rule(fields.recurrence, current,
                            parameter="start" if span else "recurrence")
        patch.update(current.patch_body())  # a recurring event needs its IANA zone
        patch["recurrence"] = fit_to_event(fields.recurrence, current.all_day, current.zone)
    attendees = revised_attendees(subject.get("attendees") or [], fields)
    if attendees is not None:
        patch["attendees"] = attendees
    if fields.add_meet and not has_meet(subject):
        # A new request id per event revision: Google ignores an id it saw for this event.
        patch["conferenceData"] = meet_request(subject["id"], subject.get("etag") or "")
    return patch, span


def has_meet(item: dict) -> bool:
    return bool(item.get("hangoutLink") or (item.get("conferenceData") or {}).get("entryPoints"))


def revised_attendees(current: list[dict], fields: EventFields) -> list[dict] | None:
    """The new guest list; guests already invited keep their entry (and RSVP)."""
    if (fields.attendees is None and fields.optional_attendees is None
            and not fields.add_attendees and not fields.remove_attendees):
        return None
    known = {a.get("email", "").casefold(): a for a in current}
    if fields.attendees is not None:
        wanted = attendee_entries(fields.attendees, fields.optional_attendees or [])
    else:
        extra = attendee_entries([], fields.optional_attendees or [])
        wanted = [dict(a) for a in current] + [
            a for a in extra if a["email"].casefold() not in known]
        wanted = [_marked_optional(a, fields.optional_attendees or []) for a in wanted]
    wanted += [{"email": email} for email in fields.add_attendees
               if email.casefold() not in {a["email"].casefold() for a in wanted}]
    result = [_keep_rsvp(known.get(a["email"].casefold()), a) for a in wanted]
    return _without(result, fields.remove_attendees)


def _marked_optional(entry: dict, optional: list[str]) -> dict:
    if entry["email"].casefold() in {email.casefold() for email in optional}:
        return {**entry, "optional": True}
    return entry


def _keep_rsvp(existing: dict | None, wanted: dict) -> dict:
    if existing is None:
        return wanted
    merged = {key: value for key, value in existing.items() if key != "optional"}
    if wanted.get("optional"):
        merged["optional"] = True
    return merged


def _without(attendees: list[dict], removed: list[str]) -> list[dict]:
    present = {a["email"].casefold() for a in attendees}
    missing = [email for email in removed if email.casefold() not in present]
    if missing:
        guests = ", ".join(a["email"] for a in attendees) or "none"
        raise InvalidInputError("remove_attendees", f"{', '.join(missing)} not on the guest "
                                f"list (guests: {guests})", attendees[0]["email"]
                                if attendees else "bob@example.com")
    gone = {email.casefold() for email in removed}
    return [a for a in attendees if a["email"].casefold() not in gone]


def patch_event(client, calendar_id: str, subject: dict, patch: dict, params: dict) -> dict:
    try:
        return client.transport.patch(
            events_path(calendar_id, subject["id"]), params=params, json=patch,
            headers={"If-Match": subject.get("etag") or "*"}) or {}
    except ReadOnlyCalendarError as exc:
        if exc.reason != "forbiddenForNonOrganizer":
            raise
        raise _guest_cannot_change(subject, exc) from None
    except PreconditionFailedError as exc:
        if exc.attempts > 1:
            # The first PATCH may have landed with its answer lost: then the etag moved
            # because of us. Accept only if Google now holds exactly what we sent.
            current = fetch_event(client, calendar_id, subject["id"])
            if holds(current, patch):
                return current
        raise PreconditionFailedError(
            "Someone changed this event while it was being updated, so nothing was changed "
            "(to avoid overwriting their edit). Fetch it again with get_event and retry.",
            status=exc.status, reason=exc.reason) from None


def holds(current: dict, patch: dict) -> bool:
    if patch.get("attendeesOmitted"):  # only the entries sent were to change
        stored = {a.get("email", "").casefold(): a for a in current.get("attendees") or []}
        return all(_same(stored.get(a["email"].casefold()), a) for a in patch["attendees"])
    return all(_same(current.get(key), wanted) for key, wanted in patch.items()
               if key != "conferenceData")


def _same(stored: object, wanted: object) -> bool:
    if isinstance(wanted, dict):
        stored = stored if isinstance(stored, dict) else {}
        return all(_same(stored.get(k), v) for k, v in wanted.items() if k != "timeZone")
    if isinstance(wanted, list):
        return isinstance(stored, list) and len(stored) == len(wanted) and all(
            _same(s, w) for s, w in zip(stored, wanted, strict=True))
    if isinstance(wanted, str) and isinstance(stored, str) and "T" in wanted[:11]:
        return _instant(stored) == _instant(wanted)  # offsets may be rendered differently
    return stored == wanted or (wanted is None and stored in ("", [], {}))


def _instant(text: str) -> object:
    try:
        return parse_rfc3339(text)
    except ValueError:
        return text


# ----------------------------------------------------------------------------- delete / move


def delete_event(
    client: CalendarClient, event_id: str, calendar_spec: str | None, scope: str,
    send_updates: str | None,
) -> WriteResult:
    calendar = target_calendar(client, calendar_spec)
    zone = client.primary_time_zone()
    item = fetch_event(client, calendar.id, event_id)
    if item.get("status") != "cancelled":
        item = _subject(client, calendar.id, item, scope)
    event = event_from_api(item, calendar.id, client.viewer())
    if item.get("status") == "cancelled":
        return WriteResult("already_deleted", event, zone,
                           notes=["The event was already deleted — nothing to do."])
    send = default_send(send_updates, item.get("attendees"))
    notes = []
    try:
        client.transport.delete(events_path(calendar.id, item["id"]),
                                params={"sendUpdates": send})
    except (GoneError, NotFoundError) as exc:
        if exc.attempts == 1:  # someone else deleted it since we read it
            return WriteResult("already_deleted", event, zone,
                               notes=["The event was already deleted — nothing to do."])
        # Our resend after a lost answer: the first DELETE most likely did it.
        notes.append("It was deleted, possibly by this call (Google's first answer was lost).")
    if not is_organizer_copy(item, calendar.id):
        notes.append(f"You do not organize it ({event.organizer}): it was removed from your "
                     "calendar only and still takes place for the others; respond_to_event "
                     "declined tells the organizer.")
    else:
        notes += invitation_note(send, item.get("attendees"), "Cancellations")
    if item.get("recurrence"):
        notes.append("The whole recurring series was deleted.")
    elif item.get("recurringEventId"):
        notes.append("Only this occurrence was deleted (scope=series deletes the series).")
    elif scope == "series":
        notes.append(one_off_note("series"))
    return WriteResult("deleted", event, zone, notes=notes, send_updates=send)


def one_off_note(scope: str) -> str:
    return f"It is a one-off event, not part of a series, so scope={scope} did not apply."


def is_organizer_copy(item: dict, calendar_id: str) -> bool:
    """Deleting this copy cancels the event for everyone: it is on the organizer's calendar,
    which on a team calendar is the calendar itself, not the user. Google's organizer.self:
    "Whether the organizer corresponds to the calendar on which this copy of the event
    appears" (https://developers.google.com/calendar/api/v3/reference/events)."""
    organizer = item.get("organizer") or {}
    return (not organizer or bool(organizer.get("self"))
            or organizer.get("email", "").casefold() == calendar_id.casefold())


# Google's id of one occurrence: `<series id>_<original start>`.
INSTANCE_ID = re.compile(r"^(?P<series>.+)_(?P<when>\d{8}(?:T\d{6}Z)?)$")


def move_event(
    client: CalendarClient, event_id: str, calendar_spec: str | None,
    destination_spec: str | None, send_updates: str | None,
) -> WriteResult:
    """One request: Google's move answers with the moved event, so nothing is read first."""
    if not destination_spec:
        raise InvalidInputError("destination_calendar_id", "is required", "Team Events")
    instance = INSTANCE_ID.match(event_id)
    if instance:
        raise InvalidInputError(
            "event_id", "is one occurrence of a recurring event; only the whole series can be "
            "moved", instance["series"])
    source = target_calendar(client, calendar_spec)
    destination = target_calendar(client, destination_spec, parameter="destination_calendar_id")
    zone = client.primary_time_zone()
    if destination.id == source.id:
        item = _live(fetch_event(client, source.id, event_id))
        return WriteResult("unchanged", event_from_api(item, source.id, client.viewer()), zone,
                           notes=["The event is already on that calendar."])
    # Without guests "all" sends nothing, so it equals "none" then; with guests it informs them.
    send = send_updates or "all"
    moved = _live(_move(client, source.id, destination.id, event_id, send))
    notes = [f'Moved from "{source.summary}" to "{destination.summary}".']
    return WriteResult("moved", event_from_api(moved, destination.id, client.viewer()), zone,
                       notes=notes, send_updates=send)


def _move(client, source_id: str, destination_id: str, event_id: str, send: str) -> dict:
    try:
        return client.transport.post(
            events_path(source_id, event_id, "move"),
            params={"destination": destination_id, "sendUpdates": send}, idempotent=True) or {}
    except NotFoundError:
        # Either no such event, or a resent move finds it gone from the source: look there.
        try:
            return client.transport.get(events_path(destination_id, event_id)) or {}
        except NotFoundError:
            raise InvalidInputError("event_id", f"no event {event_id!r} on calendar "
                                    f"{source_id}", EVENT_ID_EXAMPLE) from None


# ----------------------------------------------------------------------------- respond


def respond_to_event(
    client: CalendarClient, event_id: str, calendar_spec: str | None, response: str,
    comment: str | None, scope: str, *, send_updates: str | None = None,
) -> WriteResult:
    """Only the user's own attendee entry changes; by default the organizer is told at once."""
    calendar = listed_calendar(client, calendar_spec)
    item = _live(_subject(client, calendar.id,
                          _live(fetch_event(client, calendar.id, event_id)), scope))
    return answer_invitation(client, calendar, item, response, comment,
                             send_updates=send_updates)


def answer_invitation(
    client: CalendarClient, calendar: Calendar, item: dict, response: str,
    comment: str | None, *, send_updates: str | None = None,
) -> WriteResult:
    """The user's answer to one event already read from ``calendar``."""
    zone = client.primary_time_zone()
    viewer = client.viewer()
    mine = my_entry(item, calendar.id, viewer)
    if mine is None:
        raise not_a_guest(item, calendar, viewer)
    if not calendar.writable:
        # The invitation lives on the user's own calendar too, under the same id.
        calendar = listed_calendar(client, "primary")
        item = _live(fetch_event(client, calendar.id, item["id"]))
        mine = my_entry(item, calendar.id, viewer) or mine
    send = send_updates or "all"
    # attendeesOmitted=true: Google then changes only the entries sent, i.e. the user's own
    # answer, even when the list we read was cut short or others answered meanwhile.
    # https://developers.google.com/calendar/api/v3/reference/events#attendeesOmitted
    answer = {"attendees": [answer_body(mine, response, comment)], "attendeesOmitted": True}
    saved = patch_event(client, calendar.id, item, answer, {"sendUpdates": send})
    notes = [f"Your response is now {response}."]
    if response == "declined" and _organized_by(item, calendar.id, viewer):
        notes.append("You organize this event: declining does not cancel it for the other "
                     "guests (delete_event cancels it for everyone).")
    return WriteResult("responded", event_from_api(saved, calendar.id, client.viewer()), zone,
                       notes=notes, send_updates=send)


def my_entry(item: dict, calendar_id: str, viewer: Viewer) -> dict | None:
    """The user's attendee entry: Google's `self` marks the calendar holding this copy, which
    is the user only on their own calendars; elsewhere the user is found by email."""
    attendees = item.get("attendees") or []
    if viewer.owns(calendar_id):
        return next((a for a in attendees if a.get("self")), None)
    me = viewer.email.casefold()
    return next((a for a in attendees if a.get("email", "").casefold() == me), None)


def _organized_by(item: dict, calendar_id: str, viewer: Viewer) -> bool:
    organizer = item.get("organizer") or {}
    if viewer.owns(calendar_id):
        return bool(organizer.get("self"))
    return organizer.get("email", "").casefold() == viewer.email.casefold()


def not_a_guest(item: dict, calendar: Calendar, viewer: Viewer) -> InvalidInputError:
    organizer = (item.get("organizer") or {})
    if _organized_by(item, calendar.id, viewer):
        problem = ("you organize this event and are not on its guest list, so there is no "
                   "invitation to answer; update_event or delete_event change it")
    elif calendar.primary:
        # On the user's own calendar without their name: typically an invitation sent to a
        # group they belong to, which Google lists under the group's address only.
        problem = ("your address is not on this event's guest list (you may be invited "
                   "through a group address), so it cannot be answered here; answer it in "
                   "Google Calendar, or ask the organizer to invite you by name")
    else:
        who = organizer.get("displayName") or organizer.get("email") or "its organizer"
        problem = (f'you are not a guest of this event (on "{calendar.summary}"), so there is '
                   f"no invitation of yours to answer; ask {who} to invite you, or use "
                   "create_event to put your own copy on your calendar")
    return InvalidInputError("event_id", problem, EVENT_ID_EXAMPLE)


def answer_body(entry: dict, response: str, comment: str | None) -> dict:
    answered = {**entry, "responseStatus": response}
    if comment is not None:
        answered["comment"] = comment
    return answered
