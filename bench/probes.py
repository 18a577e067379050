"""The measurements: each drives real plugin processes and returns plain dicts for the report."""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from bench import measure
from bench.scenarios import COLD_EXTRA, Scenario, calls_for_memory
from bench.world import USER, World
from tests.emulator import server as emulator_server
from tests.plugin_process import PluginInvokeError, PluginProcess, PluginProcessError

BARE_DIR = str(Path(__file__).resolve().parent / "bare_plugin")
LIST_PATH = "/calendar/v3/users/me/calendarList"
CALL_ERRORS = (PluginInvokeError, PluginProcessError)


class GoogleTime:
    """The emulator's own time per request beyond its simulated latency (parsing, state,
    rendering, JSON, gzip): in reality part of Google's round trip, not of the plugin's.

    Also gives the emulator a listen backlog like a real server's: the standard library's
    default of 5 drops connection attempts (1 s SYN retry) under 200 concurrent calls.
    """

    def __init__(self, emu: Any) -> None:
        self.spans: list[tuple[float, float]] = []  # (arrival wall time, extra seconds)
        handler, original = emulator_server._Handler, emulator_server._Handler._handle
        spans = self.spans

        def timed(self_: Any, verb: str) -> None:
            began = time.time()
            try:
                original(self_, verb)
            finally:
                spans.append((began, time.time() - began - emu.latency))

        handler._handle = timed  # type: ignore[method-assign]
        emulator_server.ThreadingHTTPServer.request_queue_size = 1024

    def on_path(self, since: int, latency: float) -> float:
        """Emulator time on the critical path of the calls after span `since`: the slowest
        request of each round."""
        return sum(max(group) for group in measure.rounds(self.spans[since:], latency))


def start_ours(emu: Any) -> PluginProcess:
    return PluginProcess(emulator_host=emu.host)


def start_bare() -> PluginProcess:
    return PluginProcess(emulator_host=None, cwd=BARE_DIR)


def call_bare(plugin: PluginProcess) -> Any:
    return plugin.invoke_tool("echo", {"text": "ok"}, {}, provider="bare",
                              credential_type="api-key")


class Caller:
    """Invokes tools with one credential of the right type."""

    def __init__(self, plugin: PluginProcess, world: World, credential: str = "oauth2"):
        self.plugin = plugin
        self.kind = credential
        self.credentials = (world.manual_credentials() if credential == "manual"
                            else world.oauth_credentials())

    def __call__(self, tool: str, params: dict[str, Any]) -> Any:
        return self.plugin.invoke_tool(tool, params, self.credentials,
                                       credential_type="api-key" if self.kind == "manual"
                                       else "oauth2")


# --------------------------------------------------------------------------- start-up, memory
def cold_start(emu: Any, reps: int) -> dict[str, Any]:
    """Process start → first tool result, ours and bare alternately (first pair discarded).

    Our first call is get_current_time with an explicit zone: no Google request, so both
    sides measure interpreter, SDK and plugin start-up plus one protocol round trip.
    """
    creds = {"access_token": "cold-start-no-request"}
    samples: dict[str, list[float]] = {"ours": [], "bare": []}
    for rep in range(reps + 1):
        for side in ("bare", "ours"):
            began = time.perf_counter()
            plugin = start_ours(emu) if side == "ours" else start_bare()
            try:
                if side == "ours":
                    plugin.invoke_tool("get_current_time", {"time_zone": "UTC"}, creds)
                else:
                    call_bare(plugin)
                elapsed = time.perf_counter() - began
            finally:
                plugin.close()
            if rep:
                samples[side].append(elapsed)
    return {side: {"median_s": measure.median(v), "samples_s": v}
            for side, v in samples.items()}


