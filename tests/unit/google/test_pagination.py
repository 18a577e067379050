"""Page tokens: one compact format, bounded before any request is made."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gcal.errors import InvalidInputError
from gcal.events.reading import list_events
from gcal.google.pagination import (
    MAX_TOKEN_CALENDARS,
    MAX_TOKEN_CHARS,
    Cursor,
    decode_token,
    encode_token,
)

WINDOW = ("2026-06-01T00:00:00+02:00", "2026-06-08T00:00:00Z", "Europe/Berlin", "d",
          "Q3 ~ review!")


def test_round_trip_keeps_window_options_and_cursors():
    cursors = {"primary": Cursor(None, 3),
               "en.usa#holiday@group.v.calendar.google.com": Cursor("CiAKGjBp~!%", 0)}
    token = encode_token(cursors, WINDOW)
    assert token.startswith("p3~")
    assert decode_token(token) == (cursors, WINDOW)


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(st.text(min_size=1, max_size=40), st.builds(
    Cursor, st.one_of(st.none(), st.text(min_size=1, max_size=60)),
    st.integers(0, 2500)), min_size=1, max_size=5), st.text(max_size=50))
def test_any_listing_round_trips(cursors, query):
    window = (*WINDOW[:4], query)
    assert decode_token(encode_token(cursors, window)) == (cursors, window)


def _forged(calendars: int, token: str = "x") -> str:
    entries = "~".join(f"cal{n}%40example.com!0!{token}" for n in range(calendars))
    return f"p3~1780264800+120~1780869600Z~Europe%2FBerlin!!~{entries}"


def test_a_token_listing_too_many_calendars_is_refused():
    assert len(decode_token(_forged(MAX_TOKEN_CALENDARS))[0]) == MAX_TOKEN_CALENDARS
    with pytest.raises(InvalidInputError) as error:
        decode_token(_forged(MAX_TOKEN_CALENDARS + 1))
    assert "page_token" in error.value.message and "omit" in error.value.message


def test_a_skip_beyond_one_google_page_is_refused():
    with pytest.raises(InvalidInputError):
        decode_token(_forged(1).replace("!0!", "!99999999999999999999!"))


def test_an_oversized_token_is_refused_before_it_is_parsed():
    huge = _forged(2, token="a" * MAX_TOKEN_CHARS)
    with pytest.raises(InvalidInputError) as error:
        decode_token(huge)
    assert "page_token" in error.value.message


def test_legacy_formats_are_gone():
    legacy_v1 = base64.urlsafe_b64encode(json.dumps(
        {"v": 1, "w": list(WINDOW[:2]), "c": {"primary": [None, 0]}}).encode()).decode()
    legacy_p2 = "p2~1780264800+120~1780869600Z~primary!0!"
    for token in (legacy_v1.rstrip("="), legacy_p2):
        with pytest.raises(InvalidInputError):
            decode_token(token)


def test_the_encoder_never_writes_a_token_the_decoder_refuses():
    cursors = {f"cal{n}@example.com": Cursor("t" * 200, 1) for n in range(MAX_TOKEN_CALENDARS)}
    assert len(encode_token(cursors, WINDOW)) <= MAX_TOKEN_CHARS


def test_a_listing_never_covers_more_calendars_than_a_token_may_carry():
    class _NoRequests:
        def get(self, *args, **kwargs):
            raise AssertionError("no request may be sent")

    client = type("Client", (), {"transport": _NoRequests()})()
    start = datetime(2026, 6, 1, tzinfo=UTC)
    with pytest.raises(InvalidInputError) as error:
        list_events(client, [f"c{n}@example.com" for n in range(MAX_TOKEN_CALENDARS + 1)],
                    time_min=start, time_max=start + timedelta(days=1), zone=ZoneInfo("UTC"))
    assert "calendar_ids" in error.value.message
