"""The demo console (`scripts/dev` without .env runs scripts/console.py): the real command,
fed a newcomer's typical mistakes on stdin. It must answer each one and keep going."""

from __future__ import annotations

import re
import subprocess
from datetime import date, timedelta
from pathlib import Path

from tests.plugin_process import REPO_ROOT, default_python

CONSOLE = Path(REPO_ROOT) / "scripts" / "console.py"
EVENT_ID = re.compile(r"\[([a-v0-9_]{5,})\]")


def _console(*args: str, stdin: str = "", timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([default_python(), str(CONSOLE), *args], input=stdin,
                          capture_output=True, text=True, timeout=timeout, cwd=REPO_ROOT)


def test_console_survives_bad_input_and_saves_the_export(tmp_path: Path) -> None:
    ics = tmp_path / "week.ics"
    week = f"time_max={date.today() + timedelta(days=7)}"
    session = _console(stdin="\n".join([
        "call list_events max_results=many",
        "frobnicate",
        "call no_such_tool",
        "clear",
        "help get_event",
        "save",
        f"call list_events {week}",
        "show",
        "call export_events_ics time_min=today time_max=tomorrow",
        f"save {ics}",
        "show time_zone",
        'call list_events query="unclosed',
        "quit",
    ]) + "\n")
    out = session.stdout
    assert session.returncode == 0, session.stdout + session.stderr
    assert "Traceback" not in out + session.stderr
    assert "not called: max_results expects a number, got 'many'" in out
    assert "unknown command 'frobnicate'" in out
    assert "unknown tool 'no_such_tool'; tools: get_current_time" in out
    assert "\033[2J" in out  # clear
    help_block = out.split("gcal> help get_event\n", 1)[1].split("gcal> ", 1)[0]
    assert help_block.startswith("get_event — ")
    assert "event_id (string, required)" in help_block
    assert "list_events" not in help_block.splitlines()[0]
    assert " — " not in "".join(help_block.splitlines()[1:]), "help TOOL showed other tools"
    assert "nothing to save yet" in out
    assert "usage: show NAME (variables of the last call: " in out
    assert ics.read_bytes().startswith(b"BEGIN:VCALENDAR")
    assert f"to {ics}" in out
    assert 'time_zone = "Europe/Berlin"' in out
    assert "cannot parse" in out
    variable_lines = [line for line in out.splitlines() if line.startswith("[variable]")]
    assert variable_lines and max(map(len, variable_lines)) < 300, "variables not compact"
    assert any("` for all)" in line for line in variable_lines), "nothing was truncated"

    # Demo data is seeded with fixed ids: a restarted console lists the same event ids.
    first_ids = EVENT_ID.findall(out.split(f"gcal> call list_events {week}", 1)[1]
                                 .split("gcal> ", 1)[0])
    again = _console("--call", "list_events", week)
    assert again.returncode == 0, again.stderr
    assert first_ids and EVENT_ID.findall(again.stdout) == first_ids
