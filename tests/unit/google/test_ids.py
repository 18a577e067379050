import re

from hypothesis import given
from hypothesis import strategies as st

from gcal.google.ids import conference_request_id, event_id_for_key, new_event_id

# Google's rule for client-chosen event ids: base32hex characters, 5-1024 of them.
# https://developers.google.com/calendar/api/v3/reference/events/insert (id)
GOOGLE_EVENT_ID = re.compile(r"[a-v0-9]{5,1024}")


def is_event_id(text: str) -> bool:
    return bool(GOOGLE_EVENT_ID.fullmatch(text))


def test_random_ids_are_valid_and_distinct():
    ids = {new_event_id() for _ in range(200)}
    assert len(ids) == 200
    assert all(is_event_id(event_id) for event_id in ids)


ALICE = "alice@example.com"


@given(st.text(min_size=1, max_size=200), st.text(min_size=1, max_size=100))
def test_derived_ids_are_valid_and_stable(key, calendar):
    event_id = event_id_for_key(key, calendar, ALICE)
    assert is_event_id(event_id)
    assert event_id == event_id_for_key(key, calendar, ALICE)


def test_derivation_depends_on_account_key_and_calendar_and_is_pinned():
    base = event_id_for_key("req-42", ALICE, ALICE)
    assert base != event_id_for_key("req-43", ALICE, ALICE)
    assert base != event_id_for_key("req-42", "team@group.calendar.google.com", ALICE)
    assert base != event_id_for_key("req-42", ALICE, "bob@example.com")
    assert base == event_id_for_key("req-42", ALICE, "Alice@Example.com")
    # Stable across processes and versions: a change here breaks idempotency of old keys.
    assert base == "j1r2krpapaok67ihto2pd4n030obfeh48067v75shkf9d0tcs0jg"
    assert len(base) == 52


def test_google_event_id_rule_as_modelled():
    assert not is_event_id("abcd")
    assert not is_event_id("ABCDEF")
    assert not is_event_id("abcdw")
    assert is_event_id("abcde")


def test_conference_request_id_is_stable_per_revision_and_new_for_the_next():
    assert conference_request_id("abc123") == conference_request_id("abc123")
    assert conference_request_id("abc123", '"1"') == conference_request_id("abc123", '"1"')
    assert conference_request_id("abc123", '"1"') != conference_request_id("abc123", '"2"')
