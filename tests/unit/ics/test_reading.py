"""Reading .ics files into events.import bodies (gcal.ics.reading)."""

from __future__ import annotations

import time
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gcal.errors import InvalidInputError
from gcal.ics.reading import MAX_FILE_EVENTS, read_ics

SAMPLES = Path(__file__).resolve().parents[2] / "ics_samples"
BERLIN = ZoneInfo("Europe/Berlin")


def calendar(*lines: str, head: str = "") -> bytes:
    return "\r\n".join(["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//t//t//EN", *head.split(),
                        *lines, "END:VCALENDAR", ""]).encode()


def vevent(*lines: str) -> list[str]:
    return ["BEGIN:VEVENT", *lines, "END:VEVENT"]


def only(content: bytes, zone: ZoneInfo = BERLIN) -> dict:
    parsed = read_ics(content, zone)
    assert parsed.skipped == []
    [item] = parsed.items
    return item.body


def test_windows_zone_names_map_to_iana():
    series = read_ics((SAMPLES / "outlook_series.ics").read_bytes(), BERLIN)
    master, moved = series.items
    assert master.body["start"] == {"dateTime": "2026-03-02T09:00:00-08:00",
                                    "timeZone": "America/Los_Angeles"}
    assert master.body["recurrence"] == [
        "RRULE:FREQ=WEEKLY;UNTIL=20260430T170000Z;INTERVAL=1;BYDAY=MO,WE;WKST=SU",
        "EXDATE:20260318T160000Z"]
    assert moved.original_start == "20260311T160000Z" and master.sequence == 2
    assert moved.body["originalStartTime"]["timeZone"] == "America/Los_Angeles"


def test_an_iana_tzid_in_another_letter_case_keeps_its_zone():
    body = only(calendar(*vevent("UID:case@x", "DTSTART;TZID=asia/tokyo:20260316T100000",
                                 "DTEND;TZID=asia/tokyo:20260316T110000", "SUMMARY:Call")),
                zone=BERLIN)
    assert body["start"] == {"dateTime": "2026-03-16T10:00:00+09:00", "timeZone": "Asia/Tokyo"}


def test_custom_vtimezone_gets_the_iana_zone_with_the_same_rules():
    content = calendar(
        "BEGIN:VTIMEZONE", "TZID:Company Time", "BEGIN:STANDARD", "DTSTART:19701025T030000",
        "RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU", "TZOFFSETFROM:+0200", "TZOFFSETTO:+0100",
        "END:STANDARD", "BEGIN:DAYLIGHT", "DTSTART:19700329T020000",
        "RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU", "TZOFFSETFROM:+0100", "TZOFFSETTO:+0200",
        "END:DAYLIGHT", "END:VTIMEZONE",
        *vevent("UID:c@x", "DTSTART;TZID=Company Time:20260701T090000",
                "DTEND;TZID=Company Time:20260701T100000", "RRULE:FREQ=DAILY;COUNT=2"))
    body = only(content, ZoneInfo("Europe/Paris"))
    assert body["start"] == {"dateTime": "2026-07-01T09:00:00+02:00",
                             "timeZone": "Europe/Paris"}  # the user's zone matches: preferred


def test_floating_times_are_read_in_the_user_zone_and_dates_stay_dates():
    content = calendar(*vevent("UID:f@x", "DTSTART:20260310T090000", "DURATION:PT30M"),
                       *vevent("UID:d@x", "DTSTART;VALUE=DATE:20260310"))
    timed, day = read_ics(content, ZoneInfo("Asia/Tokyo")).items
    assert timed.body["start"] == {"dateTime": "2026-03-10T09:00:00+09:00",
                                   "timeZone": "Asia/Tokyo"}
    assert timed.body["end"]["dateTime"] == "2026-03-10T09:30:00+09:00"
    assert day.body["start"] == {"date": "2026-03-10"} and day.body["end"] == {
        "date": "2026-03-11"}


def test_fields_people_and_reminders():
    body = only((SAMPLES / "outlook_request.ics").read_bytes())
    assert body["organizer"] == {"email": "anna.schmidt@contoso.example",
                                 "displayName": "Anna Schmidt"}
    assert [a["email"] for a in body["attendees"]] == ["alice@example.com",
                                                       "bob@contoso.example"]
    assert body["attendees"][1] == {"email": "bob@contoso.example", "displayName": "Bob",
                                    "responseStatus": "accepted", "optional": True}
    assert body["reminders"] == {"useDefault": False,
                                 "overrides": [{"method": "popup", "minutes": 15}]}
    assert body["visibility"] == "public" and body["transparency"] == "opaque"
    assert body["description"].count("https://teams.microsoft.com/") == 1  # not repeated


