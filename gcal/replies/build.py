"""What each tool answers: one compact text for the model, typed data for workflows."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from gcal.dates.intervals import Interval
from gcal.dates.spans import WEEKDAYS, day_label, inclusive_end_day, span_text
from gcal.dates.times import format_offset
from gcal.events.calendars import calendar_aliases
from gcal.events.event_types import TYPE_NAMES
from gcal.events.reading import EventPage
from gcal.events.writes import WriteResult
from gcal.google.serializers import event_time_from_api
from gcal.ics.export import MAX_EXPORT_EVENTS, Export
from gcal.ics.importing import ACTIONS as IMPORT_ACTIONS
from gcal.ics.importing import ImportResult, Outcome
from gcal.ics.writing import MIME_TYPE
from gcal.models import Calendar, Event
from gcal.replies.formatting import (
    calendar_line,
    calendar_record,
    day_heading,
    event_detail,
    event_line,
    event_record,
    legend_line,
    listing_day,
    time_value,
)
from gcal.scheduling.freebusy import FreeBusy
from gcal.scheduling.holidays import Holiday, Holidays
from gcal.scheduling.people import Person, assumed
from gcal.scheduling.slots import SlotRules, days_label
from gcal.scheduling.team import Fit, TeamSearch, TeamSlot
from gcal.words import plural

# Roughly 2,500 tokens: enough for ~60 events, small enough to leave the model room to think.
TEXT_BUDGET = 10_000


@dataclass
class Reply:
    text: str
    data: dict = field(default_factory=dict)
    # (content, meta) pairs sent as files, meta e.g. {"mime_type": ..., "filename": ...}
    files: list[tuple[bytes, dict]] = field(default_factory=list)


def _short_time(moment: datetime) -> str:
    return moment.isoformat(timespec="minutes")


def events_reply(
    page: EventPage,
    zone: ZoneInfo,
    *,
    budget: int = TEXT_BUDGET,
    notes: list[str] | None = None,
    names: dict[str, str] | None = None,
    aliases: dict[str, str] | None = None,
    query: str | None = None,
) -> Reply:
    """The listing: a summary line, the legend of the calendars its lines name (several
    calendars), day headings and one line per event. `notes` say how calendar names were read
    ("Fam" → "Family"); `aliases` are the calendars' short labels (`listing_aliases`); guests
    matching `query` are named on their events' lines with their answer."""
    several = len(page.calendar_ids) > 1
    aliases = (aliases or calendar_aliases(page.calendar_ids)) if several else {}
    first_day = page.time_min.astimezone(zone).date()
    rows = _grouped_lines(page.events, zone, aliases, first_day, query)
    kept = _fit(rows, budget)
    if kept < len(page.events):
        page.truncate(kept)
    lines = [line for index, line in rows if index < kept]
    all_names = {**page.calendar_names, **(names or {})}
    scope = plural(len(page.calendar_ids), "calendar") if several else _calendar_named(
        page.calendar_ids[0], all_names)
    start, end = page.time_min.astimezone(zone), page.time_max.astimezone(zone)
    window = f"{start:%Y-%m-%d %H:%M} to {end:%Y-%m-%d %H:%M} {zone.key}"
    count = plural(len(page.events), "event") if page.events else "No events"
    hidden = (f" · {page.hidden_declined} declined hidden (include_declined=true shows them)"
              if page.hidden_declined else "")
    text = [f"{count} in {scope}, {window}{hidden}"]
    shown = {e.calendar_id for e in page.events}
    if several and shown:
        text.append(legend_line({cal: alias for cal, alias in aliases.items() if cal in shown},
                                all_names))
    text.extend(f"Note: {note}" for note in notes or [])
    text.extend(lines)
    if page.next_page_token:
        text.append(f"More events: page_token={page.next_page_token}")
    text.extend(f"Warning: {w}" for w in page.warnings)
    data = {
        "events": [event_record(e, zone) for e in page.events],
        "count": len(page.events),
        "time_zone": zone.key,
        "time_min": page.time_min.astimezone(zone).isoformat(),
        "time_max": page.time_max.astimezone(zone).isoformat(),
        "next_page_token": page.next_page_token,
        "warnings": page.warnings,
    }
    return Reply("\n".join(text), data)


