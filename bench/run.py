"""``scripts/bench``: run every measurement in one go, check the targets, write the results.

Exit status 0 when every target is met, 1 with one ``FAIL`` line per missed target.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path
from typing import Any

import yaml

from bench import probes, report
from bench.scenarios import SCENARIOS
from bench.world import build_world
from tests.emulator import GoogleEmulator
from tests.plugin_process import REPO_ROOT

HERE = Path(__file__).resolve().parent


def declared_tools() -> list[str]:
    provider = yaml.safe_load(Path(REPO_ROOT, "provider", "google_calendar.yaml").read_text())
    return [Path(entry).stem for entry in provider.get("tools") or []]


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="scripts/bench", description=__doc__)
    parser.add_argument("--reps", type=int, default=15, help="timed calls per scenario")
    parser.add_argument("--cold-reps", type=int, default=5, help="process starts per side")
    parser.add_argument("--latency-ms", type=float, default=50.0,
                        help="emulator latency per request")
    parser.add_argument("--memory-calls", type=int, default=100)
    parser.add_argument("--concurrent", type=int, default=200)
    parser.add_argument("--json", default=str(HERE / "results.json"))
    parser.add_argument("--markdown", default=str(HERE / "RESULTS.md"))
    return parser.parse_args(argv)


def measure_all(args: argparse.Namespace) -> dict[str, Any]:
    latency = args.latency_ms / 1000
    declared = declared_tools()
    results: dict[str, Any] = {
        "command": "scripts/bench " + " ".join(sys.argv[1:]) if sys.argv[1:] else "scripts/bench",
        "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                    "platform": platform.platform()},
        "settings": {"reps": args.reps, "cold_reps": args.cold_reps,
                     "latency_ms": args.latency_ms, "memory_calls": args.memory_calls,
                     "concurrent": args.concurrent},
        "declared_tools": declared,
    }
    emu = GoogleEmulator(latency=0.0)
    google = probes.GoogleTime(emu)  # before start: it also sets the listen backlog
    with emu:
        world = build_world(emu)
        results["cold_start"] = probes.guarded(lambda: probes.cold_start(emu, args.cold_reps))
        emu.latency = latency
        results["memory"] = probes.guarded(
            lambda: probes.memory_after_calls(emu, world, args.memory_calls))
        with probes.start_ours(emu) as plugin:
            emu.clear_requests()
            results["tools"] = [
                {"scenario": s.name, "tool": s.tool, "skipped": "not declared in the provider"}
                if s.tool not in declared
                else {"scenario": s.name, "tool": s.tool,
                      **probes.guarded(lambda s=s: probes.run_scenario(plugin, emu, google, world,
                                                                       s, args.reps))}
                for s in SCENARIOS
            ]
            refreshing: set[str] = set()
            for row in results["tools"]:
                auth = row.pop("_auth", set())
                if row["tool"] == "list_calendars":
                    refreshing |= auth
            results["zone_lookups_per_credential"] = sorted(
                probes.zone_lookups(emu, refreshing).values())
            results["tokens"] = [
                probes.guarded(lambda n=n: probes.listed_tokens(plugin, world, n))
                for n in (10, 50)
            ] + [probes.guarded(lambda: probes.listed_tokens(plugin, world, 50, "all"))]
            if "create_event" in declared:
                results["tokens"].append(
                    probes.guarded(lambda: probes.created_tokens(plugin, emu, world)))
            results["throughput"] = probes.guarded(
                lambda: probes.throughput(plugin, world, args.concurrent))
            results["plugin_stderr_tail"] = plugin.stderr_text[-2000:]
    return results


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    results = measure_all(args)
    failures = report.check(results)
    results["failures"] = failures
    markdown = report.markdown(results)
    Path(args.json).write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    Path(args.markdown).write_text(markdown)
    print(markdown)
    for failure in failures:
        print(f"FAIL: {failure}")
    print(f"bench: {'FAILED' if failures else 'OK'} ({len(failures)} targets missed); "
          f"results in {args.json} and {args.markdown}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
