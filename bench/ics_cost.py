"""``python -m bench.ics_cost``: the CPU an ICS export spends writing the file, in-process.

Gathers the benchmark's 50-event export window once from the emulator (no latency), then
times ``calendar_bytes`` alone (``file``), building the VEVENTs (``build``) and serialising
them (``serialise``, mostly icalendar's content lines and line folding). ``first file`` is
one file with the VTIMEZONE cache empty, as after a restart.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime

from bench.world import build_world
from gcal.events.selection import event_selection
from gcal.google.client import client_from_credentials
from gcal.ics import writing as ics
from gcal.ics.export import Export, gather_export
from tests.emulator import GoogleEmulator

STAMP = datetime(2026, 1, 1, tzinfo=UTC)


def median_ms(action: Callable[[], object], reps: int) -> float:
    samples = []
    for _ in range(reps):
        began = time.perf_counter()
        action()
        samples.append((time.perf_counter() - began) * 1000)
    return statistics.median(samples)


def bench_export() -> tuple[Export, object]:
    with GoogleEmulator(latency=0.0) as emu:
        os.environ["GOOGLE_CALENDAR_EMULATOR_HOST"] = emu.host
        world = build_world(emu)
        client = client_from_credentials(world.oauth_credentials(), "oauth2")
        start, end = world.listing_window
        selection = event_selection(
            client, {"time_min": start, "time_max": end, "calendar_ids": "primary"})
        return gather_export(client, selection), selection.zone


def main(reps: int = 60) -> None:
    export, zone = bench_export()
    ical = ics._icalendar()

    def write() -> bytes:
        return ics.calendar_bytes(export.events, zone=zone, removed=export.removed,
                                  name=export.label, stamp=STAMP)

    def build() -> object:
        calendar = ical.Calendar()
        for event in export.events:
            calendar.add_component(ics._vevent(event, zone, ics._time(STAMP), ()))
        return calendar

    built = build()
    print(f"{len(export.events)} events, {len(write())} bytes")
    for label, action in (("file", write), ("build", build), ("serialise", built.to_ical)):
        print(f"{label:>10}: {median_ms(action, reps):6.2f} ms (median of {reps})")


if __name__ == "__main__":
    main(*(int(arg) for arg in sys.argv[1:2]))