def _calendar_named(calendar_id: str, names: Mapping[str, str]) -> str:
    """`Work [c_…@group.calendar.google.com]`: the name people use, and the id to pass on."""
    name = names.get(calendar_id)
    plain = not name or name == calendar_id or calendar_id == "primary"
    return calendar_id if plain else f"{name} [{calendar_id}]"


def _grouped_lines(
    events: list[Event], zone: ZoneInfo, aliases: dict[str, str], first_day: date,
    query: str | None,
) -> list[tuple[int, str]]:
    """(index of the event the line belongs to, line): a heading per day, then its events.

    An event that began before the window's first day is listed under that day, marked as
    continuing, so "everything on Saturday" is not read as including Friday's party."""
    rows: list[tuple[int, str]] = []
    current = None
    for index, event in enumerate(events):
        started = listing_day(event, zone)
        day = first_day if started is not None and started < first_day else started
        if day != current and day is not None:
            rows.append((index, day_heading(day, zone)))
            current = day
        rows.append((index, event_line(
            event, zone, calendar=aliases.get(event.calendar_id), guest_query=query,
            continuing_from=started if day != started else None)))
    return rows


def _fit(rows: list[tuple[int, str]], budget: int) -> int:
    """How many events fit in the text budget (at least one, so paging always advances)."""
    used = 0
    for index, line in rows:
        used += len(line) + 1
        if used > budget:
            return max(index, 1)
    return len(rows) and rows[-1][0] + 1


def event_reply(event: Event, zone: ZoneInfo, *, headline: str | None = None) -> Reply:
    text = event_detail(event, zone)
    if headline:
        text = f"{headline}\n{text}"
    return Reply(text, {"event": event_record(event, zone, detailed=True)})


def calendars_reply(calendars: list[Calendar]) -> Reply:
    if not calendars:
        return Reply("No calendars visible to this account.", {"calendars": [], "count": 0})
    lines = [f"{plural(len(calendars), 'calendar')}:"] + [calendar_line(c) for c in calendars]
    return Reply(
        "\n".join(lines),
        {"calendars": [calendar_record(c) for c in calendars], "count": len(calendars)},
    )


def current_time_reply(now: datetime, zone: ZoneInfo, *, source: str) -> Reply:
    offset = format_offset(now)
    weekday = WEEKDAYS[now.weekday()]
    full_weekday = now.strftime("%A")
    text = (
        f"Now: {now.isoformat(timespec='seconds')} ({full_weekday}, {zone.key}, UTC{offset}; "
        f"{source})"
    )
    data = {
        "now": now.isoformat(timespec="seconds"),
        "date": now.date().isoformat(),
        "time": now.strftime("%H:%M:%S"),
        "weekday": full_weekday,
        "weekday_short": weekday,
        "time_zone": zone.key,
        "utc_offset": offset,
        "unix": int(now.timestamp()),
    }
    return Reply(text, data)


