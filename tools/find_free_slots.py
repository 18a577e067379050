from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from gcal.dates.times import now_in
from gcal.errors import InvalidInputError
from gcal.events.calendars import Default, resolve_calendar_ids
from gcal.events.selection import time_window
from gcal.google.client import CalendarClient
from gcal.params import parse_emails, to_bool, to_int, to_str
from gcal.replies.build import Reply, slots_reply
from gcal.scheduling.availability import read_availability
from gcal.scheduling.people import differ, parse_per_person, people_of
from gcal.scheduling.slots import (
    SlotRules,
    check_fits,
    parse_working_days,
    parse_working_hours,
    search_window,
)
from gcal.scheduling.team import days_off, members_of, search_team
from tools import _base


class FindFreeSlotsTool(_base.CalendarTool):
    def answer(self, client: CalendarClient, parameters: Mapping[str, Any]) -> Reply:
        duration = _minutes(parameters, "duration_minutes", default=None, minimum=1)
        granularity = _minutes(parameters, "granularity_minutes", default=15, minimum=5)
        buffer = _minutes(parameters, "buffer_minutes", default=0, minimum=0)
        limit = to_int(parameters.get("max_results"), "max_results", default=10, minimum=1,
                       maximum=100)
        hours = parse_working_hours(to_str(parameters.get("working_hours"), "working_hours"))
        days = parse_working_days(to_str(parameters.get("working_days"), "working_days"))
        attendees = parse_emails(parameters.get("attendees"), "attendees")
        per_person = parse_per_person(parameters.get("attendee_time_zones"),
                                      parameters.get("attendee_working_hours"),
                                      parameters.get("attendee_holidays"))
        zone = client.zone_or_primary(to_str(parameters.get("time_zone"), "time_zone"))
        rules = SlotRules(timedelta(minutes=duration), zone, hours, days, granularity,
                          timedelta(minutes=buffer))
        start, end = search_window(
            *time_window(to_str(parameters.get("time_min"), "time_min"),
                         to_str(parameters.get("time_max"), "time_max"), zone),
            now=now_in(zone),
        )
        check_fits(rules, start, end)
        calendars = resolve_calendar_ids(
            client, to_str(parameters.get("calendar_ids"), "calendar_ids"), default=Default.BUSY)
        people = people_of(client, rules, attendees, per_person)
        # Default off, so a model that sends every boolean as false keeps holidays free.
        work_on_holidays = to_bool(parameters.get("work_on_holidays"), "work_on_holidays")
        found = read_availability(
            client, calendars.ids, attendees, start, end, zone,
            skip_holidays=not work_on_holidays,
            other_holidays=[p.holiday_calendar for p in people if p.holiday_calendar])
        skipped = days_off(people, found.holidays, rules, start, end)
        members = members_of(people, skipped, rules, start, end)
        search = search_team(found.free_busy.all_busy(), start, end, rules, members, limit,
                             offer_least_bad=differ(people))
        return slots_reply(search, rules, people, found.free_busy, found.holidays, skipped,
                           notes=found.notes, names=calendars.names)


def _minutes(parameters: Mapping[str, Any], name: str, *, default: int | None,
             minimum: int) -> int:
    value = to_int(parameters.get(name), name, default=default, minimum=minimum, maximum=1440)
    if value is None:
        raise InvalidInputError(name, "is required", "30")
    return value
