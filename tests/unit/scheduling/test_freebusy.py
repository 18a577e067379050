import threading
from datetime import UTC, datetime, timedelta

import pytest

from gcal.dates.intervals import Interval
from gcal.errors import GoogleCalendarError, InvalidInputError
from gcal.google import _endpoints
from gcal.google.client import CalendarClient
from gcal.google.transport import CalendarTransport, RetryPolicy
from gcal.scheduling.freebusy import CHUNK, query_free_busy, read_answer, split_range, unique_ids

START = datetime(2027, 3, 1, tzinfo=UTC)


def hours(first: float, last: float) -> Interval:
    return Interval(START + timedelta(hours=first), START + timedelta(hours=last))


def block(first: float, last: float) -> dict:
    span = hours(first, last)
    return {"start": span.start.isoformat().replace("+00:00", "Z"),
            "end": span.end.isoformat()}


class FakeTransport:
    """Answers every freebusy POST with ``answer(body)``; records the bodies."""

    def __init__(self, answer):
        self.answer = answer
        self.posts: list[tuple[str, dict, dict]] = []
        self.lock = threading.Lock()

    def post(self, path, *, json, **kwargs):
        with self.lock:
            self.posts.append((path, json, kwargs))
        return self.answer(json)


def client_for(answer) -> CalendarClient:
    return CalendarClient(FakeTransport(answer), "test-account")


def everyone_free(body):
    return {"calendars": {item["id"]: {"busy": []} for item in body["items"]}}


def test_one_request_for_all_people_in_utc():
    client = client_for(everyone_free)
    result = query_free_busy(client, ["primary", "bob@example.com"], START, START + CHUNK / 2)
    [(path, body, kwargs)] = client.transport.posts
    assert path == "/freeBusy"
    assert body == {"timeMin": "2027-03-01T00:00:00Z", "timeMax": "2027-03-31T00:00:00Z",
                    "timeZone": "UTC", "items": [{"id": "primary"}, {"id": "bob@example.com"}]}
    assert kwargs == {"idempotent": True}
    assert result.considered == ["primary", "bob@example.com"]
    assert result.unknown == {}


def test_long_windows_are_split_into_60_day_chunks_and_merged():
    def answer(body):
        start = datetime.fromisoformat(body["timeMin"])
        offset = (start - START) / timedelta(hours=1)
        # A block that runs across the chunk edge is returned clipped by both chunks.
        return {"calendars": {"primary": {"busy": [block(offset - 1, offset + 2)]}}}

    client = client_for(answer)
    end = START + timedelta(days=150)
    result = query_free_busy(client, ["primary"], START, end)
    windows = sorted((b["timeMin"], b["timeMax"]) for _, b, _ in client.transport.posts)
    assert windows == [("2027-03-01T00:00:00Z", "2027-04-30T00:00:00Z"),
                       ("2027-04-30T00:00:00Z", "2027-06-29T00:00:00Z"),
                       ("2027-06-29T00:00:00Z", "2027-07-29T00:00:00Z")]
    assert result.busy["primary"] == [hours(-1, 2), hours(60 * 24 - 1, 60 * 24 + 2),
                                      hours(120 * 24 - 1, 120 * 24 + 2)]


def test_split_range_covers_the_window_exactly():
    chunks = split_range(START, START + timedelta(days=120, minutes=1))
    assert [c.duration for c in chunks] == [CHUNK, CHUNK, timedelta(minutes=1)]
    assert chunks[0].end == chunks[1].start


def test_more_than_50_people_is_refused_before_any_request():
    client = client_for(everyone_free)
    people = [f"p{n}@example.com" for n in range(51)]
    with pytest.raises(InvalidInputError) as error:
        query_free_busy(client, people, START, START + timedelta(days=1))
    assert error.value.parameter == "attendees" and "at most 50" in error.value.message
    assert client.transport.posts == []


def test_calendars_google_cannot_answer_for_are_unknown_not_free():
    answer = {"calendars": {
        "primary": {"busy": [block(9, 10)]},
        "carol@example.com": {"errors": [{"domain": "global", "reason": "notFound"}],
                              "busy": []},
        "dave@example.com": {"errors": [{"domain": "global", "reason": "internalError"}]},
    }}
    result = read_answer(answer, ["primary", "carol@example.com", "dave@example.com",
                                  "erin@example.com"])
    assert result.considered == ["primary"]
    assert result.unknown == {
        "carol@example.com": "not found, or its free/busy is not shared with you (notFound)",
        "dave@example.com": "Google could not read its free/busy (internalError)",
        "erin@example.com": "Google returned nothing for it",
    }
    assert result.all_busy() == [hours(9, 10)]


