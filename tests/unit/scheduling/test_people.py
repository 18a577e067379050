from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest

from gcal.errors import InvalidInputError
from gcal.scheduling.countries import holiday_calendar_id, zone_holiday_calendar
from gcal.scheduling.people import (
    PerPerson,
    ZoneSource,
    assumed,
    check_named,
    differ,
    parse_per_person,
    resolve_people,
)
from gcal.scheduling.slots import WorkingHours

BERLIN = ZoneInfo("Europe/Berlin")
HOURS = WorkingHours(9 * 60, 18 * 60)
JAPAN = "en.japanese#holiday@group.v.calendar.google.com"
NOBODY = PerPerson({}, {}, {})


def test_pairs_in_every_spelling_a_model_sends():
    given = parse_per_person("Ann@X.com=America/Los_Angeles; ken@y.com: asia/tokyo",
                             '{"ken@y.com": "10:00-19:00"}', "ken@y.com=jp")
    assert given.zones == {"ann@x.com": ZoneInfo("America/Los_Angeles"),
                           "ken@y.com": ZoneInfo("Asia/Tokyo")}
    assert given.hours == {"ken@y.com": WorkingHours(10 * 60, 19 * 60)}
    assert given.holidays == {"ken@y.com": JAPAN}
    assert not parse_per_person(None, "", None).asked


@pytest.mark.parametrize(("zones", "hours", "holidays", "parameter"), [
    ("ann@x.com Europe/Berlin", None, None, "attendee_time_zones"),
    ("ann@x.com=Mars/Olympus", None, None, "attendee_time_zones"),
    (None, "ann@x.com=noon", None, "attendee_working_hours"),
    (None, None, "ann@x.com=atlantis", "attendee_holidays"),
])
def test_bad_pairs_name_their_parameter(zones, hours, holidays, parameter):
    with pytest.raises(InvalidInputError) as error:
        parse_per_person(zones, hours, holidays)
    assert f"`{parameter}`" in error.value.message


def test_a_person_not_searched_for_is_refused():
    with pytest.raises(InvalidInputError) as error:
        check_named(parse_per_person("zed@x.com=UTC", None, None), ["me@x.com", "ann@x.com"])
    assert "zed@x.com" in error.value.message


def test_zone_from_the_call_then_the_calendar_list_else_assumed_and_rooms_have_no_hours():
    entries = [{"id": "ken@y.com", "timeZone": "Asia/Tokyo"}, {"id": "bob@z.com"}]
    people = resolve_people(
        "me@x.com", BERLIN, HOURS,
        ["ann@x.com", "ken@y.com", "bob@z.com", "room-1@resource.calendar.google.com"],
        parse_per_person("ann@x.com=America/Los_Angeles", "ken@y.com=10:00-19:00", None),
        entries, [])
    assert [(p.email, p.zone.key, p.zone_source) for p in people] == [
        ("me@x.com", "Europe/Berlin", ZoneSource.YOURS),
        ("ann@x.com", "America/Los_Angeles", ZoneSource.CALL),
        ("ken@y.com", "Asia/Tokyo", ZoneSource.CALENDAR_LIST),
        ("bob@z.com", "Europe/Berlin", ZoneSource.ASSUMED),
    ]
    assert people[2].hours == WorkingHours(10 * 60, 19 * 60) and people[1].hours == HOURS
    assert assumed(people) == ["bob@z.com"] and differ(people)


def test_a_shown_holiday_calendar_of_a_persons_country_is_theirs():
    people = resolve_people("me@x.com", BERLIN, HOURS, ["ken@y.com", "bob@z.com"], NOBODY,
                            [{"id": "ken@y.com", "timeZone": "Asia/Tokyo"}], [JAPAN])
    assert [p.holiday_calendar for p in people] == [None, JAPAN, None]


def test_the_same_zone_and_hours_for_everyone_differs_from_nothing():
    people = resolve_people("me@x.com", BERLIN, HOURS, ["bob@z.com"], NOBODY, [], [])
    assert not differ(people)
    assert people[0].hours.length == timedelta(hours=9)


@pytest.mark.parametrize(("given", "calendar"), [
    ("jp", JAPAN), ("JP", JAPAN), ("Japan", JAPAN), ("en.japanese", JAPAN), (JAPAN, JAPAN),
    ("uk", "en.uk#holiday@group.v.calendar.google.com"),
    ("us", "en.usa#holiday@group.v.calendar.google.com"),
    ("de", "en.german#holiday@group.v.calendar.google.com"),
])
def test_country_codes_names_and_ids(given, calendar):
    assert holiday_calendar_id(given) == calendar


@pytest.mark.parametrize(("zone", "word"), [
    ("Asia/Tokyo", "japanese"), ("Europe/Berlin", "german"), ("America/Los_Angeles", "usa"),
    ("Europe/London", "uk"), ("Asia/Kolkata", "indian"),
])
def test_a_zones_country_calendar(zone, word):
    assert zone_holiday_calendar(ZoneInfo(zone)) == f"en.{word}#holiday@group.v.calendar.google.com"
    assert zone_holiday_calendar(ZoneInfo("UTC")) is None
