"""Importing an .ics file into a calendar with Google's `events.import`, idempotently.

Read before writing, so the result is the same whatever Google's `events.import` does with an
iCalUID the calendar holds (it replaces it, gcalcli PR #599; what it does with an equal or
lower SEQUENCE or a deleted one is not settled: docs/google-behaviour.md):

1. every iCalUID of the file is looked up (one batch, deleted events included);
2. new → `events.import`; held with a higher SEQUENCE → the newer version is imported with
   the user's own reminders, colour and show-as kept (`events.update` when Google refuses the
   import); held with an equal or lower SEQUENCE, or deleted by the user and not newer →
   unchanged, nothing sent; a cancellation deletes a held event it is newer than;
3. changed occurrences of a series written in this run follow in one more round.

An event the user neither organizes nor attends (bookings, tickets, PUBLISH feeds: Google
refuses it with `participantIsNeitherOrganizerNorAttendee`) lands as the user's own event
under the file's UID: no guest, the organizer and guests kept in the description.
A dry run makes the same plan and writes nothing. A call Google refuses is reported as
skipped with Google's reason.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from functools import cached_property
from zoneinfo import ZoneInfo

from gcal.errors import GoogleCalendarError, TransportError
from gcal.events.writes import target_calendar
from gcal.google.batch import Answer, Call, run_batch
from gcal.google.client import CalendarClient
from gcal.google.transport import calendar_path
from gcal.ics.items import IcsFile, ImportItem, excluded_keys, original_start_key
from gcal.ics.reading import read_ics
from gcal.models import Calendar

logger = logging.getLogger(__name__)

ACTIONS = ("imported", "updated", "unchanged", "skipped")
_LOOKUP_PAGE = 2500  # Google's largest events.list page: a series with all its exceptions
# Partial responses (Calendar API guide "Improve performance", `fields`): what deciding
# imported/updated/unchanged needs, and the user's own fields a newer version keeps.
_PERSONAL = ("reminders", "colorId", "transparency")
_LOOKUP_FIELDS = ("items(id,iCalUID,sequence,status,originalStartTime,htmlLink,recurrence,"
                  + ",".join(_PERSONAL) + ")")
_WRITE_FIELDS = "id,htmlLink"
_MAX_ROUNDS = 4  # lookup, write, fallback (or the occurrences of a new series), fallback
_LEFT_DELETED = "you deleted it from this calendar: left deleted (the file is not newer)"
_RESTORED = "restored: a newer version of an event deleted from this calendar"
_OWN_COPY = ("added as your own event: you are neither its organizer nor a guest, so nobody "
             "was invited; organizer and guests are in the description")


@dataclass
class Outcome:
    action: str  # imported, updated, cancelled, unchanged, skipped
    summary: str
    uid: str | None = None
    start: dict | None = None
    end: dict | None = None
    original_start: str | None = None
    event_id: str | None = None
    html_link: str | None = None
    reason: str | None = None
    recurring: bool = False


@dataclass
class ImportResult:
    calendar: Calendar
    zone: ZoneInfo
    dry_run: bool
    method: str | None
    send_updates: str
    outcomes: list[Outcome] = field(default_factory=list)

    def of(self, action: str) -> list[Outcome]:
        if action == "updated":
            return [o for o in self.outcomes if o.action in ("updated", "cancelled")]
        return [o for o in self.outcomes if o.action == action]


@dataclass
class _Step:
    item: ImportItem
    outcome: Outcome
    call: Call | None = None
    fallback: Call | None = None  # events.update, should Google refuse the import (409)
    after_series: bool = False  # an occurrence whose series is written in this run too


def import_ics(
    client: CalendarClient,
    content: bytes,
    calendar_spec: str | None,
    *,
    send_updates: str = "none",
    dry_run: bool = False,
) -> ImportResult:
    calendar = target_calendar(client, calendar_spec)
    zone = client.primary_time_zone()
    parsed = read_ics(content, zone)
    result = ImportResult(calendar, zone, dry_run, parsed.method, send_updates)
    owners = {calendar.id.casefold(), client.account_email().casefold()}
    target = _Target(client, calendar.id, parsed, send_updates, owners)
    steps = target.plan(dry_run=dry_run)
    if not dry_run:
        target.write(steps)
    by_item = {id(s.item): s for s in steps}
    result.outcomes = [by_item[id(item)].outcome for item in parsed.items] + [
        Outcome("skipped", s.summary, uid=s.uid, reason=s.reason) for s in parsed.skipped
    ]
    return result


@dataclass
class _Target:
    client: CalendarClient
    calendar_id: str
    parsed: IcsFile
    send_updates: str
    owners: set[str]

    def plan(self, *, dry_run: bool) -> list[_Step]:
        items = self.parsed.items
        stored, unreadable = self._lookup(items, later=False)
        if unreadable and dry_run:
            raise next(iter(unreadable.values()))  # nothing is written: one clear error
        steps = self._plan([i for i in items if i.uid not in unreadable], stored)
        return steps + [_skip(_Step(i, _outcome(i)), "Google did not say what this calendar "
                              f"holds for it ({unreadable[i.uid].message}); import the file "
                              "again") for i in items if i.uid in unreadable]

    def write(self, steps: list[_Step]) -> None:
        """Series and single events first, then the occurrences of series written here; an
        import Google refuses as a duplicate is retried as an update in the next round."""
        pending = [s for s in steps if s.call and not s.after_series]
        later = [s for s in steps if s.call and s.after_series]
        for _ in range(_MAX_ROUNDS - 1):
            if not pending:
                break
            retry = self._write(pending)
            pending, later = retry + later, []

    def _cancels(self, item: ImportItem) -> bool:
        return self.parsed.cancels or item.body.get("status") == "cancelled"

    @cached_property
    def _events_path(self) -> str:
        return calendar_path("calendars", self.calendar_id, "events", parameter="calendar_id")

    def _path(self, event_id: str) -> str:
        return self._events_path + calendar_path(event_id, parameter="event_id")

    def _excluded_by_new_series(self, item: ImportItem, stored: dict) -> bool:
        """The series is imported from this file, which excludes the occurrence (EXDATE)."""
        if not item.original_start or (item.uid, None) in stored:
            return False
        return any(i.uid == item.uid and i.original_start is None
                   and item.original_start in excluded_keys(i.body.get("recurrence"))
                   for i in self.parsed.items)

    def _import(self, body: dict) -> Call:
        return Call("POST", self._events_path + "/import", {"fields": _WRITE_FIELDS}, body)

    # -------------------------------------------------------------------------- lookup

    def _lookup(self, items: list[ImportItem], *, later: bool
                ) -> tuple[dict, dict[str, GoogleCalendarError]]:
        """Stored events by (iCalUID, original start key), deleted ones included, and the
        UIDs Google did not answer for."""
        uids = list(dict.fromkeys(item.uid for item in items))
        calls = [Call("GET", self._events_path, {"iCalUID": uid, "showDeleted": True,
                                            "fields": _LOOKUP_FIELDS, "maxResults": _LOOKUP_PAGE})
                 for uid in uids]
        answers = self._batch(calls, later=later)
        stored: dict[tuple[str, str | None], dict] = {}
        unreadable: dict[str, GoogleCalendarError] = {}
        for uid, answer in zip(uids, answers, strict=True):
            if not answer.ok:
                unreadable[uid] = answer.error or TransportError(f"HTTP {answer.status}")
                continue
            for event in (answer.body or {}).get("items", []):
                key = (event.get("iCalUID"), original_start_key(event.get("originalStartTime")))
                stored[key] = event
        return stored, unreadable

    # -------------------------------------------------------------------------- decide

    def _plan(self, items: list[ImportItem], stored: dict) -> list[_Step]:
        written_series = set()
        series = {i.uid for i in self.parsed.items if i.original_start is None} | {
            uid for (uid, original), event in stored.items()
            if original is None and event.get("status") != "cancelled"
        }
        steps = []
        for item in sorted(items, key=lambda i: i.original_start is not None):
            step = self._decide(item, stored)
            if item.original_start and item.uid not in series and step.call is not None:
                _skip(step, "a changed occurrence of a series that is neither in the file nor "
                      "in this calendar; import the whole series")
            if step.call is not None and item.original_start is None:
                written_series.add(item.uid)
            step.after_series = item.original_start is not None and item.uid in written_series
            steps.append(step)
        return steps

    def _decide(self, item: ImportItem, stored: dict) -> _Step:
        step = _Step(item, _outcome(item))
        existing = stored.get(item.key)
        if existing is not None:
            step.outcome.event_id = existing.get("id")
            step.outcome.html_link = existing.get("htmlLink")
        stored_sequence = int((existing or {}).get("sequence") or 0)
        newer = item.sequence > stored_sequence
        if self._cancels(item):
            return self._cancel_step(step, existing, stored, newer)
        body = self._own_copy(step)
        if existing is None:
            step.call = self._import(body)
            return step
        deleted = existing.get("status") == "cancelled"
        if not newer:
            step.outcome.action = "unchanged"
            step.outcome.reason = _LEFT_DELETED if deleted else step.outcome.reason
            return step
        step.outcome.action = "updated"
        if deleted:
            step.outcome.reason = _RESTORED
        kept = {name: existing[name] for name in _PERSONAL if name in existing}
        step.call = self._import({**body, **kept})
        update = {k: v for k, v in body.items() if k != "organizer"}
        step.fallback = Call("PUT", self._path(existing["id"]), {"fields": _WRITE_FIELDS},
                             {**update, **kept, "status": body.get("status", "confirmed")})
        return step

    def _own_copy(self, step: _Step) -> dict:
        """The body to import: the file's, or the user's own event when the user neither
        organizes nor attends it (Google refuses such an import)."""
        body = step.item.body
        people = [body.get("organizer") or {}, *(body.get("attendees") or [])]
        emails = {(p.get("email") or "").casefold() for p in people}
        if not body.get("organizer") or emails & self.owners:
            return body
        step.outcome.reason = _OWN_COPY
        return own_event_body(body)

    def _cancel_step(self, step: _Step, existing: dict | None, stored: dict,
                     newer: bool) -> _Step:
        if _already_cancelled(step.item, existing, stored):
            step.outcome.action = "unchanged"
            step.outcome.reason = "already cancelled in this calendar"
            return step
        if existing is None and self._excluded_by_new_series(step.item, stored):
            step.outcome.reason = "a cancelled occurrence: left out of the series"
            return step
        target = existing.get("id") if existing else _instance_id(step.item, stored)
        if target is None:
            return _skip(step, "cancelled in the file and not in this calendar")
        if existing is not None and not newer:
            step.outcome.action = "unchanged"
            step.outcome.reason = "the calendar holds a newer version than this cancellation"
            return step
        step.outcome.action, step.outcome.event_id = "cancelled", target
        step.call = Call("DELETE", self._path(target), {"sendUpdates": self.send_updates})
        return step

    # -------------------------------------------------------------------------- write

    def _write(self, steps: list[_Step]) -> list[_Step]:
        """One round; the steps to send again (as their fallback) in the next."""
        answers = self._batch([s.call for s in steps], later=True)
        retry = []
        for step, answer in zip(steps, answers, strict=True):
            if step.fallback is not None and _duplicate(answer) and not answer.after_lost_answer:
                step.call, step.fallback = step.fallback, None
                retry.append(step)
            elif _not_a_participant(answer) and step.outcome.reason != _OWN_COPY:
                # an address of the user's that is not the calendar's (an alias)
                step.outcome.reason = _OWN_COPY
                step.call = self._import(own_event_body(step.call.body))
                step.fallback = None
                retry.append(step)
            else:
                _record(step, answer)
        return retry

    def _batch(self, calls: list[Call], *, later: bool) -> list[Answer]:
        """The lookup fails as one error (nothing is written yet: retrying the whole import
        is safe); a write round fails call by call, so what was done is still reported."""
        if not calls:
            return []
        try:
            return run_batch(self.client.transport, calls)
        except GoogleCalendarError as failure:
            if not later:
                raise
            logger.info("import: a later batch failed (%s)", type(failure).__name__)
            return [Answer(failure.status or 0, error=failure) for _ in calls]


def own_event_body(body: dict) -> dict:
    """An event the user neither organizes nor attends, as the user's own: no guests (nobody
    is invited or e-mailed), who organizes and attends it kept in the description."""
    guests = [_who(a) for a in body.get("attendees") or []]
    lines = [f"Organizer: {_who(body['organizer'])}"] if body.get("organizer") else []
    if guests:
        lines.append("Guests: " + ", ".join(guests))
    description = "\n\n".join(filter(None, [body.get("description"), "\n".join(lines)]))
    own = {k: v for k, v in body.items() if k not in ("organizer", "attendees")}
    own["description"] = description
    return own


def _who(person: dict) -> str:
    name, email = person.get("displayName"), person.get("email", "")
    return f"{name} <{email}>" if name else email


def _outcome(item: ImportItem) -> Outcome:
    return Outcome("imported", item.summary, uid=item.uid, start=item.body["start"],
                   end=item.body["end"], original_start=item.original_start,
                   recurring=bool(item.body.get("recurrence")))


def _already_cancelled(item: ImportItem, existing: dict | None, stored: dict) -> bool:
    if existing is not None:
        return existing.get("status") == "cancelled"
    master = stored.get((item.uid, None))
    return bool(master and item.original_start in excluded_keys(master.get("recurrence")))


def _instance_id(item: ImportItem, stored: dict) -> str | None:
    """Google's id of an unchanged occurrence: `<series id>_<original start>`."""
    master = stored.get((item.uid, None))
    if not item.original_start or not master or master.get("status") == "cancelled":
        return None
    return f"{master['id']}_{item.original_start}"


