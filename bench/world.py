"""The benchmark's Google account: calendars, a realistic week of events, and credentials.

Everything is seeded straight into the emulator (no HTTP), so seeding never counts as a
round trip. Windows do not overlap: the listing week (50 events in the primary calendar),
a recurring series for the export, and far-future days where per-repetition events of the
write scenarios (update, delete, move, respond) are created.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from tests.dify_files import FileServer

USER = "bench@example.com"
ZONE = "Europe/Berlin"
COLLEAGUES = ("anna@example.com", "ben@example.com", "chen@example.com")
# The user and four people: a team of five, spread over five zones in the cross-zone search.
TEAM = (*COLLEAGUES, "dev@example.com")
TEAM_ZONES = ("America/New_York", "America/Los_Angeles", "Asia/Tokyo", "Asia/Kolkata")
CLIENT_ID = "bench-client.apps.googleusercontent.com"
CLIENT_SECRET = "bench-client-secret"  # the emulator's, not a Google secret
LISTED_EVENTS = 50

_TITLES = (
    "Sprint planning", "1:1 with Anna", "Design review", "Customer call: Acme GmbH",
    "Lunch with Ben", "Budget sync", "Hiring panel", "Architecture deep-dive",
    "Release retro", "Dentist",
)
_PLACES = ("Room 4.12", "Café Central, Berlin", "HQ, Floor 3 - Orion", None, None)


@dataclass
class World:
    emu: Any
    zone: ZoneInfo
    first_day: date  # the listing week starts here (local midnight)
    calendars: dict[str, str]  # role -> calendar id
    calendar_names: dict[str, str]  # role -> name
    listed: list[dict] = field(default_factory=list)  # stored events of the listing week
    _days: itertools.count = field(default_factory=lambda: itertools.count(40))
    _files: FileServer | None = None
    _seeded: set[str] = field(default_factory=set)

    @property
    def listing_window(self) -> tuple[str, str]:
        start = datetime.combine(self.first_day, time(0), self.zone)
        return start.isoformat(), (start + timedelta(days=5)).isoformat()

    def team_window(self) -> tuple[str, str]:
        """Five days the week after the listing week: each team member has a meeting a day."""
        start = datetime.combine(self.first_day + timedelta(days=7), time(0), self.zone)
        return start.isoformat(), (start + timedelta(days=5)).isoformat()

    def series_window(self) -> tuple[str, str]:
        start = datetime.combine(self.first_day + timedelta(days=14), time(0), self.zone)
        return start.isoformat(), (start + timedelta(days=7)).isoformat()

    def fresh_slot(self) -> tuple[str, str]:
        """Start and end (local, with offset) on a day no other scenario uses."""
        day = self.first_day + timedelta(days=next(self._days))
        start = datetime.combine(day, time(10), self.zone)
        return start.isoformat(), (start + timedelta(minutes=30)).isoformat()

    def own_event(self, **extra: Any) -> dict:
        start, end = self.fresh_slot()
        body = {"summary": "Bench scratch event", "start": {"dateTime": start},
                "end": {"dateTime": end}, **extra}
        return self.emu.add_event(USER, body)

    def invitation(self) -> dict:
        """An event organised by a colleague with the user as guest (for RSVP)."""
        start, end = self.fresh_slot()
        organizer = COLLEAGUES[0]
        stored = self.emu.add_event(organizer, {
            "summary": "Invitation from Anna", "start": {"dateTime": start},
            "end": {"dateTime": end},
            "attendees": [{"email": organizer, "responseStatus": "accepted"},
                          {"email": USER}],
        })
        return stored

    def ics_file(self, name: str, count: int) -> dict:
        """A Dify file parameter for an .ics of `count` all-day events (UIDs from `name`),
        served like Dify's file URLs; the days lie beyond every other scenario's."""
        if self._files is None:
            self._files = FileServer()
        first = self.first_day + timedelta(days=2000)
        events = "".join(
            f"BEGIN:VEVENT\r\nUID:{name}-{n}@bench.example\r\nDTSTAMP:20260101T000000Z\r\n"
            f"DTSTART;VALUE=DATE:{first + timedelta(days=n):%Y%m%d}\r\n"
            f"SUMMARY:Term event {n}\r\nEND:VEVENT\r\n" for n in range(count))
        content = ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//bench//bench//EN\r\n"
                   f"{events}END:VCALENDAR\r\n").encode()
        return self._files.parameter(f"{name}.ics", content)

    def imported_ics_file(self, name: str, count: int) -> dict:
        """Like `ics_file`, with its events already in the calendar as an import left them
        (seeded once, straight into the emulator): importing it again changes nothing."""
        parameter = self.ics_file(name, count)
        if name not in self._seeded:
            self._seeded.add(name)
            first = self.first_day + timedelta(days=2000)
            for n in range(count):
                day = first + timedelta(days=n)
                self.emu.add_event(USER, {
                    "iCalUID": f"{name}-{n}@bench.example", "summary": f"Term event {n}",
                    "start": {"date": day.isoformat()},
                    "end": {"date": (day + timedelta(days=1)).isoformat()},
                    "transparency": "opaque"}, propagate=False)
        return parameter

    def oauth_credentials(self) -> dict[str, str]:
        """A new credential (own token pair): its first call pays the time-zone lookup."""
        return {"access_token": self.emu.issue_token(USER, expires_in=24 * 3600),
                "refresh_token": self.emu.issue_refresh_token(USER, CLIENT_ID)}

    def manual_credentials(self) -> dict[str, str]:
        return {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET,
                "refresh_token": self.emu.issue_refresh_token(USER, CLIENT_ID)}


def build_world(emu: Any) -> World:
    emu.reset()
    zone = ZoneInfo(ZONE)
    emu.add_user(USER, ZONE, name="Bench User")
    for email in TEAM:
        emu.add_user(email, ZONE, name=email.split("@")[0].title())
    emu.register_client(CLIENT_ID, CLIENT_SECRET)
    names = {"work": "Work", "family": "Family", "team": "Team Offsite"}
    calendars = {"primary": USER, "work": emu.add_calendar(USER, names["work"], ZONE),
                 "family": emu.add_calendar(USER, names["family"], ZONE, color_id="7")}
    calendars["team"] = emu.add_calendar(COLLEAGUES[0], names["team"], ZONE,
                                         calendar_id="team-offsite@group.calendar.google.com")
    emu.share_calendar(calendars["team"], USER, "writer")
    first_day = emu.now().astimezone(zone).date() + timedelta(days=2)
    world = World(emu, zone, first_day, calendars, names)
    world.listed = _seed_listing_week(world)
    _seed_other_calendars(world)
    _seed_series(world)
    _seed_team_week(world)
    return world


def _seed_listing_week(world: World) -> list[dict]:
    """50 events over five days: own meetings, invitations, Meet links, places, all-day."""
    emu, zone = world.emu, world.zone
    for number in range(LISTED_EVENTS):
        day = world.first_day + timedelta(days=number // 10)
        if number % 10 == 9:
            emu.add_event(USER, {"summary": f"Out of office ({number})",
                                 "start": {"date": day.isoformat()},
                                 "end": {"date": (day + timedelta(days=1)).isoformat()}})
            continue
        start = datetime.combine(day, time(8 + number % 10), zone)
        body: dict[str, Any] = {
            "summary": f"{_TITLES[number % len(_TITLES)]} #{number}",
            "start": {"dateTime": start.isoformat(), "timeZone": ZONE},
            "end": {"dateTime": (start + timedelta(minutes=45)).isoformat(), "timeZone": ZONE},
        }
        place = _PLACES[number % len(_PLACES)]
        if place:
            body["location"] = place
        if number % 3 == 0:
            body["conferenceData"] = {"createRequest": {
                "requestId": f"bench-{number}",
                "conferenceSolutionKey": {"type": "hangoutsMeet"}}}
        guests = [COLLEAGUES[number % 3], COLLEAGUES[(number + 1) % 3]]
        if number % 2:
            # An invitation: a colleague organises it, the user is a guest with an RSVP.
            body["attendees"] = [{"email": guests[0], "responseStatus": "accepted"},
                                 {"email": USER, "responseStatus": ("accepted", "tentative",
                                                                    "needsAction")[number % 3]}]
            emu.add_event(guests[0], body)
        else:
            body["attendees"] = [{"email": USER, "responseStatus": "accepted"},
                                 *({"email": g} for g in guests)]
            emu.add_event(USER, body, propagate=False)
    listed = [e for e in emu.stored_events(USER) if e.get("status") != "cancelled"]
    if len(listed) != LISTED_EVENTS:
        raise RuntimeError(f"seeded {len(listed)} listing events, expected {LISTED_EVENTS}")
    return listed


def _seed_other_calendars(world: World) -> None:
    for offset, role in enumerate(("work", "family", "team")):
        for hour in (9, 14):
            start = datetime.combine(world.first_day + timedelta(days=offset), time(hour, 30),
                                     world.zone)
            world.emu.add_event(world.calendars[role], {
                "summary": f"{world.calendar_names[role]} item {hour}",
                "start": {"dateTime": start.isoformat()},
                "end": {"dateTime": (start + timedelta(hours=1)).isoformat()},
            }, propagate=False)


def _seed_team_week(world: World) -> None:
    first = world.first_day + timedelta(days=7)
    for number, email in enumerate((USER, *TEAM)):
        for day in range(5):
            start = datetime.combine(first + timedelta(days=day), time(8 + (number + day) % 10),
                                     world.zone)
            world.emu.add_event(email, {
                "summary": f"Team week {number}.{day}", "start": {"dateTime": start.isoformat()},
                "end": {"dateTime": (start + timedelta(hours=1)).isoformat()},
            }, propagate=False)


def _seed_series(world: World) -> None:
    start = datetime.combine(world.first_day + timedelta(days=14), time(9, 30), world.zone)
    world.emu.add_event(USER, {
        "summary": "Daily stand-up", "location": "Room 4.12",
        "start": {"dateTime": start.isoformat(), "timeZone": ZONE},
        "end": {"dateTime": (start + timedelta(minutes=15)).isoformat(), "timeZone": ZONE},
        "recurrence": ["RRULE:FREQ=DAILY;COUNT=5"],
    }, propagate=False)
