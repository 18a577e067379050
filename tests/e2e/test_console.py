"""The demo console (`scripts/dev` without .env runs scripts/console.py): the real command,
fed a newcomer's typical mistakes on stdin. It must answer each one and keep going."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import time
from datetime import date, timedelta
from pathlib import Path

from tests.plugin_process import REPO_ROOT, default_python

CONSOLE = Path(REPO_ROOT) / "scripts" / "console.py"
EVENT_ID = re.compile(r"\[([a-v0-9_]{5,})\]")


def _console(*args: str, stdin: str = "", timeout: float = 120,
             env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([default_python(), str(CONSOLE), *args], input=stdin,
                          capture_output=True, text=True, timeout=timeout, cwd=REPO_ROOT,
                          env={**os.environ, **(env or {})})


def _git_status() -> str:
    return subprocess.run(["git", "status", "--porcelain", "--untracked-files=all"],
                          capture_output=True, text=True, cwd=REPO_ROOT, check=True).stdout


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


def test_save_and_import_stay_outside_the_checkout(tmp_path: Path) -> None:
    """Issue 27: the demo's `save` wrote into the repository, which the packager then shipped;
    `file=@path` passes a local file as Dify passes a file variable."""
    before = _git_status()
    demo_dir = tmp_path / "demo"
    sample = Path(REPO_ROOT) / "tests" / "ics_samples" / "apple.ics"
    session = _console(stdin="\n".join([
        "call export_events_ics time_min=today time_max=tomorrow",
        "save",
        f"call import_events_ics file=@{sample} dry_run=true",
        "call import_events_ics file=@/no/such/file.ics",
        "list_events time_max=tomorrow",
        "quit",
    ]) + "\n", env={"GCAL_DEMO_DIR": str(demo_dir)})
    out = session.stdout
    assert "Traceback" not in out + session.stderr
    saved = list(demo_dir.glob("*.ics"))
    assert len(saved) == 1 and saved[0].read_bytes().startswith(b"BEGIN:VCALENDAR")
    assert f"to {saved[0]}" in out
    imported = out.split("gcal> call import_events_ics file=@", 1)[1].split("gcal> ", 1)[0]
    assert "ERROR" not in imported and "[variable]" in imported, imported
    assert "not called: cannot read /no/such/file.ics" in out
    assert "list_events is a tool: type `call list_events time_max=tomorrow`" in out
    assert _git_status() == before


def test_a_hangup_stops_the_emulator(tmp_path: Path) -> None:
    console = subprocess.Popen([default_python(), str(CONSOLE)], stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               cwd=REPO_ROOT)
    try:
        line = console.stderr.readline()
        while "emulator: http://" not in line:
            assert line, "the console did not start"
            line = console.stderr.readline()
        host, port = line.split("http://", 1)[1].split()[0].rsplit(":", 1)
        console.stderr.readline()  # "plugin: pid …": both children are up
        console.send_signal(signal.SIGHUP)
        console.wait(timeout=60)
    finally:
        if console.poll() is None:
            console.kill()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            socket.create_connection((host, int(port)), timeout=1).close()
        except OSError:
            return  # nobody listens: the emulator is gone
        time.sleep(0.2)
    raise AssertionError("the emulator still runs after the console got SIGHUP")
