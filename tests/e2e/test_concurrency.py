"""Many tool calls in parallel in one plugin process, for two users: no cross-talk.

Dify runs each request of a plugin process on its own gevent worker; the calls share the
HTTP session, the token cache and the time-zone cache. Every call here is told apart by its
own time window (day ``i``), so the emulator's request log shows which user each request
was authorised as.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from typing import Any

import pytest

from tests.conftest import ALICE, TEST_CLIENT_ID, TEST_CLIENT_SECRET
from tests.reliability import record

BOB = "bob@example.com"
ZONES = {ALICE: "Europe/Berlin", BOB: "America/New_York"}
SUMMARIES = {ALICE: "Alice private standup", BOB: "Bob private review"}
FIRST_DAY = date(2026, 6, 1)
CALLS = 40


@pytest.fixture
def two_users(emu: Any) -> dict[str, dict[str, str]]:
    emu.add_user(BOB, time_zone=ZONES[BOB])
    for user, summary in SUMMARIES.items():
        emu.add_event(user, {
            "summary": summary,
            "start": {"dateTime": "2026-06-01T12:00:00", "timeZone": ZONES[user]},
            "end": {"dateTime": "2026-06-01T12:30:00", "timeZone": ZONES[user]},
            "recurrence": ["RRULE:FREQ=DAILY;COUNT=60"],
        })
    return {
        user: {"access_token": emu.issue_token(user),
               "refresh_token": emu.issue_refresh_token(user, TEST_CLIENT_ID)}
        for user in (ALICE, BOB)
    }


def _parallel(calls: list[Callable[[], Any]]) -> list[Any]:
    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(lambda f: f(), calls))


def _user(i: int) -> str:
    return ALICE if i % 2 == 0 else BOB


def test_parallel_calls_of_two_users_do_not_cross_talk(plugin, emu, two_users):
    def list_day(i: int) -> Callable[[], Any]:
        day = FIRST_DAY + timedelta(days=i)
        params = {"time_min": day.isoformat(), "time_max": day.isoformat()}
        return lambda: plugin.invoke_tool("list_events", params, two_users[_user(i)],
                                          user_id=f"dify-user-{_user(i)}")

    results = _parallel([list_day(i) for i in range(CALLS)])
    record("parallel_call", CALLS)

    crossed = 0
    for i, result in enumerate(results):
        me, other = _user(i), ({ALICE, BOB} - {_user(i)}).pop()
        summaries = [e["summary"] for e in result.variables["events"]]
        crossed += SUMMARIES[other] in result.text + str(result.variables)
        assert summaries == [SUMMARIES[me]], (i, summaries)
    record("cross_talk", crossed)
    assert crossed == 0

    token_owner = {creds["access_token"]: user for user, creds in two_users.items()}
    checked = 0
    for request in emu.requests:
        if not request.path.startswith("/calendar/v3/"):
            continue
        token = (request.headers.get("Authorization") or "")[len("Bearer "):]
        assert request.user == token_owner[token]
        time_min = (request.query.get("timeMin") or [None])[0]
        if time_min:
            i = (date.fromisoformat(time_min[:10]) - FIRST_DAY).days
            assert request.user == _user(i), (i, request.raw_path, request.user)
            checked += 1
    assert checked == CALLS


def test_parallel_manual_credentials_mint_and_cache_per_user(plugin, emu, two_users):
    manual = {user: {"client_id": TEST_CLIENT_ID, "client_secret": TEST_CLIENT_SECRET,
                     "refresh_token": creds["refresh_token"]}
              for user, creds in two_users.items()}
    def current_time(i: int) -> Callable[[], Any]:
        creds = manual[_user(i)]
        return lambda: plugin.invoke_tool("get_current_time", {}, creds,
                                          credential_type="api-key")

    results = _parallel([current_time(i) for i in range(CALLS)])
    record("parallel_call", CALLS)
    zones = [r.variables["time_zone"] for r in results]
    wrong = sum(zone != ZONES[_user(i)] for i, zone in enumerate(zones))
    record("cross_talk", wrong)
    assert wrong == 0, zones
    # One refresh per user (the token cache serialises refreshes per account) and every
    # calendar request authorised as the user whose credential it came from.
    token_requests = [r for r in emu.requests if r.path == "/token"]
    assert len(token_requests) == 2
    with emu.state.lock:
        minted = {t.token: t.email for t in emu.state.access_tokens.values() if t.refresh_token}
    for request in emu.requests:
        if request.path.startswith("/calendar/v3/"):
            token = (request.headers.get("Authorization") or "")[len("Bearer "):]
            assert request.user == minted[token]


def test_parallel_failures_stay_with_their_own_call(plugin, emu, two_users):
    """Bob's token is revoked: only Bob's calls fail, Alice's succeed at the same time."""
    emu.revoke_user_tokens(BOB)

    def list_events(i: int) -> Callable[[], Any]:
        def run() -> Any:
            try:
                return plugin.invoke_tool("list_events", {"time_min": "2026-06-01",
                                                          "time_max": "2026-06-01"},
                                          two_users[_user(i)])
            except Exception as error:
                return error
        return run

    outcomes = _parallel([list_events(i) for i in range(20)])
    record("parallel_call", 20)
    for i, outcome in enumerate(outcomes):
        if _user(i) == ALICE:
            assert SUMMARIES[ALICE] in outcome.text
        else:
            assert getattr(outcome, "error_type", None) == "AuthenticationError", outcome