def slots_reply(
    search: TeamSearch, rules: SlotRules, people: Sequence[Person], free_busy: FreeBusy,
    holidays: Holidays | None = None, skipped: Mapping[str, Sequence[Holiday]] | None = None,
    *, notes: Sequence[str] = (), names: Mapping[str, str] | None = None,
) -> Reply:
    """`names`: calendar id -> name, so the text names the user's calendars as they do.
    `skipped`: each person's public holidays taken as days off (email -> days)."""
    zone, skipped = rules.zone, skipped or {}
    view = _TeamView(people, zone)
    text = [_slots_headline(search, rules, view)]
    shown_stretches = _stretches_until(search, zone)
    text.extend(f"Free {_stretch_day(day)}" for day in _by_day(shown_stretches, zone))
    if shown_stretches:
        text.append("Slots within them, as examples:")
    text.extend(view.slot_line(s) for s in search.slots)
    if search.more:
        resume = _short_time(search.slots[-1].slot.end.astimezone(zone))
        text.append(f"{search.more} more slots exist: raise max_results or call again with "
                    f"time_min={resume}")
    text.extend(view.zone_lines())
    text.extend(f"Note: {note}" for note in notes)
    considered = ", ".join((names or {}).get(name, name) for name in free_busy.considered)
    text.append(f"Considered: {considered}{_holidays_note(holidays, skipped, view)}")
    if free_busy.unknown:
        text.append(_unknown_line(free_busy))
    data = {
        "slots": [view.slot_record(slot) for slot in search.slots],
        "total_found": search.total,
        "everyone_fits": search.total > 0,
        "free_stretches": [_stretch_record(s, zone) for s in search.stretches[:_MAX_STRETCHES]],
        "considered": free_busy.considered,
        "unknown": [{"email": name, "reason": why} for name, why in free_busy.unknown.items()],
        "unknown_count": len(free_busy.unknown),
        "skipped_holidays": [_holiday_record(h, who, people[0].email)
                             for who, days in skipped.items() for h in days],
        "time_zone": zone.key,
        "time_min": search.start.astimezone(zone).isoformat(),
        "time_max": search.end.astimezone(zone).isoformat(),
    }
    if len(people) > 1:
        data["people"] = [{"email": p.email, "time_zone": p.zone.key,
                           "zone_from": p.zone_source, "working_hours": str(p.hours)}
                          for p in people]
    if search.slots:  # workflow variables cannot index arrays: the usual pick, as scalars
        first = search.slots[0].slot
        data["first_slot_start"] = first.start.astimezone(zone).isoformat()
        data["first_slot_end"] = first.end.astimezone(zone).isoformat()
    return Reply("\n".join(text), data)


_MAX_STRETCHES = 100


class _TeamView:
    """How a search of several zones is written: a label per zone, a short name per person."""

    def __init__(self, people: Sequence[Person], zone: ZoneInfo) -> None:
        self.people = list(people)
        self.zone = zone
        self.zones = list(dict.fromkeys([zone.key, *(p.zone.key for p in people)]))
        self.labels = _zone_labels(self.zones)
        self.short = _short_names(people)

    @property
    def several_zones(self) -> bool:
        return len(self.zones) > 1

    def slot_line(self, team_slot: TeamSlot) -> str:
        slot = team_slot.slot
        line = span_text(slot.start.astimezone(self.zone), slot.end.astimezone(self.zone))
        if self.several_zones:
            day = slot.start.astimezone(self.zone).date()
            line += f" {self.labels[self.zone.key]}" + "".join(
                f" · {_local_clock(slot.start.astimezone(ZoneInfo(key)), day)} "
                f"{self.labels[key]}" for key in self.zones[1:])
        outside = team_slot.outside
        if outside:
            line += " (outside hours: " + ", ".join(
                f"{self.short[f.email]} {_span_words(f.minutes_outside)} {f.side}"
                for f in outside) + ")"
        return line

    def slot_record(self, team_slot: TeamSlot) -> dict:
        slot = team_slot.slot
        start = slot.start.astimezone(self.zone)
        record: dict = {"start": start.isoformat(), "end": slot.end.astimezone(self.zone)
                        .isoformat(), "weekday": start.strftime("%A"),
                        "everyone_in_hours": team_slot.everyone_in_hours}
        if len(self.people) > 1:
            record["local_times"] = [_fit_record(f) for f in team_slot.fits]
        return record

    def zone_lines(self) -> list[str]:
        lines = []
        if self.several_zones:
            lines.append("Zones: " + ", ".join(
                f"{self.short[p.email]} {p.zone.key} ({p.zone_source})" for p in self.people))
        guessed = assumed(self.people)
        if guessed:
            lines.append(f"Zone unknown (not given, not in your calendar list), so yours "
                         f"({self.zone.key}) is assumed for: {', '.join(guessed)}; "
                         "attendee_time_zones sets it")
        return lines


def _fit_record(fit: Fit) -> dict:
    record: dict = {"email": fit.email, "time_zone": fit.zone.key,
                    "start": fit.start.isoformat(), "end": fit.end.isoformat(),
                    "in_hours": not fit.minutes_outside}
    if fit.minutes_outside:
        record["minutes_outside"] = fit.minutes_outside
        record["side"] = fit.side
    return record


