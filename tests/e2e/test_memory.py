"""The manifest's `resource.memory` is what the plugin really needs, with margin.

Dify uses the figure to size the plugin's runtime (on SaaS, the serverless function). Measured
here: the peak resident set (VmHWM from /proc/PID/status) of a fresh plugin process after a
burst of parallel calls of the heaviest tools — listings, an .ics export and a free-slot search
over a calendar with a dense recurring schedule — run through the Dify stdio protocol.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from pathlib import Path

import pytest
import yaml

from tests.conftest import ALICE
from tests.plugin_process import REPO_ROOT

# The declared memory must leave at least this factor over the measured peak (spikes from
# larger Google answers, another SDK version, allocator fragmentation over a long life).
MARGIN = 1.5
PARALLEL = 24


def _peak_rss_bytes(pid: int) -> int:
    status = Path(f"/proc/{pid}/status")
    if not status.exists():
        pytest.skip("needs /proc to read the plugin's peak memory")
    for line in status.read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    pytest.skip("/proc/PID/status has no VmHWM")


def _seed_busy_calendar(emu, first_day: date) -> None:
    for hour in range(8, 18):
        emu.add_event(ALICE, {
            "summary": f"Recurring block {hour}:00",
            "description": "Notes " * 200,
            "start": {"dateTime": f"{first_day}T{hour:02d}:00:00", "timeZone": "Europe/Berlin"},
            "end": {"dateTime": f"{first_day}T{hour:02d}:45:00", "timeZone": "Europe/Berlin"},
            "recurrence": ["RRULE:FREQ=DAILY;COUNT=120"],
            "attendees": [{"email": f"guest{i}@example.com"} for i in range(10)],
        }, propagate=False)


def test_declared_memory_covers_peak_rss_under_load(plugin_factory, emu, oauth_creds):
    manifest = yaml.safe_load((Path(REPO_ROOT) / "manifest.yaml").read_text())
    declared = int(manifest["resource"]["memory"])
    first_day = emu.now().date() + timedelta(days=1)
    _seed_busy_calendar(emu, first_day)
    plugin = plugin_factory()
    window = {"time_min": first_day.isoformat(),
              "time_max": (first_day + timedelta(days=118)).isoformat()}
    calls = [
        ("list_events", {**window, "max_results": 250}),
        ("export_events_ics", window),
        ("find_free_slots", {"duration_minutes": 30, **window}),
    ]
    with ThreadPoolExecutor(max_workers=PARALLEL) as pool:
        results = list(pool.map(
            lambda i: plugin.invoke_tool(calls[i % 3][0], calls[i % 3][1], oauth_creds),
            range(PARALLEL),
        ))
    assert all(r.messages for r in results)
    peak = _peak_rss_bytes(plugin.pid)
    print(f"plugin peak RSS {peak / 2**20:.0f} MiB; declared {declared / 2**20:.0f} MiB")
    assert peak * MARGIN <= declared, (
        f"peak RSS {peak / 2**20:.0f} MiB x {MARGIN} exceeds the declared "
        f"{declared / 2**20:.0f} MiB in manifest.yaml resource.memory"
    )
    # Not wildly oversized either: more than 4x the peak would reserve memory for nothing.
    assert declared <= 4 * peak, f"declared {declared / 2**20:.0f} MiB is >4x the peak"
