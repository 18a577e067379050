"""gcal.google.batch against the emulator's /batch/calendar/v3: ordering, errors, bounded
retries."""

from __future__ import annotations

import pytest

from gcal.errors import NotFoundError
from gcal.google.batch import MAX_BATCH_CALLS, Call, run_batch
from gcal.google.transport import CalendarTransport, RetryPolicy
from tests.emulator.faults import Fault
from tests.emulator.importing import ImportRules

ALICE = "alice@example.com"
IMPORT = "/calendars/primary/events/import"


@pytest.fixture
def transport(server, monkeypatch):
    server.reset()
    server.add_user(ALICE, "Europe/Berlin")
    monkeypatch.setenv("GOOGLE_CALENDAR_EMULATOR_HOST", server.host)
    return CalendarTransport(server.issue_token(ALICE))


@pytest.fixture(autouse=True)
def _repeats_refused(server, transport):
    """These tests tell a repeat apart by Google's 409: the setting where an import of a held
    iCalUID with the same SEQUENCE is refused (docs/google-behaviour.md)."""
    server.import_rules = ImportRules(stale="refuse")


def _import(n: int) -> Call:
    return Call("POST", IMPORT, {}, {
        "iCalUID": f"u{n}@x", "summary": f"Lesson {n} – café",
        "start": {"date": "2026-04-01"}, "end": {"date": "2026-04-02"}})


def test_answers_come_back_in_call_order_across_chunks(server, transport):
    calls = [_import(n) for n in range(MAX_BATCH_CALLS + 7)]
    answers = run_batch(transport, calls)
    assert [a.body["iCalUID"] for a in answers] == [f"u{n}@x" for n in range(57)]
    assert answers[3].body["summary"] == "Lesson 3 – café"
    assert sum(r.path == "/batch/calendar/v3" for r in server.requests) == 2


def test_a_failed_call_is_returned_with_its_error(server, transport):
    answers = run_batch(transport, [_import(1), Call("GET", "/calendars/primary/events/nope1")])
    assert answers[0].ok
    assert answers[1].status == 404 and isinstance(answers[1].error, NotFoundError)


def test_rate_limited_calls_are_retried_a_bounded_number_of_times(server, transport):
    server.inject_fault(Fault(path_regex=r"/events/import$", status=403,
                              reason="rateLimitExceeded", times=1))
    answers = run_batch(transport, [_import(1), _import(2)], sleep=lambda s: None)
    assert all(a.ok for a in answers)
    server.inject_fault(Fault(path_regex=r"/events/import$", status=429,
                              reason="rateLimitExceeded", times=None))
    policy = RetryPolicy(max_attempts=3)
    answers = run_batch(transport, [_import(3)], retry=policy, sleep=lambda s: None)
    assert answers[0].status == 429
    assert sum(r.path.endswith("/events/import") and r.status == 429
               for r in server.requests) == 3


@pytest.mark.parametrize("status", [500, 502, 504])
def test_a_call_google_may_have_applied_is_sent_again_and_marked(server, transport, status):
    """The transport's rule (gcal.google.transport): 5xx is retried. In a batch every call may be
    repeated, because the caller learns that an earlier try may have landed."""
    server.inject_fault(Fault(path_regex=r"/events/import$", status=status,
                              after_processing=True, times=1))
    answers = run_batch(transport, [_import(1), _import(2)], sleep=lambda s: None)
    assert answers[0].after_lost_answer and answers[0].status == 409  # the first try landed
    assert answers[1].ok and not answers[1].after_lost_answer


@pytest.mark.parametrize("fault", [dict(status=503), dict(status=429, reason="rateLimitExceeded")])
def test_a_refusal_google_did_not_act_on_is_resent_unmarked(server, transport, fault):
    """503 and rate limits mean Google did not act (gcal.google.transport): a 409 after them is an
    event the calendar already held, not our own first try."""
    first = run_batch(transport, [_import(1)])
    assert first[0].ok
    server.inject_fault(Fault(path_regex=r"/events/import$", times=1, **fault))
    [again] = run_batch(transport, [_import(1)], sleep=lambda s: None)
    assert again.status == 409 and not again.after_lost_answer


def test_a_whole_batch_refused_unprocessed_is_resent_unmarked(server, transport):
    run_batch(transport, [_import(1)])
    server.inject_fault(Fault(path_regex=r"^/batch/calendar/v3$", status=503, times=1))
    [again] = run_batch(transport, [_import(1)], sleep=lambda s: None)
    assert again.status == 409 and not again.after_lost_answer


def test_a_whole_batch_answer_lost_marks_every_answer(server, transport):
    server.inject_fault(Fault(path_regex=r"^/batch/calendar/v3$", status=None,
                              drop_connection=True, after_processing=True, times=1))
    [again] = run_batch(transport, [_import(1)], sleep=lambda s: None)
    assert again.status == 409 and again.after_lost_answer


def test_retry_after_of_a_refused_call_is_honoured(server, transport):
    server.inject_fault(Fault(path_regex=r"/events/import$", status=429,
                              reason="rateLimitExceeded", retry_after=3, times=1))
    pauses = []
    answers = run_batch(transport, [_import(1)], sleep=pauses.append)
    assert answers[0].ok and pauses == [3.0]
