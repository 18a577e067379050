#!/usr/bin/env python3
"""Do the tests catch what they name? Apply small, plausible code changes one by one and run
the tests that should fail.

Each mutation in MUTATIONS replaces one exact piece of text in one file of a temporary copy of
the working tree (tracked and untracked files, the real `.venv` linked in), runs its tests
there, and counts as *caught* when they fail. The copy is restored before the next mutation,
so the working tree is never touched. A mutation whose text is no longer in the file is
reported as *stale*: update it when the code it targets changes. Not run in CI (a few
minutes); see docs/testing.md for when to run it.

Usage: scripts/mutations.py [-k SUBSTRING] [--list]      (exit 1 when any is not caught)
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Mutation:
    name: str
    path: str
    old: str
    new: str
    tests: tuple[str, ...]


LOGS = "tests/unit/test_logs.py::test_redact_masks_opaque_values_by_their_key"
SCHEMA = ("tests/unit/test_schema_size.py::"
          "test_the_printed_total_is_the_exact_sum_of_what_dify_sends")
OAUTH = "tests/unit/google/test_oauth.py"
FILES = "tests/unit/ics/test_files.py"
KEYED = "tests/e2e/test_write_correctness.py"

MUTATIONS = (
    Mutation("redaction forgets access_token", "gcal/logs.py",
             "(?:access_token|refresh_token|", "(?:refresh_token|", (LOGS,)),
    Mutation("redaction forgets refresh_token", "gcal/logs.py",
             "access_token|refresh_token|id_token", "access_token|id_token", (LOGS,)),
    Mutation("redaction forgets client_secret", "gcal/logs.py",
             "code_verifier|client_secret|state", "code_verifier|state", (LOGS,)),
    Mutation("schema total counts only the largest tool", "scripts/schema_size.py",
             "total = sum(sizes.values())", "total = max(sizes.values())", (SCHEMA,)),
    Mutation("schema counted as compact JSON", "scripts/schema_size.py",
             'len(json.dumps(tool, ensure_ascii=False))',
             'len(json.dumps(tool, ensure_ascii=False, separators=(",", ":")))', (SCHEMA,)),
    Mutation("schema skips the last tool", "scripts/schema_size.py",
             "for tool in function_schema(root)}", "for tool in function_schema(root)[:-1]}",
             (SCHEMA,)),
    Mutation("state no longer bound to the redirect_uri", "gcal/google/oauth.py",
             'f"{client.client_id}|{redirect_uri}|{timestamp}|{nonce}"',
             'f"{client.client_id}|{timestamp}|{nonce}"', (OAUTH,)),
    Mutation("callback error shown before the state is checked", "gcal/google/oauth.py",
             "    verify_state(client, state, redirect_uri, now=now)\n"
             "    _raise_for_callback_error(callback_params)\n",
             "    _raise_for_callback_error(callback_params)\n"
             "    verify_state(client, state, redirect_uri, now=now)\n", (OAUTH,)),
    Mutation("state lives 15 minutes", "gcal/google/oauth.py",
             "STATE_MAX_AGE = 300", "STATE_MAX_AGE = 900", (OAUTH,)),
    Mutation("include_granted_scopes back", "gcal/google/oauth.py",
             '        "prompt": "consent",\n',
             '        "prompt": "consent",\n        "include_granted_scopes": "true",\n',
             ("tests/e2e/test_oauth_hooks.py::"
              "test_the_connection_carries_only_the_plugins_scopes",)),
    Mutation("refused exchange keeps its tokens", "gcal/google/oauth.py",
             "        revoke(tokens, session=session)\n", "", (OAUTH,)),
    Mutation("refresh lock kept after the refresh", "gcal/google/oauth.py",
             "                    del self._locks[key]", "                    pass", (OAUTH,)),
    Mutation("token cache unbounded", "gcal/google/oauth.py",
             "ExpiringLRU(max_items, _TOKEN_LIFETIME)",
             "ExpiringLRU(10**9, _TOKEN_LIFETIME)", (OAUTH,)),
    Mutation("redirects to another origin followed", "gcal/ics/files.py",
             "if not current.same_origin(following):", "if False:", (FILES,)),
    Mutation("link-local and metadata addresses allowed", "gcal/ics/files.py",
             '        return "a link-local or cloud metadata address"', "        return None",
             (FILES,)),
    Mutation("plain links may reach private addresses", "gcal/ics/files.py",
             'return None if dify_link else "a private or loopback address"', "return None",
             (FILES,)),
    Mutation("metadata host names not refused", "gcal/ics/files.py",
             "if target.host in _METADATA_HOSTS:", "if False:", (FILES,)),
    Mutation("no whole-download deadline", "gcal/ics/files.py",
             "self.ends = time.monotonic() + deadline", "self.ends = time.monotonic() + 3600",
             (FILES,)),
    Mutation("compressed answers asked for", "gcal/ics/files.py",
             '"Accept-Encoding": "identity"', '"Accept-Encoding": "gzip"', (FILES,)),
    Mutation("plain-link failures name the status", "gcal/ics/files.py",
             "if not self.first.dify_link:  # say nothing", "if False:  # say nothing",
             (FILES,)),
    Mutation("keyed hit accepted from anyone", "gcal/events/writes.py",
             "if not (mine and same):", "if not same:", (KEYED + "::test_a_keyed_create_is_"
                                                        "not_pre_empted_by_someone_elses_event",)),
    Mutation("keyed hit accepted whatever it holds", "gcal/events/writes.py",
             "if not (mine and same):", "if not mine:", (KEYED + "::test_a_key_reused_for_"
                                                        "another_event_reports_the_clash",)),
    Mutation("keyed id taken in a race accepted", "gcal/events/writes.py",
             'if idempotency_key and item.get("start"):', "if False:",
             (KEYED + "::test_a_keyed_create_that_loses_the_race_for_its_id_reports_the_clash",)),
    Mutation("a tool dropped from the provider", "provider/google_calendar.yaml",
             "  - tools/import_events_ics.yaml\n", "",
             ("tests/e2e/test_faults.py::test_import_with_lost_answer_imports_each_event_once",)),
    Mutation("loopback guard lets everything through", "tests/conftest.py",
             "allowed = ipaddress.ip_address(host).is_loopback", "allowed = True",
             ("tests/unit/test_network_guard.py",)),
    Mutation("outdated cancellation applied (SEQUENCE >=)", "gcal/ics/importing.py",
             "newer = item.sequence > stored_sequence", "newer = item.sequence >= stored_sequence",
             ("tests/e2e/test_import_ics.py",)),
    Mutation("outdated cancellation guard removed", "gcal/ics/importing.py",
             "if existing is not None and not newer:", "if False:",
             ("tests/e2e/test_import_ics.py",)),
    Mutation("import overwrites without reading first", "gcal/ics/importing.py",
             "        if not newer:\n            step.outcome.action = \"unchanged\"",
             "        if False:\n            step.outcome.action = \"unchanged\"",
             ("tests/e2e/test_import_ics.py",)),
    Mutation("a file's rule finer than daily accepted", "gcal/ics/reading.py",
             'if frequency in ("HOURLY", "MINUTELY", "SECONDLY"):', "if False:",
             ("tests/unit/ics/test_reading.py",)),
    Mutation("rule expansion uncapped by count", "gcal/dates/recurrence.py",
             "if len(moments) >= limit or", "if False or",
             ("tests/unit/dates/test_bounded_expansion.py",)),
    Mutation("a new series' conflict check expands unbounded", "gcal/dates/recurrence.py",
             "each._iter = functools.partial(_walk_to_cap, each, last_year)", "pass",
             ("tests/unit/dates/test_bounded_expansion.py",)),
    Mutation("a guest's series change copies the series", "gcal/events/series.py",
             "    if not writes.is_organizer_copy(split.master, calendar.id):\n"
             "        return _guest_update(client, split, fields)",
             "    if False:\n        return _guest_update(client, split, fields)",
             ("tests/e2e/test_series_safety.py",)),
    Mutation("every answer of a series notifies", "gcal/events/series.py",
             'send = (send_updates or "all") if notifies else "none"',
             'send = send_updates or "all"',
             ("tests/e2e/test_series_safety.py",)),
)


def _copy_tree(target: Path) -> None:
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=ROOT,
        capture_output=True, check=True).stdout.decode().split("\0")
    for relative in filter(None, listed):
        source = ROOT / relative
        if source.is_file() and not source.is_symlink():
            (target / relative).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / relative)
    venv = ROOT / ".venv"
    if venv.exists():
        os.symlink(venv.resolve(), target / ".venv")


def _python(tree: Path) -> str:
    venv = tree / ".venv" / "bin" / "python"
    return str(venv) if venv.exists() else sys.executable


def run(mutation: Mutation, tree: Path) -> str:
    path = tree / mutation.path
    original = path.read_text("utf-8")
    if original.count(mutation.old) != 1:
        return "stale"
    path.write_text(original.replace(mutation.old, mutation.new), "utf-8")
    try:
        result = subprocess.run(
            [_python(tree), "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider",
             "-p", "no:randomly", *mutation.tests], cwd=tree, capture_output=True,
            timeout=900, check=False, env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"})
    finally:
        path.write_text(original, "utf-8")
    if result.returncode == 5:
        return "no tests ran"
    return "caught" if result.returncode != 0 else "NOT CAUGHT"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-k", default="", help="only mutations whose name contains this")
    parser.add_argument("--list", action="store_true")
    args = parser.parse_args(argv)
    chosen = [m for m in MUTATIONS if args.k.lower() in m.name.lower()]
    if args.list:
        for mutation in chosen:
            print(f"{mutation.name:<50} {mutation.path}")
        return 0
    outcomes: dict[str, int] = {}
    with tempfile.TemporaryDirectory(prefix="gcal-mutations-") as folder:
        tree = Path(folder)
        _copy_tree(tree)
        for mutation in chosen:
            started = time.monotonic()
            outcome = run(mutation, tree)
            outcomes[outcome] = outcomes.get(outcome, 0) + 1
            print(f"{outcome:<12} {mutation.name} ({time.monotonic() - started:.0f} s)",
                  flush=True)
    summary = ", ".join(f"{count} {outcome}" for outcome, count in sorted(outcomes.items()))
    print(f"{len(chosen)} mutations: {summary}")
    return 0 if set(outcomes) <= {"caught"} else 1


if __name__ == "__main__":
    sys.exit(main())