def test_conference_link_kept_when_only_in_a_property():
    body = only(calendar(*vevent(
        "UID:t@x", "DTSTART:20260310T090000Z", "DTEND:20260310T100000Z", "SUMMARY:Sync",
        "X-MICROSOFT-SKYPETEAMSMEETINGURL:https://teams.microsoft.com/l/meetup-join/1",
        "X-MICROSOFT-CDO-BUSYSTATUS:FREE")))
    assert body["location"] == "https://teams.microsoft.com/l/meetup-join/1"
    assert body["transparency"] == "transparent"


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-16", "cp1252"])
def test_encodings_and_folding(encoding):
    text = "\r\n".join(["BEGIN:VCALENDAR", "VERSION:2.0", "BEGIN:VEVENT", "UID:e@x",
                        "DTSTART:20260310T090000Z", "SUMMARY:Caf\u00e9 mit J\u00fcrgen und",
                        "  einer sehr langen Zeile", "END:VEVENT", "END:VCALENDAR", ""])
    body = only(text.encode(encoding))
    assert body["summary"] == "Café mit Jürgen und einer sehr langen Zeile"


def test_missing_uid_is_derived_stably():
    content = calendar(*vevent("DTSTART:20260310T090000Z", "SUMMARY:Lunch"))
    first, second = (only(content)["iCalUID"] for _ in range(2))
    assert first == second and first.endswith("@ics-import")
    other = calendar(*vevent("DTSTART:20260311T090000Z", "SUMMARY:Lunch"))
    assert only(other)["iCalUID"] != first


def test_broken_events_are_skipped_with_a_reason():
    content = calendar(*vevent("UID:a@x", "SUMMARY:No start"),
                       *vevent("UID:b@x", "DTSTART:20260310T100000Z",
                               "DTEND:20260310T090000Z", "SUMMARY:Backwards"),
                       *vevent("UID:c@x", "DTSTART:garbage", "SUMMARY:Garbage"),
                       *vevent("UID:d@x", "DTSTART:20260310T100000Z", "SUMMARY:Good"))
    parsed = read_ics(content, BERLIN)
    assert [i.summary for i in parsed.items] == ["Good"]
    reasons = {s.summary: s.reason for s in parsed.skipped}
    assert "DTSTART" in reasons["No start"] and "ends before" in reasons["Backwards"]
    assert "Garbage" in reasons


def test_duplicate_uid_keeps_the_highest_sequence():
    content = calendar(*vevent("UID:a@x", "SEQUENCE:3", "DTSTART:20260310T100000Z",
                               "SUMMARY:New"),
                       *vevent("UID:a@x", "SEQUENCE:1", "DTSTART:20260310T100000Z",
                               "SUMMARY:Old"))
    parsed = read_ics(content, BERLIN)
    assert [i.summary for i in parsed.items] == ["New"] and len(parsed.skipped) == 1


@pytest.mark.parametrize("content, problem", [
    (b"hello", "not an iCalendar file"),
    (b"BEGIN:VCALENDAR\r\n" + b"X" * 1_000_001, "at most 1,000,000 can be imported"),
    (calendar(*[line for n in range(MAX_FILE_EVENTS + 1) for line in vevent(
        f"UID:{n}@x", "DTSTART:20260310T100000Z")]), "at most 500"),
])
def test_unusable_files_are_one_clear_error(content, problem):
    with pytest.raises(InvalidInputError) as exc:
        read_ics(content, BERLIN)
    assert problem in exc.value.message and exc.value.parameter == "file"


def test_method_cancel_is_recognised():
    content = calendar(*vevent("UID:a@x", "DTSTART:20260310T100000Z"), head="METHOD:CANCEL")
    assert read_ics(content, BERLIN).cancels


def test_until_is_made_utc_whatever_the_writer_put_there():
    content = calendar(*vevent(
        "UID:u@x", "DTSTART;TZID=Europe/Berlin:20260302T090000",
        "DTEND;TZID=Europe/Berlin:20260302T093000",
        "RRULE:FREQ=DAILY;UNTIL=20260305T090000"))
    assert only(content)["recurrence"] == ["RRULE:FREQ=DAILY;UNTIL=20260305T080000Z"]


def test_a_file_without_events_is_one_clear_error():
    content = calendar("BEGIN:VTODO", "UID:t@x", "SUMMARY:Buy milk", "END:VTODO")
    with pytest.raises(InvalidInputError) as exc:
        read_ics(content, BERLIN)
    assert "no events" in exc.value.message


_SAMPLE_LINES = [line for path in sorted(SAMPLES.glob("*.ics"))
                 for line in path.read_text(encoding="utf-8").splitlines()]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.one_of(st.sampled_from(_SAMPLE_LINES), st.text(max_size=40)),
                max_size=60),
       st.sampled_from(["utf-8", "utf-16", "cp1252"]))
def test_hostile_files_never_escape_as_anything_but_a_clear_error(lines, encoding):
    text = "\r\n".join(["BEGIN:VCALENDAR", "VERSION:2.0", "BEGIN:VEVENT",
                        "DTSTART:20260310T100000Z", *lines, "END:VEVENT", "END:VCALENDAR"])
    try:
        parsed = read_ics(text.encode(encoding, errors="replace"), BERLIN)
    except InvalidInputError:
        return
    for item in parsed.items:
        assert item.body["iCalUID"] and "start" in item.body and "end" in item.body