def _skip(step: _Step, reason: str) -> _Step:
    step.outcome.action, step.outcome.reason = "skipped", reason
    step.call = None
    return step


def _duplicate(answer: Answer) -> bool:
    """Google's refusal of an iCalUID the calendar holds (reason `duplicate`, as gcalcli
    checks it); any other 409 is an ordinary refusal."""
    return answer.status == 409 and (answer.error is None or answer.error.reason in (
        "duplicate", None))


def _not_a_participant(answer: Answer) -> bool:
    """Google refuses to import what the calendar's owner neither organizes nor attends
    (kewisch/gdata-provider#1049)."""
    return (answer.status == 400 and answer.error is not None
            and answer.error.reason == "participantIsNeitherOrganizerNorAttendee")


def _refusal(step: _Step, answer: Answer) -> str:
    """Why Google refused a call, in terms of what the user can do about it."""
    error = answer.error
    message = error.message if error is not None else f"HTTP {answer.status}"
    if answer.status == 0 or answer.status >= 500:
        return (f"Google did not confirm it ({message.rstrip('.')}); it may have been "
                "written: import the file again to see")
    if (error is not None and error.reason == "forbiddenForNonOrganizer"
            and step.call is not None and step.call.method == "PUT"):
        # An imported copy organized by someone else takes personal fields only
        # (kewisch/gdata-provider#728): reached when Google also refused the import.
        organizer = (step.item.body.get("organizer") or {}).get("email") or "its organizer"
        what = ("it could not be restored" if step.outcome.reason == _RESTORED
                else "this newer version was not applied")
        return (f"Google lets only {organizer} change this event, so {what}; take the "
                "organizer's update from your e-mail instead")
    return f"Google refused it: {message}"


def _record(step: _Step, answer: Answer) -> None:
    if step.outcome.action == "cancelled" and answer.status in (404, 410):
        return  # already gone (e.g. with its series): the cancellation holds
    if _duplicate(answer) and answer.after_lost_answer:
        return  # the first try landed; Google refused only the repeat
    if not answer.ok:
        logger.info("import: Google refused one event (HTTP %s)", answer.status)
        _skip(step, _refusal(step, answer))
        return
    if answer.body:
        step.outcome.event_id = answer.body.get("id", step.outcome.event_id)
        step.outcome.html_link = answer.body.get("htmlLink", step.outcome.html_link)
