"""Importing an .ics file into a calendar with Google's `events.import`, idempotently.

Round 1 looks every UID up (`events.list?iCalUID=`, one batch): that decides per event
imported / updated (higher SEQUENCE) / unchanged / skipped, and is all a dry run does.
Round 2 writes what changed in one batch (events.import; cancellations as events.delete).
Changed occurrences of a series written in round 2 follow in a third round, because Google
may run the calls of one batch in any order and an occurrence needs its series first.
Nothing is written when the file itself is unusable; a call Google refuses is reported as
skipped with Google's reason, never silently dropped.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from gcal.batch import Answer, Call, run_batch
from gcal.client import CalendarClient
from gcal.ics_read import IcsFile, ImportItem, original_start_key, read_ics
from gcal.models import Calendar
from gcal.transport import calendar_path
from gcal.writes import target_calendar

logger = logging.getLogger(__name__)

ACTIONS = ("imported", "updated", "unchanged", "skipped")
_LOOKUP_PAGE = 2500  # Google's largest events.list page: a series with all its exceptions
# Partial responses (Calendar API guide "Improve performance", `fields`): only
# what deciding imported/updated/unchanged needs.
_LOOKUP_FIELDS = "items(id,iCalUID,sequence,status,originalStartTime,htmlLink)"


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
    stored = _lookup(client, calendar.id, parsed)
    steps = _plan(parsed, stored, calendar.id, send_updates)
    if not dry_run:
        _write(client, [s for s in steps if s.call and not s.after_series])
        _write(client, [s for s in steps if s.call and s.after_series])
    result.outcomes = [s.outcome for s in steps] + [
        Outcome("skipped", s.summary, uid=s.uid, reason=s.reason) for s in parsed.skipped
    ]
    return result


# ------------------------------------------------------------------------------ round 1


def _lookup(client: CalendarClient, calendar_id: str, parsed: IcsFile) -> dict:
    """Stored events by (iCalUID, original start key); deleted ones included."""
    uids = list(dict.fromkeys(item.uid for item in parsed.items))
    path = calendar_path("calendars", calendar_id, "events", parameter="calendar_id")
    calls = [Call("GET", path, {"iCalUID": uid, "showDeleted": True, "fields": _LOOKUP_FIELDS,
                                "maxResults": _LOOKUP_PAGE}) for uid in uids]
    stored: dict[tuple[str, str | None], dict] = {}
    for answer in run_batch(client.transport, calls):
        if answer.error is not None:
            raise answer.error  # nothing written yet: one clear error beats a partial import
        for event in (answer.body or {}).get("items", []):
            key = (event.get("iCalUID"), original_start_key(event.get("originalStartTime")))
            stored[key] = event
    return stored


def _plan(parsed: IcsFile, stored: dict, calendar_id: str, send_updates: str) -> list[_Step]:
    written_series = set()
    series = {i.uid for i in parsed.items if i.original_start is None} | {
        uid for (uid, original), event in stored.items()
        if original is None and event.get("status") != "cancelled"
    }
    steps = []
    for item in sorted(parsed.items, key=lambda i: i.original_start is not None):
        step = _decide(item, stored, parsed.cancels, calendar_id, send_updates)
        if item.original_start and item.uid not in series and step.call is not None:
            _skip(step, "a changed occurrence of a series that is neither in the file nor in "
                  "this calendar; import the whole series")
        if step.call is not None and item.original_start is None:
            written_series.add(item.uid)
        step.after_series = item.original_start is not None and item.uid in written_series
        steps.append(step)
    return steps


def _decide(item: ImportItem, stored: dict, cancels: bool, calendar_id: str,
            send_updates: str) -> _Step:
    outcome = Outcome("imported", item.summary, uid=item.uid, start=item.body["start"],
                      end=item.body["end"],
                      original_start=item.original_start,
                      recurring=bool(item.body.get("recurrence")))
    existing = stored.get(item.key)
    live = existing if existing and existing.get("status") != "cancelled" else None
    if live is not None:
        outcome.event_id, outcome.html_link = live.get("id"), live.get("htmlLink")
    step = _Step(item, outcome)
    newer = live is None or item.sequence > int(live.get("sequence") or 0)
    if cancels or item.body.get("status") == "cancelled":
        return _cancel_step(step, live, stored, newer, calendar_id, send_updates)
    if live is not None and not newer:
        outcome.action = "unchanged"
        return step
    outcome.action = "updated" if live is not None else "imported"
    path = calendar_path("calendars", calendar_id, "events", "import", parameter="calendar_id")
    step.call = Call("POST", path, {"fields": "id,htmlLink"}, item.body)
    return step


def _cancel_step(step: _Step, live: dict | None, stored: dict, newer: bool, calendar_id: str,
                 send_updates: str) -> _Step:
    target = live.get("id") if live else _instance_id(step.item, stored)
    if target is None:
        return _skip(step, "cancelled in the file and not in this calendar")
    if live is not None and not newer:
        step.outcome.action = "unchanged"
        step.outcome.reason = "the calendar holds a newer version than this cancellation"
        return step
    step.outcome.action, step.outcome.event_id = "cancelled", target
    path = calendar_path("calendars", calendar_id, "events", target, parameter="calendar_id")
    step.call = Call("DELETE", path, {"sendUpdates": send_updates})
    return step


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


# ------------------------------------------------------------------------------ round 2


def _write(client: CalendarClient, steps: list[_Step]) -> None:
    if not steps:
        return
    answers = run_batch(client.transport, [s.call for s in steps if s.call])
    for step, answer in zip(steps, answers, strict=True):
        _record(step, answer)


def _record(step: _Step, answer: Answer) -> None:
    if step.outcome.action == "cancelled" and answer.status in (404, 410):
        return  # already gone (e.g. with its series): the cancellation holds
    if not answer.ok:
        message = answer.error.message if answer.error else f"HTTP {answer.status}"
        logger.info("import: Google refused one event (HTTP %s)", answer.status)
        _skip(step, f"Google refused it: {message}")
        return
    if answer.body:
        step.outcome.event_id = answer.body.get("id", step.outcome.event_id)
        step.outcome.html_link = answer.body.get("htmlLink", step.outcome.html_link)