def memory_after_calls(emu: Any, world: World, calls: int) -> dict[str, Any]:
    """RSS of a fresh process after `calls` tool calls: ours (a read mix) and bare (echo)."""
    out: dict[str, Any] = {"calls": calls}
    mix = calls_for_memory(world)
    with start_ours(emu) as plugin:
        caller = Caller(plugin, world)
        for number in range(calls):
            caller(*mix[number % len(mix)])
        out["ours"] = measure.memory_kib(plugin.pid)
    with start_bare() as plugin:
        for _ in range(calls):
            call_bare(plugin)
        out["bare"] = measure.memory_kib(plugin.pid)
        out["bare_call_ms"] = _bare_call_ms(plugin)
    return out


def _bare_call_ms(plugin: PluginProcess, reps: int = 30) -> float:
    """The SDK's own protocol floor: one trivial call through stdio, no network."""
    times = []
    for _ in range(reps):
        began = time.perf_counter()
        call_bare(plugin)
        times.append(time.perf_counter() - began)
    return measure.median(times) * 1000


# --------------------------------------------------------------------------- per tool
def run_scenario(plugin: PluginProcess, emu: Any, google: GoogleTime, world: World,
                 scenario: Scenario, reps: int) -> dict[str, Any]:
    """Warm-up call (fresh credential), then `reps` timed calls with their requests."""
    caller = Caller(plugin, world, scenario.credential)
    row: dict[str, Any] = {"tool": scenario.tool, "scenario": scenario.name,
                           "unavoidable_rounds": scenario.rounds,
                           "unavoidable_requests": scenario.expected_requests,
                           "why": scenario.why, "credential": scenario.credential}
    first = _timed(caller, emu, google, scenario.tool, scenario.params(world, 0))
    row["first_call"] = {"requests": len(first["requests"]), "paths": first["requests"],
                         "allowed": scenario.expected_requests + COLD_EXTRA[caller.kind]
                                    + scenario.cold_lookups}
    calls = [_timed(caller, emu, google, scenario.tool, scenario.params(world, rep))
             for rep in range(1, reps + 1)]
    seconds = [c["seconds"] for c in calls]
    ours = [c["seconds"] - c["google_seconds"] for c in calls]
    row.update(
        requests=max(len(c["requests"]) for c in calls),
        rounds=max(c["rounds"] for c in calls),
        paths=calls[-1]["requests"],
        median_ms=measure.median(seconds) * 1000,
        p95_ms=measure.percentile(seconds, 0.95) * 1000,
        google_ms=measure.median([c["google_seconds"] for c in calls]) * 1000,
        net_median_ms=measure.median(ours) * 1000,
        net_p95_ms=measure.percentile(ours, 0.95) * 1000,
        samples_ms=[round(s * 1000, 2) for s in seconds],
        agent_view_tokens=measure.tokens(calls[-1]["result"].agent_view),
        _auth=set().union(first["auth"], *(c["auth"] for c in calls)),  # popped before saving
    )
    return row


def _timed(caller: Caller, emu: Any, google: GoogleTime, tool: str,
           params: dict[str, Any]) -> dict[str, Any]:
    seen, spans = len(emu.requests), len(google.spans)
    began = time.perf_counter()
    result = caller(tool, params)
    seconds = time.perf_counter() - began
    # HTTP round trips: the calls inside one /batch request travel together
    made = [r for r in emu.requests[seen:] if not r.batch_part]
    return {"seconds": seconds, "result": result,
            "auth": {r.headers.get("Authorization") or "" for r in made},
            "requests": [f"{r.method} {r.path}" for r in made],
            "rounds": len(measure.rounds([(r.time, 0.0) for r in made], emu.latency)),
            "google_seconds": google.on_path(spans, emu.latency)}


def zone_lookups(emu: Any, exclude: set[str]) -> dict[str, int]:
    """Calendar-list fetches (names, access roles and the user's zone) per access token over
    everything recorded so far; `exclude` holds the Authorization headers of list_calendars,
    which asks afresh on purpose."""
    counts: dict[str, int] = {}
    for request in emu.requests:
        token = request.headers.get("Authorization") or ""
        if request.method == "GET" and request.path == LIST_PATH and token not in exclude:
            counts[token] = counts.get(token, 0) + 1
    return counts