def test_an_error_in_one_chunk_makes_the_person_unknown():
    def answer(body):
        late = body["timeMin"] > "2027-04"
        bob = {"errors": [{"reason": "notFound"}]} if late else {"busy": [block(1, 2)]}
        return {"calendars": {"primary": {"busy": []}, "bob@example.com": bob}}

    result = query_free_busy(client_for(answer), ["primary", "bob@example.com"], START,
                             START + timedelta(days=90))
    assert result.considered == ["primary"]
    assert list(result.unknown) == ["bob@example.com"]
    assert result.all_busy() == []


def test_nobody_answered_is_an_error():
    def answer(body):
        return {"calendars": {i["id"]: {"errors": [{"reason": "notFound"}]}
                              for i in body["items"]}}

    with pytest.raises(GoogleCalendarError, match="no free/busy information for any of"):
        query_free_busy(client_for(answer), ["x@example.com"], START, START + CHUNK)


def test_response_keys_match_requested_ids_ignoring_case():
    answer = {"calendars": {"bob@example.com": {"busy": [block(1, 2)]}}}
    result = read_answer(answer, ["Bob@Example.com"])
    assert result.busy == {"Bob@Example.com": [hours(1, 2)]}


def test_groups_count_through_their_members():
    answer = {
        "calendars": {"ann@example.com": {"busy": [block(1, 2)]}},
        "groups": {"team@example.com": {"calendars": ["ann@example.com"]},
                   "huge@example.com": {"errors": [{"reason": "groupTooBig"}]}},
    }
    result = read_answer(answer, ["team@example.com", "huge@example.com"])
    assert result.considered == ["ann@example.com", "team@example.com"]
    assert "groupTooBig" in result.unknown["huge@example.com"]
    assert result.all_busy() == [hours(1, 2)]


def test_busy_blocks_of_several_people_are_merged():
    answer = {"calendars": {"a": {"busy": [block(1, 3), block(5, 6)]},
                            "b": {"busy": [block(2, 4)]}}}
    assert read_answer(answer, ["a", "b"]).all_busy() == [hours(1, 4), hours(5, 6)]


def test_unique_ids_keeps_first_spelling():
    assert unique_ids(["primary", "Bob@x.com"], ["bob@x.com", "carol@x.com"]) == [
        "primary", "Bob@x.com", "carol@x.com"]


# --- over HTTP against the Google emulator ----------------------------------------------

ALICE, BOB, CAROL = "alice@example.com", "bob@example.com", "carol@example.com"


def timed(start: str, end: str, **extra) -> dict:
    return {"summary": "busy", "start": {"dateTime": start}, "end": {"dateTime": end},
            **extra}


@pytest.fixture
def http_client(emu, monkeypatch):
    monkeypatch.setenv(_endpoints.EMULATOR_HOST_ENV, emu.host)
    transport = CalendarTransport(emu.issue_token(ALICE), retry=RetryPolicy(base_delay=0.01))
    return CalendarClient(transport, "http-test")


def test_emulator_busy_time_ignores_free_cancelled_and_declined_events(emu, http_client):
    emu.add_user(BOB, time_zone="America/New_York")
    emu.add_user(CAROL)
    emu.set_freebusy_private(CAROL)
    emu.add_event(ALICE, timed("2027-03-01T09:00:00Z", "2027-03-01T10:00:00Z"))
    declined = [{"email": ALICE, "responseStatus": "declined"}, {"email": "x@example.org"}]
    not_blocking = [{"transparency": "transparent"}, {"status": "cancelled"},
                    {"attendees": declined}]
    for hour, extra in zip((11, 13, 15), not_blocking, strict=True):
        emu.add_event(ALICE, timed(f"2027-03-01T{hour}:00:00Z", f"2027-03-01T{hour + 1}:00:00Z",
                                   **extra), propagate=False)
    emu.add_event(BOB, timed("2027-03-01T09:30:00Z", "2027-03-01T10:30:00Z"))

    result = query_free_busy(http_client, ["primary", BOB, CAROL], START,
                             START + timedelta(days=2))
    assert result.considered == ["primary", BOB]
    assert result.busy["primary"] == [hours(9, 10)]
    assert "notFound" in result.unknown[CAROL]
    assert result.all_busy() == [hours(9, 10.5)]


def test_emulator_accepts_the_chunks_of_a_long_window(emu, http_client):
    emu.add_event(ALICE, timed("2027-05-15T09:00:00Z", "2027-05-15T10:00:00Z"))
    result = query_free_busy(http_client, ["primary"], START, START + timedelta(days=200))
    posts = [r for r in emu.requests if r.path.endswith("/freeBusy")]
    assert len(posts) == 4 and all(r.status == 200 for r in posts)
    assert result.all_busy() == [Interval(datetime(2027, 5, 15, 9, tzinfo=UTC),
                                          datetime(2027, 5, 15, 10, tzinfo=UTC))]


def test_emulator_backend_error_is_retried(emu, http_client):
    from tests.emulator.faults import Fault

    emu.inject_fault(Fault(method="POST", path_regex=r".*/freeBusy", status=500, times=1))
    result = query_free_busy(http_client, ["primary"], START, START + timedelta(days=1))
    assert result.considered == ["primary"]