def _zone_labels(keys: Sequence[str]) -> dict[str, str]:
    """``America/Los_Angeles`` → ``LA``, ``Europe/Berlin`` → ``Berlin``; the full key when
    two zones would share a label."""
    labels = {}
    for key in keys:
        words = key.rsplit("/", 1)[-1].split("_")
        labels[key] = "".join(w[0] for w in words).upper() if len(words) > 1 else words[0]
    shared = {label for label in labels.values() if list(labels.values()).count(label) > 1}
    return {key: key if label in shared else label for key, label in labels.items()}


def _short_names(people: Sequence[Person]) -> dict[str, str]:
    """The user is `you`; others by the part before @ when that is unambiguous."""
    locals_ = [p.email.split("@")[0] for p in people[1:]]
    names = {p.email: (p.email.split("@")[0] if locals_.count(p.email.split("@")[0]) == 1
                       else p.email) for p in people[1:]}
    if people:
        names[people[0].email] = "you"
    return names


def _local_clock(moment: datetime, day) -> str:
    shift = (moment.date() - day).days
    return f"{moment:%H:%M}" + (f"{shift:+d}" if shift else "")


def _span_words(minutes: int) -> str:
    if minutes < 60:
        return f"{minutes} min"
    return f"{minutes // 60}h{minutes % 60:02d}" if minutes % 60 else f"{minutes // 60}h"


def _stretches_until(search: TeamSearch, zone: ZoneInfo) -> list[Interval]:
    """The free stretches of the days the shown slots reach (all of them when none is more)."""
    if not search.slots or search.least_bad:
        return []
    last_day = search.slots[-1].slot.start.astimezone(zone).date()
    return [s for s in search.stretches if s.start.astimezone(zone).date() <= last_day]


def _by_day(stretches: Sequence[Interval], zone: ZoneInfo) -> list[list[Interval]]:
    days: dict = {}
    for stretch in stretches:
        days.setdefault(stretch.start.astimezone(zone).date(), []).append(
            Interval(stretch.start.astimezone(zone), stretch.end.astimezone(zone)))
    return list(days.values())


def _stretch_day(stretches: Sequence[Interval]) -> str:
    """`Tue 2027-03-30 12:00–14:00, 15:30–18:00 +02:00` (a stretch into another day or offset
    is written in full)."""
    first = stretches[0].start
    plain = all(s.start.date() == s.end.date() == first.date()
                and format_offset(s.start) == format_offset(s.end) == format_offset(first)
                for s in stretches)
    if not plain:
        return ", ".join(span_text(s.start, s.end) for s in stretches)
    times = ", ".join(f"{s.start:%H:%M}–{s.end:%H:%M}" for s in stretches)
    return f"{day_label(first.date())} {times} {format_offset(first)}"


def _stretch_record(stretch: Interval, zone: ZoneInfo) -> dict:
    return {"start": stretch.start.astimezone(zone).isoformat(),
            "end": stretch.end.astimezone(zone).isoformat(),
            "minutes": _whole_minutes(stretch.duration)}


def _holiday_record(holiday: Holiday, who: str, user: str) -> dict:
    record = {"date": holiday.day.isoformat(), "name": holiday.name}
    if who != user:
        record["who"] = who
    return record


def _holidays_note(holidays: Holidays | None, skipped: Mapping[str, Sequence[Holiday]],
                   view: _TeamView) -> str:
    if holidays is None or not (holidays.calendars or holidays.problems):
        return ""
    if holidays.problems:
        return "; public holidays not checked: " + "; ".join(holidays.problems)
    days = "; ".join(
        (f"{view.short[who]}: " if len(view.people) > 1 and who != view.people[0].email
         else "") + ", ".join(f"{WEEKDAYS[h.day.weekday()]} {h.day.isoformat()} {h.name}"
                              for h in found)
        for who, found in skipped.items()) or "none on these working days"
    return f"; public holidays skipped ({', '.join(holidays.calendars)}): {days}"


def _export_holds(export: Export) -> str:
    """What kind of events the file holds, so the user knows before sending it on."""
    parts = [f"{count} {TYPE_NAMES.get(kind, kind).replace('_', ' ')}"
             for kind, count in export.types.items() if kind != "default"]
    if export.series:
        parts.append(f"{export.series} recurring series with their rules")
    elif export.from_series:
        parts.append(f"{export.from_series} occurrences of recurring series, only those in the "
                     "window; keep_series=true writes whole series")
    return f" ({'; '.join(parts)})" if parts else ""


