from datetime import UTC, date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo, available_timezones

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gcal.dates.times import (
    TimeValue,
    as_instant,
    day_start,
    format_offset,
    next_day_start,
    now_in,
    parse_time,
    resolve_zone,
    to_rfc3339,
)
from gcal.errors import InvalidInputError

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
UTC_ZONE = ZoneInfo("UTC")
ZONES = sorted(available_timezones() - {"localtime", "Factory"})
NOW = datetime(2026, 3, 10, 23, 30, tzinfo=UTC)  # already 00:30 on March 11 in Berlin


def parse(value, zone=BERLIN, now=NOW):
    return parse_time(value, zone=zone, parameter="start", now=now)


# --- zones ----------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["UTC", "utc", "Z", " z ", "Etc/UTC"])
def test_utc_aliases(name):
    assert resolve_zone(name).key in ("UTC", "Etc/UTC")


def test_iana_zones_case_insensitive():
    assert resolve_zone("Europe/Berlin") == BERLIN
    assert resolve_zone("america/new_york").key == "America/New_York"


@pytest.mark.parametrize("name", [None, "", "   "])
def test_blank_zone_is_none(name):
    assert resolve_zone(name) is None


@pytest.mark.parametrize("name", ["Mars/Olympus", "CET+1", "+08:00", "../../etc/passwd",
                                  "Europe/", "Europe", "/etc/passwd", "a\x00b", "tzdata.zi",
                                  "x" * 300])
def test_bad_zone(name):
    with pytest.raises(InvalidInputError, match="Europe/Berlin") as caught:
        resolve_zone(name, parameter="tz")
    assert caught.value.parameter == "tz"


# --- parsing --------------------------------------------------------------------------


def test_rfc3339_with_offset_and_z():
    assert parse("2026-03-10T15:00:00+08:00").instant == datetime(
        2026, 3, 10, 15, tzinfo=timezone(timedelta(hours=8)))
    assert parse("2026-03-10T15:00:00Z").instant == datetime(2026, 3, 10, 15, tzinfo=UTC)
    assert parse("2026-03-10t15:00:00.250z").instant == datetime(
        2026, 3, 10, 15, 0, 0, 250000, tzinfo=UTC)
    assert parse("2026-03-10T15:00-0530").instant.utcoffset() == timedelta(hours=-5, minutes=-30)


@pytest.mark.parametrize("text", ["2026-03-10T15:00", "2026-03-10 15:00", "2026-03-10T15:00:00",
                                  " 2026-03-10  15:00 ", "2026-03-10T15:00:00.000"])
def test_wall_clock_is_read_in_the_zone(text):
    value = parse(text, zone=NEW_YORK)
    assert value.instant == datetime(2026, 3, 10, 15, tzinfo=NEW_YORK)
    assert value.instant.tzinfo == NEW_YORK
    assert to_rfc3339(value.instant) == "2026-03-10T15:00:00-04:00"


def test_single_digit_hour():
    assert parse("2026-03-10 9:05").instant == datetime(2026, 3, 10, 9, 5, tzinfo=BERLIN)


def test_nonexistent_time_moves_forward():
    value = parse("2026-03-29T02:30")  # clocks jump 02:00 → 03:00 in Berlin
    assert value.instant.replace(tzinfo=None) == datetime(2026, 3, 29, 3, 30)
    assert to_rfc3339(value.instant) == "2026-03-29T03:30:00+02:00"


def test_ambiguous_time_takes_the_first():
    value = parse("2026-10-25T02:30")  # 02:00–03:00 happens twice in Berlin
    assert to_rfc3339(value.instant) == "2026-10-25T02:30:00+02:00"


def test_date():
    value = parse("2026-03-10")
    assert value == TimeValue(day=date(2026, 3, 10))
    assert value.is_date


@pytest.mark.parametrize(("word", "expected"), [
    ("today", date(2026, 3, 11)), ("Tomorrow", date(2026, 3, 12)),
    (" YESTERDAY ", date(2026, 3, 10)),
])
def test_day_words_use_the_zone(word, expected):
    assert parse(word).day == expected  # 23:30 UTC is already the next day in Berlin
    assert parse(word, zone=UTC_ZONE).day == expected - timedelta(days=1)


def test_now():
    value = parse(" NOW ")
    assert value.instant == NOW
    assert value.instant.tzinfo == BERLIN
    assert not value.is_date


def test_now_without_reference_is_current():
    before = datetime.now(UTC).replace(microsecond=0)
    value = parse_time("now", zone=BERLIN, parameter="start")
    assert before <= value.instant <= datetime.now(UTC)