def test_outlook_customized_zone_maps_to_a_representative_iana_zone():
    content = (SAMPLES / "outlook_request.ics").read_bytes().replace(
        b"W. Europe Standard Time", b"Customized Time Zone")
    body = only(content, ZoneInfo("America/New_York"))
    assert body["start"] == {"dateTime": "2026-03-16T10:00:00+01:00",
                             "timeZone": "Europe/Berlin"}


_UTF16 = ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:a@x\r\n"
          "DTSTART:20260101T100000Z\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")


@pytest.mark.parametrize("content", [
    b"\xff\xfe" + _UTF16.encode("utf-16-le") + b"\x00",  # odd length
    b"\xff\xfe" + _UTF16.encode("utf-16-le") + b"\x00\xd8",  # a lone high surrogate at the end
    b"\xfe\xff" + _UTF16.encode("utf-16-be") + b"\xdc\x00A\x00",  # a lone low surrogate
], ids=["odd-length", "lone-high-surrogate", "lone-low-surrogate"])
def test_damaged_utf16_is_a_clear_input_error(content):
    """Issue 28 item 9: not a UnicodeDecodeError escaping to Dify."""
    with pytest.raises(InvalidInputError, match="UTF-16 but its text is cut or damaged"):
        read_ics(content, BERLIN)


def _vevent(*lines: str) -> bytes:
    body = "\r\n".join(["BEGIN:VEVENT", "UID:r@x", "DTSTAMP:20260101T000000Z", *lines,
                         "SUMMARY:R", "END:VEVENT"])
    return f"BEGIN:VCALENDAR\r\nVERSION:2.0\r\n{body}\r\nEND:VCALENDAR\r\n".encode()


@pytest.mark.parametrize("rule", ["FREQ=DAILY;COUNT=-1", "FREQ=DAILY;COUNT=0",
                                  "FREQ=WEEKLY;INTERVAL=0", "FREQ=MONTHLY;BYMONTHDAY=0",
                                  "FREQ=YEARLY;BYMONTH=13", "FREQ=DAILY;BYHOUR=24"])
def test_invalid_rule_parts_are_skipped_with_the_reason(rule):
    parsed = read_ics(_vevent("DTSTART:20260316T090000Z", f"RRULE:{rule}"), BERLIN)
    [skipped] = parsed.skipped
    assert parsed.items == [] and "RRULE" in skipped.reason


@pytest.mark.parametrize("frequency", ["SECONDLY", "MINUTELY", "HOURLY"])
def test_a_series_finer_than_daily_is_skipped_at_once(frequency):
    started = time.monotonic()
    parsed = read_ics(_vevent("DTSTART:20260316T090000Z", f"RRULE:FREQ={frequency}"), BERLIN)
    [skipped] = parsed.skipped
    assert parsed.items == [] and "at most daily" in skipped.reason
    assert time.monotonic() - started < 1.0


def test_exdate_without_rrule_is_one_event_unless_it_excludes_it():
    [item] = read_ics(_vevent("DTSTART:20260316T090000Z", "EXDATE:20260317T090000Z"),
                      BERLIN).items
    assert "recurrence" not in item.body
    parsed = read_ics(_vevent("DTSTART:20260316T090000Z", "EXDATE:20260316T090000Z"), BERLIN)
    assert parsed.items == [] and "only occurrence" in parsed.skipped[0].reason


def test_rdate_dates_on_a_timed_series_start_at_midnight_in_its_zone():
    [item] = read_ics(_vevent("DTSTART;TZID=Europe/Berlin:20260316T100000",
                              "DTEND;TZID=Europe/Berlin:20260316T110000",
                              "RRULE:FREQ=DAILY;COUNT=2", "RDATE;VALUE=DATE:20260401"),
                      BERLIN).items
    assert "RDATE:20260331T220000Z" in item.body["recurrence"]


def test_an_rdate_period_of_another_length_is_a_changed_occurrence():
    series, period = read_ics(_vevent(
        "DTSTART:20260316T100000Z", "DTEND:20260316T110000Z", "RRULE:FREQ=DAILY;COUNT=2",
        "RDATE;VALUE=PERIOD:20260401T100000Z/PT3H,20260402T100000Z/PT1H"), BERLIN).items
    assert series.body["recurrence"][1:] == ["RDATE:20260401T100000Z", "RDATE:20260402T100000Z"]
    assert period.original_start == "20260401T100000Z"
    assert period.body["end"]["dateTime"] == "2026-04-01T13:00:00Z"


def test_an_outlook_all_day_occurrence_named_by_a_time_names_its_day():
    content = (SAMPLES / "outlook_allday_series.ics").read_bytes()
    moved = [i for i in read_ics(content, BERLIN).items if i.original_start]
    assert [(i.original_start, i.body["originalStartTime"]) for i in moved] == [
        ("20260416", {"date": "2026-04-16"}), ("20260430", {"date": "2026-04-30"})]