def _unknown_line(people: FreeBusy) -> str:
    """Google shows no busy time for them, so nothing of theirs could block a slot."""
    listed = "; ".join(f"{name}: {reason}" for name, reason in people.unknown.items())
    return (f"Availability unknown (Google shows no free/busy), so these slots are free for "
            f"the others only; confirm with them before booking: {listed}")


def _slots_headline(search: TeamSearch, rules: SlotRules, view: _TeamView) -> str:
    zone = rules.zone
    window = (f"{_short_time(search.start.astimezone(zone))} → "
              f"{_short_time(search.end.astimezone(zone))} ({zone.key})")
    setting = f"working hours {rules.hours} {days_label(rules.days)}"
    if view.several_zones:
        setting += " in each person's zone"
    if rules.buffer:
        setting += f", buffer {_whole_minutes(rules.buffer)} min"
    minutes = _whole_minutes(rules.duration)
    if search.least_bad:
        return (f"No {minutes}-min slot fits everyone's working hours {window}, {setting}. "
                f"The {len(search.slots)} least-bad, free for everyone (fewest minutes "
                "outside anyone's hours; who bears them rotates):")
    if not search.slots:
        return (f"No free {minutes}-min slot {window}, {setting}. Try a longer window, other "
                "working hours or days, or a shorter meeting.")
    return (f"{len(search.slots)} of {search.total} free {minutes}-min slots (earliest first), "
            f"{window}, {setting}:")


