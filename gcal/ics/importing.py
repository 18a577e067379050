"""Importing an .ics file into a calendar with Google's `events.import`, idempotently.

Google's `events.import` never updates: an iCalUID the calendar already holds, live or deleted,
is refused as a 409 `duplicate` whatever its SEQUENCE (gcalcli PR #712 and issue #784, which
tell it apart by that reason). So the import is optimistic:

1. every event of the file is imported at once (one batch): a new file costs one round trip;
2. only what Google called a duplicate, the file's cancellations and changed occurrences of a
   series that is not new are looked up by iCalUID; the same batch imports the changed
   occurrences of the series round 1 created (an occurrence needs its series first: Google
   may run the calls of one batch in any order);
3. the lookup decides: a higher SEQUENCE updates the stored event (`events.update`), a deleted
   one is restored, an equal or lower one is left unchanged, a cancellation deletes; the
   occurrences of a series written here follow in one more round.

A dry run only looks every UID up and reports what would happen. Nothing is written when the
file itself is unusable; a call Google refuses is reported as skipped with Google's reason.
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
from gcal.ics.items import IcsFile, ImportItem, original_start_key
from gcal.ics.reading import read_ics
from gcal.models import Calendar

logger = logging.getLogger(__name__)

ACTIONS = ("imported", "updated", "unchanged", "skipped")
_LOOKUP_PAGE = 2500  # Google's largest events.list page: a series with all its exceptions
# Partial responses (Calendar API guide "Improve performance", `fields`): only
# what deciding imported/updated/unchanged needs.
_LOOKUP_FIELDS = "items(id,iCalUID,sequence,status,originalStartTime,htmlLink)"
_WRITE_FIELDS = "id,htmlLink"
_RESTORED = "restored: it had been deleted from this calendar"


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
    after_series: bool = False  # an occurrence whose series is written in this run too
    held: bool = False  # Google answered `duplicate`: the calendar holds this UID already
    landed_before: bool = False  # a repeat answered `duplicate`: the first try had landed


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
    target = _Target(client, calendar.id, parsed, send_updates)
    steps = target.preview() if dry_run else target.run()
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

    def preview(self) -> list[_Step]:
        stored, unreadable = self._lookup(self.parsed.items)
        if unreadable:
            raise next(iter(unreadable.values()))  # nothing is written: one clear error
        return self._plan(self.parsed.items, stored, set())

    def run(self) -> list[_Step]:
        eager = [i for i in self.parsed.items
                 if i.original_start is None and not self._cancels(i)]
        first = self._write([self._import_step(i) for i in eager], duplicate_is_held=True)
        created = {s.item.uid for s in first if s.outcome.action == "imported" and not s.held}
        follow, rest = [], [s.item for s in first if s.held]
        for item in self.parsed.items:
            if item.original_start is None and not self._cancels(item):
                continue  # sent in the first round
            if item.original_start and item.uid in created and not self._cancels(item):
                follow.append(self._import_step(item))  # its series is new: nothing to look up
            else:
                rest.append(item)
        stored, unreadable = self._lookup(rest, also=follow, later=True)
        landed = {s.item.key for s in first if s.landed_before}
        steps = self._plan([i for i in rest if i.uid not in unreadable], stored, landed)
        steps += [_skip(_Step(i, _outcome(i)), "Google did not say what this calendar holds "
                        f"for it ({unreadable[i.uid].message}); import the file again")
                  for i in rest if i.uid in unreadable]
        self._write([s for s in steps if s.call and not s.after_series], later=True)
        self._write([s for s in steps if s.call and s.after_series], later=True)
        return [s for s in first if not s.held] + follow + steps

    def _cancels(self, item: ImportItem) -> bool:
        return self.parsed.cancels or item.body.get("status") == "cancelled"

    @cached_property
    def _events_path(self) -> str:
        return calendar_path("calendars", self.calendar_id, "events", parameter="calendar_id")

    def _path(self, event_id: str) -> str:
        return self._events_path + calendar_path(event_id, parameter="event_id")

    def _import_step(self, item: ImportItem) -> _Step:
        step = _Step(item, _outcome(item))
        step.call = Call("POST", self._events_path + "/import", {"fields": _WRITE_FIELDS},
                         item.body)
        return step

    # -------------------------------------------------------------------------- lookup

    def _lookup(self, items: list[ImportItem], also: list[_Step] = (), *, later: bool = False
                ) -> tuple[dict, dict[str, GoogleCalendarError]]:
        """Stored events by (iCalUID, original start key), deleted ones included, and the
        UIDs Google did not answer for. `also`: writes that go out in the same batch (their
        answers are recorded on their steps)."""
        uids = list(dict.fromkeys(item.uid for item in items))
        calls = [Call("GET", self._events_path, {"iCalUID": uid, "showDeleted": True,
                                            "fields": _LOOKUP_FIELDS, "maxResults": _LOOKUP_PAGE})
                 for uid in uids]
        answers = self._batch(calls + [s.call for s in also], later=later)
        for step, answer in zip(also, answers[len(calls):], strict=True):
            _record(step, answer)
        stored: dict[tuple[str, str | None], dict] = {}
        unreadable: dict[str, GoogleCalendarError] = {}
        for uid, answer in zip(uids, answers, strict=False):
            if not answer.ok:
                unreadable[uid] = answer.error or TransportError(f"HTTP {answer.status}")
                continue
            for event in (answer.body or {}).get("items", []):
                key = (event.get("iCalUID"), original_start_key(event.get("originalStartTime")))
                stored[key] = event
        return stored, unreadable

    # -------------------------------------------------------------------------- decide

    def _plan(self, items: list[ImportItem], stored: dict, landed: set) -> list[_Step]:
        written_series = set()
        series = {i.uid for i in self.parsed.items if i.original_start is None} | {
            uid for (uid, original), event in stored.items()
            if original is None and event.get("status") != "cancelled"
        }
        steps = []
        for item in sorted(items, key=lambda i: i.original_start is not None):
            step = self._decide(item, stored, item.key in landed)
            if item.original_start and item.uid not in series and step.call is not None:
                _skip(step, "a changed occurrence of a series that is neither in the file nor "
                      "in this calendar; import the whole series")
            if step.call is not None and item.original_start is None:
                written_series.add(item.uid)
            step.after_series = item.original_start is not None and item.uid in written_series
            steps.append(step)
        return steps

    def _decide(self, item: ImportItem, stored: dict, landed_before: bool) -> _Step:
        step = _Step(item, _outcome(item))
        existing = stored.get(item.key)
        if existing is not None:
            step.outcome.event_id = existing.get("id")
            step.outcome.html_link = existing.get("htmlLink")
        stored_sequence = int((existing or {}).get("sequence") or 0)
        if self._cancels(item):
            return self._cancel_step(step, existing, stored, item.sequence > stored_sequence)
        if existing is None:
            return self._import_step(item) if not landed_before else step
        if existing.get("status") == "cancelled":
            step.outcome.reason = _RESTORED
            return self._update_step(step, existing, max(item.sequence, stored_sequence),
                                     "confirmed")
        if item.sequence <= stored_sequence:
            step.outcome.action = "imported" if landed_before else "unchanged"
            return step
        step.outcome.action = "updated"
        return self._update_step(step, existing, item.sequence, None)

    def _update_step(self, step: _Step, existing: dict, sequence: int,
                     status: str | None) -> _Step:
        """`events.update` of the stored event: `organizer` is writable only on import
        (Event resource docs), `sequence` may rise (it is not read-only)."""
        body = {k: v for k, v in step.item.body.items() if k != "organizer"}
        body["sequence"] = sequence
        if status is not None:
            body["status"] = status
        step.call = Call("PUT", self._path(existing["id"]), {"fields": _WRITE_FIELDS}, body)
        return step

    def _cancel_step(self, step: _Step, existing: dict | None, stored: dict,
                     newer: bool) -> _Step:
        live = existing if existing and existing.get("status") != "cancelled" else None
        target = live.get("id") if live else _instance_id(step.item, stored)
        if target is None:
            return _skip(step, "cancelled in the file and not in this calendar")
        if live is not None and not newer:
            step.outcome.action = "unchanged"
            step.outcome.reason = "the calendar holds a newer version than this cancellation"
            return step
        step.outcome.action, step.outcome.event_id = "cancelled", target
        step.call = Call("DELETE", self._path(target), {"sendUpdates": self.send_updates})
        return step

    # -------------------------------------------------------------------------- write

    def _write(self, steps: list[_Step], *, duplicate_is_held: bool = False,
               later: bool = False) -> list[_Step]:
        if steps:
            answers = self._batch([s.call for s in steps], later=later)
            for step, answer in zip(steps, answers, strict=True):
                if duplicate_is_held and _duplicate(answer):
                    step.held, step.landed_before = True, answer.after_lost_answer
                else:
                    _record(step, answer)
        return steps

    def _batch(self, calls: list[Call], *, later: bool) -> list[Answer]:
        """The first round fails as one error (retrying the whole import is safe); a later
        one fails call by call, so what the first round did is still reported."""
        try:
            return run_batch(self.client.transport, calls)
        except GoogleCalendarError as failure:
            if not later:
                raise
            logger.info("import: a later batch failed (%s)", type(failure).__name__)
            return [Answer(failure.status or 0, error=failure) for _ in calls]


def _outcome(item: ImportItem) -> Outcome:
    return Outcome("imported", item.summary, uid=item.uid, start=item.body["start"],
                   end=item.body["end"], original_start=item.original_start,
                   recurring=bool(item.body.get("recurrence")))


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


def _refusal(step: _Step, answer: Answer) -> str:
    """Why Google refused a call, in terms of what the user can do about it."""
    error = answer.error
    message = error.message if error is not None else f"HTTP {answer.status}"
    if answer.status == 0 or answer.status >= 500:
        return (f"Google did not confirm it ({message.rstrip('.')}); it may have been "
                "written: import the file again to see")
    if (error is not None and error.reason == "forbiddenForNonOrganizer"
            and step.call is not None and step.call.method == "PUT"):
        # The emulator lets an imported copy take a newer version (our reading of "private
        # copy"); should Google refuse, as it does for invitations organised by others
        # (kewisch/gdata-provider#728), say so in terms the user can act on.
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
