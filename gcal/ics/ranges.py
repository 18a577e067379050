"""RECURRENCE-ID;RANGE=THISANDFUTURE in an imported file, as a split series (pure).

RFC 5545 3.2.13 / 3.8.4.4: such an override changes its occurrence and every later one; a
changed DTSTART moves every later occurrence by the same amount, a changed length gives them all
the new length. Google has no such override, so the file is imported the way Google Calendar
makes a "this and following" change: the series ends just before that occurrence and a new series
(iCalUID ``<uid>_R<original start>``, stable across imports) starts there with the override's
properties and the rest of the rule — the rule arithmetic of gcal.events.series. Occurrences changed
one by one after the split become exceptions of the new series.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from gcal.dates.recurrence import expand_rule, moved_rules
from gcal.dates.times import parse_rfc3339
from gcal.errors import InvalidInputError
from gcal.events.input import Span, shifted_series, span_of
from gcal.events.series import earlier_rules, following_rules
from gcal.ics.items import IcsFile, ImportItem, Skipped, original_start_key

NO_SERIES = ("changes this and every later occurrence (RANGE=THISANDFUTURE) of a series that "
             "is not in the file: import the whole series")
UNMOVABLE = ("moves this and every later occurrence (RANGE=THISANDFUTURE), but the series' rule "
             "cannot move with it exactly (ordinal weekdays, BYSETPOS, ...): change the series "
             "in the source calendar and export it again")
KIND_CHANGE = "a series cannot switch between all-day and timed from one occurrence on"
NO_ZONE = "recurring event in a custom time zone that matches no IANA zone"
NOT_AN_OCCURRENCE = ("its RECURRENCE-ID (RANGE=THISANDFUTURE) names no occurrence of the "
                     "series: nothing to change from there on")
ENDED = ("falls after a RANGE=THISANDFUTURE cancellation earlier in the file: that occurrence "
         "no longer exists")


class _Skip(Exception):
    """This THISANDFUTURE override cannot be imported; the message is the reason."""


@dataclass
class _Part:
    """One Google series made from the file's series: the master, or a part split off it
    (``item`` None: the occurrences from ``since`` on were cancelled)."""

    item: ImportItem | None
    since: datetime | None = None  # the (original) occurrence it starts at; None: the master
    moves: list[tuple[Span, Span]] = field(default_factory=list)  # (occurrence, moved to)

    def occurrence(self, original: Span) -> Span:
        """Where this part holds the occurrence the master held at ``original``."""
        for before, after in self.moves:
            original = shifted_series(original, before, after)
        return original


@dataclass
class _Series:
    origin: Span  # the master's own first occurrence, before any change
    rules: list[str]  # the master's own lines, before any change
    parts: list[_Part]

    def owner(self, original: Span) -> _Part:
        """The part an (original) occurrence falls in: the last one starting at or before it."""
        moment = _instant(original)
        return [p for p in self.parts if p.since is None or p.since <= moment][-1]


def apply_future_ranges(result: IcsFile, user_zone: ZoneInfo) -> None:
    changes = [item for item in result.items if item.this_and_future]
    if not changes:
        return
    result.items = [item for item in result.items if not item.this_and_future]
    series = {item.uid: _Series(span_of(item.body, user_zone), item.body["recurrence"],
                                [_Part(item)])
              for item in result.items
              if item.original_start is None and item.body.get("recurrence")}
    for change in sorted(changes, key=lambda c: _instant(_original(c.body, None, user_zone))):
        try:
            if change.uid not in series:
                raise _Skip(NO_SERIES)
            _split(series[change.uid], change, user_zone)
        except _Skip as problem:
            result.skipped.append(Skipped(change.uid, change.summary, str(problem)))
    result.items = list(_rebuilt(result, series))


def _rebuilt(result: IcsFile, series: dict[str, _Series]):
    for item in result.items:
        whole = series.get(item.uid)
        if whole is None:
            yield item
        elif item.original_start is None:
            yield from (part.item for part in whole.parts if part.item is not None)
        else:
            rekeyed = _rekeyed(item, whole)
            if rekeyed is None:
                result.skipped.append(Skipped(item.uid, item.summary, ENDED))
            else:
                yield rekeyed


def _split(whole: _Series, change: ImportItem, zone: ZoneInfo) -> None:
    original = _original(change.body, whole.origin, zone)
    if not _occurs(whole, original, change.original_start):
        raise _Skip(NOT_AN_OCCURRENCE)
    owner = whole.owner(original)
    if owner.item is None:
        raise _Skip(ENDED)
    lines = owner.item.body["recurrence"]
    at = owner.occurrence(original)  # where the part holds that occurrence today
    if change.body.get("status") == "cancelled":
        _end(whole, owner, at, _instant(original), max(owner.item.sequence, change.sequence))
        return
    moved = span_of(change.body, zone)
    if moved.all_day != at.all_day:
        raise _Skip(KIND_CHANGE)
    if not moved.all_day and "timeZone" not in change.body["start"]:
        raise _Skip(NO_ZONE)
    try:
        rest = moved_rules(following_rules(lines, span_of(owner.item.body, zone), at), at,
                           moved)
    except InvalidInputError:
        raise _Skip(UNMOVABLE) from None
    sequence = max(owner.item.sequence, change.sequence)
    body = {key: value for key, value in change.body.items() if key != "originalStartTime"}
    body.update(recurrence=rest)
    moves = [*owner.moves, (at, moved)]
    if _instant(at) <= _instant(span_of(owner.item.body, zone)):  # its first: all of it
        owner.item = _series_item(owner.item.uid, body, sequence)
        owner.moves = moves
        return
    owner.item = _series_item(owner.item.uid, {**owner.item.body,
                                               "recurrence": earlier_rules(lines, at)}, sequence)
    uid = split_uid(whole.parts[0].item.uid, original)
    whole.parts.append(_Part(_series_item(uid, body, change.sequence), _instant(original), moves))


def _end(whole: _Series, owner: _Part, at: Span, since: datetime, sequence: int) -> None:
    """A cancelled THISANDFUTURE override: no occurrence from it on (from the first one:
    the whole series is cancelled, which deletes an imported copy)."""
    assert owner.item is not None
    if _instant(at) <= _instant(span_of(owner.item.body, at.zone)):
        owner.item = _series_item(owner.item.uid, {**owner.item.body, "status": "cancelled"},
                                  sequence)
        return
    lines = owner.item.body["recurrence"]
    owner.item = _series_item(owner.item.uid, {**owner.item.body,
                                               "recurrence": earlier_rules(lines, at)}, sequence)
    whole.parts.append(_Part(None, since))


def _occurs(whole: _Series, original: Span, key: str | None) -> bool:
    """RFC 5545 3.8.4.4: a RECURRENCE-ID names an occurrence of the series (its DTSTART, one
    its RRULE generates, or an RDATE)."""
    first = whole.origin
    if _instant(original) == _instant(first):
        return True
    start = first.start if not first.all_day else datetime.combine(first.start, time())
    moment = original.start if not original.all_day else datetime.combine(original.start, time())
    for line in whole.rules:
        head, _, values = line.partition(":")
        if head == "RRULE" and _generates(values, start, moment):
            return True
        if head.startswith("RDATE") and key in values.split(","):
            return True
    return False


def _generates(rule: str, start: datetime, moment: datetime) -> bool:
    try:  # bounded: a rule finer than daily refuses the file, a cap skips the override
        walk = expand_rule(rule, start, stop_after=moment, parameter="file")
    except (ValueError, TypeError):  # a rule dateutil cannot expand: Google will judge it
        return True
    if walk.cut:
        raise _Skip(f"whether its RECURRENCE-ID names an occurrence cannot be judged: the "
                    f"series' rule {walk.cut}")
    return moment in walk.moments


def _series_item(uid: str, body: dict, sequence: int) -> ImportItem:
    return ImportItem(uid, {**body, "iCalUID": uid, "sequence": sequence}, sequence)


def split_uid(uid: str, original: Span) -> str:
    """Google's style for the series split off at an occurrence (``<id>_R<start>``), before
    the domain when the UID has one; the original start keeps it stable across imports."""
    stamp = (f"{original.start:%Y%m%d}" if original.all_day
             else f"{original.start.astimezone(original.zone):%Y%m%dT%H%M%S}")
    local, at, domain = uid.rpartition("@")
    return f"{local}_R{stamp}@{domain}" if at else f"{uid}_R{stamp}"


def _rekeyed(item: ImportItem, whole: _Series) -> ImportItem | None:
    """A changed occurrence belongs to the part its original start falls in, keyed by where
    that part holds it (a moved part moved its occurrences)."""
    original = _original(item.body, whole.origin, whole.origin.zone)
    if original.all_day != whole.origin.all_day:
        return item  # not an occurrence of this series; Google answers for it
    owner = whole.owner(original)
    if owner.item is None:
        return None
    if owner is whole.parts[0] and not owner.moves:
        return item
    held = owner.occurrence(original).body()["start"]
    body = {**item.body, "iCalUID": owner.item.uid, "originalStartTime": held}
    return replace(item, uid=owner.item.uid, body=body, original_start=original_start_key(held))


def _original(body: dict, origin: Span | None, zone: ZoneInfo) -> Span:
    """The occurrence a RECURRENCE-ID names, with the series' zone and length."""
    google = body["originalStartTime"]
    zone = origin.zone if origin else zone
    if "date" in google:
        start: date | datetime = date.fromisoformat(google["date"])
        default = timedelta(days=1)
    else:
        start = parse_rfc3339(google["dateTime"]).astimezone(zone)
        default = timedelta(0)
    same_kind = origin is not None and origin.all_day != isinstance(start, datetime)
    length = origin.length() if same_kind else default
    return Span(start, start + length, zone)


def _instant(span: Span) -> datetime:
    return span.instants()[0]