@pytest.mark.parametrize("text", [
    "", "soon", "2026-13-01", "2026-02-30", "2026-03-10T24:00", "2026-03-10T15:60",
    "2026-03-10T15:00+24:00", "2026-03-10T15:00+05:75", "10/03/2026", "2026-W10",
    "2026-03-10T15", "15:00", "20260310", "next tuesday", "2026-03-10T15:00:00+08:00 extra",
])
def test_rejects_other_text(text):
    with pytest.raises(InvalidInputError) as caught:
        parse(text)
    assert caught.value.parameter == "start"
    assert "2026-03-10T15:00" in caught.value.message


def test_non_string_is_rejected():
    with pytest.raises(InvalidInputError):
        parse_time(None, zone=BERLIN, parameter="end")


def test_time_value_needs_exactly_one():
    with pytest.raises(ValueError):
        TimeValue()
    with pytest.raises(ValueError):
        TimeValue(instant=NOW, day=date(2026, 1, 1))


# --- formatting and day boundaries ----------------------------------------------------


def test_to_rfc3339():
    assert to_rfc3339(datetime(2026, 3, 10, 15, tzinfo=BERLIN)) == "2026-03-10T15:00:00+01:00"
    assert to_rfc3339(datetime(2026, 3, 10, 15, tzinfo=UTC)) == "2026-03-10T15:00:00Z"
    assert to_rfc3339(datetime(2026, 3, 10, 15, tzinfo=UTC_ZONE)) == "2026-03-10T15:00:00Z"
    london = datetime(2026, 1, 10, 15, tzinfo=ZoneInfo("Europe/London"))
    assert to_rfc3339(london) == "2026-01-10T15:00:00+00:00"
    assert to_rfc3339(datetime(2026, 3, 10, 15, 0, 5, 999999, tzinfo=UTC)).endswith(":05Z")
    kolkata = datetime(2026, 3, 10, 15, tzinfo=ZoneInfo("Asia/Kolkata"))
    assert to_rfc3339(kolkata) == "2026-03-10T15:00:00+05:30"


def test_to_rfc3339_rejects_naive():
    with pytest.raises(ValueError):
        to_rfc3339(datetime(2026, 3, 10))


def test_offsets_with_seconds_are_written_in_utc():
    lmt = datetime(1890, 1, 1, 12, tzinfo=BERLIN)  # local mean time +00:53:28
    text = to_rfc3339(lmt)
    assert text.endswith("Z")
    assert datetime.fromisoformat(text) == lmt


def test_format_offset():
    assert format_offset(datetime(2026, 1, 1, tzinfo=BERLIN)) == "+01:00"
    assert format_offset(datetime(2026, 1, 1, tzinfo=ZoneInfo("America/St_Johns"))) == "-03:30"
    assert format_offset(datetime(2026, 1, 1, tzinfo=UTC)) == "+00:00"


def hours_between(start, end):
    # Same-zone subtraction in Python is wall-clock; compare real elapsed time.
    return (end.astimezone(UTC) - start.astimezone(UTC)) / timedelta(hours=1)


def test_day_boundaries_across_dst():
    spring = day_start(date(2026, 3, 29), BERLIN)
    assert hours_between(spring, next_day_start(date(2026, 3, 29), BERLIN)) == 23
    autumn = day_start(date(2026, 10, 25), BERLIN)
    assert hours_between(autumn, next_day_start(date(2026, 10, 25), BERLIN)) == 25
    assert to_rfc3339(spring) == "2026-03-29T00:00:00+01:00"


def test_day_start_when_midnight_does_not_exist():
    santiago = ZoneInfo("America/Santiago")  # DST starts at 00:00 → 01:00
    start = day_start(date(2026, 9, 6), santiago)
    assert start.replace(tzinfo=None) == datetime(2026, 9, 6, 1, 0)
    assert start.date() == date(2026, 9, 6)


def test_as_instant():
    day = TimeValue(day=date(2026, 3, 10))
    assert as_instant(day, BERLIN) == datetime(2026, 3, 10, tzinfo=BERLIN)
    assert as_instant(day, BERLIN, end=True) == datetime(2026, 3, 11, tzinfo=BERLIN)
    instant = TimeValue(instant=NOW)
    assert as_instant(instant, BERLIN, end=True) == NOW


def test_now_in():
    current = now_in(BERLIN)
    assert current.tzinfo == BERLIN
    assert current.microsecond == 0


# --- properties -----------------------------------------------------------------------

aware_datetimes = st.datetimes(
    min_value=datetime(1970, 1, 2), max_value=datetime(2200, 12, 30),
    timezones=st.sampled_from(ZONES).map(ZoneInfo) | st.builds(
        lambda minutes: timezone(timedelta(minutes=minutes)), st.integers(-23 * 60, 23 * 60)),
).map(lambda dt: dt.replace(microsecond=0)).filter(
    lambda dt: dt.astimezone(UTC).astimezone(dt.tzinfo).replace(tzinfo=None)
    == dt.replace(tzinfo=None)  # hypothesis also makes wall times that DST skips
)