# --------------------------------------------------------------------------- tokens
def listed_tokens(plugin: PluginProcess, world: World, count: int,
                  calendars: str = "primary") -> dict[str, Any]:
    """Tokens of a listing; with `all`, per event of the primary calendar's events shown and
    of every line listed (the other calendars' events count as events too)."""
    start, end = world.listing_window
    result = Caller(plugin, world)("list_events", {"time_min": start, "time_max": end,
                                                   "max_results": count,
                                                   "calendar_ids": calendars})
    text = result.agent_view
    shown = [e for e in world.listed if e["id"] in text]
    checks = [measure.key_field_gaps(text, e, ("primary", USER), world.zone, USER) for e in shown]
    label = (f"list_events, {count} events" if calendars == "primary"
             else f"list_events {calendars} calendars, {count} events")
    listed = len(result.variables.get("events") or [])
    return _token_row(label, text, listed, count, checks)


def created_tokens(plugin: PluginProcess, emu: Any, world: World) -> dict[str, Any]:
    before = {e["id"] for e in emu.stored_events(USER)}
    start, end = world.fresh_slot()
    result = Caller(plugin, world)("create_event", {
        "summary": "Quarterly planning", "start": start, "end": end,
        "location": "Room 4.12", "add_google_meet": True,
        "attendees": "anna@example.com, ben@example.com"})
    created = [e for e in emu.stored_events(USER) if e["id"] not in before]
    text = result.agent_view
    # One event in detail: its whole text is "its line".
    checks = [measure.key_field_gaps(text.replace("\n", " | "), e, ("primary", USER),
                                     world.zone, USER) for e in created]
    return _token_row("create_event, 1 event", text, len(created), 1, checks)


def _token_row(label: str, text: str, shown: int, wanted: int,
               checks: list[dict[str, bool]]) -> dict[str, Any]:
    missing = sorted({name for check in checks for name, ok in check.items() if not ok})
    counts = {enc: measure.tokens(text, enc) for enc in measure.ENCODINGS}
    return {"label": label, "events": shown, "expected_events": wanted,
            "tokens": counts, "per_event": {k: v / max(shown, 1) for k, v in counts.items()},
            "missing_fields": missing, "fields_checked": list(measure.KEY_FIELDS),
            "agent_view": text}


# --------------------------------------------------------------------------- throughput
def throughput(plugin: PluginProcess, world: World, calls: int) -> dict[str, Any]:
    """`calls` tool calls submitted at once against one plugin process."""
    caller = Caller(plugin, world)
    caller("get_current_time", {})  # warm the zone cache: the load test measures steady state
    mix = calls_for_memory(world)
    errors: list[str] = []
    latencies: list[float] = []

    def one(number: int) -> None:
        began = time.perf_counter()
        try:
            caller(*mix[number % len(mix)])
        except CALL_ERRORS as exc:
            errors.append(str(exc)[:200])
        latencies.append(time.perf_counter() - began)

    began = time.perf_counter()
    with ThreadPoolExecutor(max_workers=calls) as pool:
        list(pool.map(one, range(calls)))
    wall = time.perf_counter() - began
    return {"calls": calls, "concurrency": calls, "errors": len(errors),
            "error_samples": errors[:5], "wall_s": wall, "calls_per_s": calls / wall,
            "median_ms": measure.median(latencies) * 1000,
            "p95_ms": measure.percentile(latencies, 0.95) * 1000,
            "plugin_alive": plugin.alive}


def guarded(step: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """Run one measurement; a tool error becomes an ``error`` entry (and a FAIL) instead."""
    try:
        return step()
    except CALL_ERRORS as exc:
        return {"error": f"{type(exc).__name__}: {str(exc)[:500]}"}