def _whole_minutes(span: timedelta) -> int:
    return int(span.total_seconds() // 60)


# Agent apps before langgenius/dify PR #36746 show no file card: the model only sees the
# file's /files/tools/ path appended after this text (see tests/dify_host/readers.py).
EXPORT_FILE_WHERE = (
    "The file is attached to this answer: a file card in chat apps that show one, else the "
    "/files/tools/ link after this line; workflows get it in the tool's `files` output."
)


def export_reply(export: Export, zone: ZoneInfo, file_name: str, content: bytes) -> Reply:
    start, end = export.time_min.astimezone(zone), export.time_max.astimezone(zone)
    window = f"{_short_time(start)} → {_short_time(end)} ({zone.key})"
    scope = ", ".join(export.calendar_ids)
    count = plural(export.occurrences, "event")
    text = [f"Exported {count}{_export_holds(export)} to {file_name}, {window}, calendars: "
            f"{scope}"]
    if export.left_out:
        text.append(f"Left out holiday calendars: {', '.join(export.left_out)} (name one in "
                    "calendar_ids to include it).")
    if export.truncated:
        text.append(f"Incomplete: the window holds more than {MAX_EXPORT_EVENTS} events; export "
                    "shorter windows to get the rest.")
    text.extend(f"Warning: {w}" for w in export.warnings)
    text.append(EXPORT_FILE_WHERE)
    data = {
        "file_name": file_name,
        "count": export.occurrences,
        "calendars": export.calendar_ids,
        "time_zone": zone.key,
        "time_min": start.isoformat(),
        "time_max": end.isoformat(),
    }
    if export.kept_series:
        data["series"] = export.series
    if export.truncated:
        data["truncated"] = True
    if export.warnings:
        data["warnings"] = export.warnings
    meta = {"mime_type": MIME_TYPE, "filename": file_name}
    return Reply("\n".join(text), data, files=[(content, meta)])


_WRITE_HEADLINES = {
    "created": "Created event.",
    "already_existed": "Event already existed — not created twice.",
    "updated": "Updated event.",
    "deleted": "Deleted event.",
    "already_deleted": "Event was already deleted.",
    "moved": "Moved event.",
    "unchanged": "Nothing changed.",
    "responded": "Response saved.",
}
MAX_CONFLICTS_SHOWN = 10


def write_reply(result: WriteResult) -> Reply:
    """The event as Google stored it, what happened, and overlaps (which never block)."""
    zone, event = result.zone, result.event
    gone = result.action in ("deleted", "already_deleted")
    body = (event_line(event, zone, calendar=event.calendar_id, standalone=True) if gone
            else event_detail(event, zone))
    headline = result.headline or _WRITE_HEADLINES.get(result.action, result.action)
    text = [headline, body, *result.notes]
    if result.conflicts:
        text.append(f"Overlaps with {plural(len(result.conflicts), 'other event')} on your "
                    "calendars (saved anyway):")
        text.extend(event_line(e, zone, standalone=True,
                               calendar=e.calendar_id if e.calendar_id != event.calendar_id
                               else None)
                    for e in result.conflicts[:MAX_CONFLICTS_SHOWN])
    data = {
        "action": result.action,
        "event_id": event.id,
        "calendar_id": event.calendar_id,
        "html_link": event.html_link,
        "event": event_record(event, zone, detailed=not gone),
        "conflicts": [event_record(e, zone) for e in result.conflicts],
        "send_updates": result.send_updates,
        "notes": result.notes,
        **result.data,
    }
    return Reply("\n".join(text), {k: v for k, v in data.items() if v not in (None, [])})


MAX_IMPORT_LINES = 60


def import_reply(result: ImportResult) -> Reply:
    """Counts first, then one line per event (imported, updated, unchanged, skipped)."""
    counts = {action: len(result.of(action)) for action in IMPORT_ACTIONS}
    name, calendar_id = result.calendar.summary, result.calendar.id
    calendar = f'"{name}"' if name == calendar_id else f'"{name}" ({calendar_id})'
    verb = "Would import" if result.dry_run else "Imported"
    text = [f"{verb} {counts['imported']}, update {counts['updated']}, leave "
            f"{counts['unchanged']} unchanged, skip {counts['skipped']} — {calendar}."
            if result.dry_run else
            f"{verb} {counts['imported']}, updated {counts['updated']}, unchanged "
            f"{counts['unchanged']}, skipped {counts['skipped']} — {calendar}."]
    if result.dry_run:
        text.append("Dry run: nothing was written.")
    elif result.method == "CANCEL":
        text.append(f"Cancellation file: matching events deleted (send_updates="
                    f"{result.send_updates}).")
    elif counts["imported"] or counts["updated"]:
        text.append("Imported copies send no e-mail to guests.")
    shown = result.outcomes[:MAX_IMPORT_LINES]
    text.extend(_import_line(o, result.zone) for o in shown)
    if len(result.outcomes) > len(shown):
        text.append(f"… {len(result.outcomes) - len(shown)} more in the outputs.")
    data = {action: [_import_record(o, result.zone) for o in result.of(action)]
            for action in IMPORT_ACTIONS}
    data.update(calendar_id=result.calendar.id, dry_run=result.dry_run,
                method=result.method or "")
    return Reply("\n".join(text), data)


def _import_when(outcome: Outcome, zone: ZoneInfo) -> str:
    start, end = event_time_from_api(outcome.start), event_time_from_api(outcome.end)
    if start.day is not None:
        last = inclusive_end_day(start, end)
        days = start.day.isoformat() + (f" – {last.isoformat()}" if last and last != start.day
                                        else "")
        return f"{days} all-day"
    if start.instant is None or end.instant is None:
        return ""
    return span_text(start.instant.astimezone(zone), end.instant.astimezone(zone))


def _import_line(outcome: Outcome, zone: ZoneInfo) -> str:
    parts = [f"{outcome.action}: {outcome.summary}"]
    when = _import_when(outcome, zone) if outcome.start else ""
    if when:
        parts.append(("series from " if outcome.recurring else "") + when)
    if outcome.reason:
        parts.append(outcome.reason)
    if outcome.event_id:
        parts.append(f"id {outcome.event_id}")
    return " · ".join(parts)


def _import_record(outcome: Outcome, zone: ZoneInfo) -> dict:
    record = {
        "event_id": outcome.event_id,
        "ical_uid": outcome.uid,
        "summary": outcome.summary,
        "start": time_value(event_time_from_api(outcome.start), zone) if outcome.start else None,
        "recurring": outcome.recurring or None,
        "original_start": outcome.original_start,
        "change": "cancelled" if outcome.action == "cancelled" else None,
        "html_link": outcome.html_link,
        "reason": outcome.reason,
    }
    return {key: value for key, value in record.items() if value is not None}