@settings(max_examples=300, deadline=None)
@given(aware_datetimes, st.sampled_from(ZONES))
def test_rfc3339_round_trip(dt, zone_name):
    text = to_rfc3339(dt)
    parsed = parse_time(text, zone=ZoneInfo(zone_name), parameter="start")
    # PEP 495: an ambiguous time with fold=1 never compares equal across zones.
    assert parsed.instant.astimezone(UTC) == dt.astimezone(UTC)
    assert to_rfc3339(parsed.instant.astimezone(dt.tzinfo)) == text


@settings(max_examples=300, deadline=None)
@given(
    st.datetimes(min_value=datetime(1970, 1, 2), max_value=datetime(2200, 12, 30)),
    st.sampled_from(ZONES),
    st.sampled_from(["T", " "]),
    st.booleans(),
)
def test_wall_clock_in_random_zones(naive, zone_name, separator, with_seconds):
    naive = naive.replace(microsecond=0, second=naive.second if with_seconds else 0)
    zone = ZoneInfo(zone_name)
    pattern = f"%Y-%m-%d{separator}%H:%M" + (":%S" if with_seconds else "")
    instant = parse_time(naive.strftime(pattern), zone=zone, parameter="start").instant
    assert instant.tzinfo is zone
    exists = naive.replace(tzinfo=zone).astimezone(UTC).astimezone(zone).replace(
        tzinfo=None) == naive
    if exists:
        assert instant.replace(tzinfo=None) == naive
        earlier = naive.replace(tzinfo=zone, fold=0).astimezone(UTC)
        assert instant.astimezone(UTC) == earlier  # ambiguous times take the first
    else:
        assert instant.replace(tzinfo=None) > naive  # skipped times move forward
        assert instant.replace(tzinfo=None) - naive <= timedelta(hours=24)


@settings(max_examples=500, deadline=None)
@given(st.text(max_size=40) | st.from_regex(
    r"\A[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{1,2}:[0-9]{2}(:[0-9]{2})?"
    r"([Zz]|[+-][0-9]{2}:?[0-9]{2})?\Z"
))
def test_garbage_only_raises_invalid_input(text):
    try:
        parse_time(text, zone=BERLIN, parameter="start", now=NOW)
    except InvalidInputError as error:
        assert error.parameter == "start"


@settings(max_examples=200, deadline=None)
@given(st.dates(min_value=date(1970, 1, 2), max_value=date(2200, 12, 30)),
       st.sampled_from(ZONES))
def test_days_are_contiguous(day, zone_name):
    zone = ZoneInfo(zone_name)
    start, end = day_start(day, zone), next_day_start(day, zone)
    assert start.date() in (day, day + timedelta(days=1))
    assert 20 <= hours_between(start, end) <= 27
    assert next_day_start(day - timedelta(days=1), zone) == start


@pytest.mark.parametrize("text", ["9999-12-31T23:59:59Z", "9999-12-31", "0001-01-01T00:30+14:00",
                                  "0001-01-01"])
def test_moments_no_zone_can_show_are_refused(text):
    """9999-12-31T23:59Z is year 10000 in Tokyo: answers would overflow converting it."""
    with pytest.raises(InvalidInputError) as error:
        parse_time(text, zone=BERLIN, parameter="time_max")
    assert "time_max" in error.value.message
    assert parse_time("9998-12-31T23:59Z", zone=BERLIN, parameter="time_max").instant


@pytest.mark.parametrize(("text", "expected"), [
    ("tomorrow 08:30", "2026-03-11T08:30:00+01:00"),
    ("Today 15:00", "2026-03-10T15:00:00+01:00"),
    ("tomorrow at 9:05", "2026-03-11T09:05:00+01:00"),
    ("yesterdayT23:59:30", "2026-03-09T23:59:30+01:00"),
])
def test_day_words_with_a_clock_time(text, expected):
    """Models write "tomorrow 08:30"; it is read in the zone like the words alone."""
    now = datetime(2026, 3, 10, 12, tzinfo=ZoneInfo("Europe/Berlin"))
    parsed = parse_time(text, zone=ZoneInfo("Europe/Berlin"), parameter="start", now=now)
    assert parsed.instant.isoformat() == expected


def test_day_word_with_an_impossible_clock_is_refused():
    with pytest.raises(InvalidInputError):
        parse_time("tomorrow 25:00", zone=ZoneInfo("UTC"), parameter="start")
