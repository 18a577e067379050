"""A realistic demo dataset (used by ``python -m tests.emulator --seed demo`` and tests)."""

from __future__ import annotations

import hashlib
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

if TYPE_CHECKING:
    from .server import GoogleEmulator

DEMO_USER = "demo@example.com"
DEMO_TZ = "Europe/Berlin"
DEMO_CLIENT_ID = "demo-client.apps.googleusercontent.com"
DEMO_CLIENT_SECRET = "GOCSPX-demo-secret"
HOLIDAY_CALENDAR_ID = "en.german#holiday@group.v.calendar.google.com"
_B32HEX = "0123456789abcdefghijklmnopqrstuv"


def demo_id(label: str, length: int = 26) -> str:
    """A fixed id per demo object, so the ids shown in the console survive restarts
    (base32hex, like Google's event ids)."""
    digest = hashlib.sha256(b"demo:" + label.encode()).digest()
    return "".join(_B32HEX[b % 32] for b in digest[:length])


def demo_calendar_id(label: str) -> str:
    return f"c_{demo_id(label)}@group.calendar.google.com"


def seed_demo(emu: GoogleEmulator, today: date | None = None) -> dict[str, Any]:
    """Seed the demo dataset; returns ids and credentials for the demo console."""
    tz = ZoneInfo(DEMO_TZ)
    today = today or emu.now().astimezone(tz).date()
    monday = today - timedelta(days=today.weekday())

    def at(day: date, hh: int, mm: int = 0) -> str:
        return datetime.combine(day, time(hh, mm), tz).isoformat()

    def timed(day: date, hh: int, mm: int, minutes: int) -> dict[str, Any]:
        start = datetime.combine(day, time(hh, mm), tz)
        return {
            "start": {"dateTime": start.isoformat(), "timeZone": DEMO_TZ},
            "end": {"dateTime": (start + timedelta(minutes=minutes)).isoformat(),
                    "timeZone": DEMO_TZ},
        }

    def add_event(calendar_id: str, body: dict[str, Any], **options: Any) -> None:
        emu.add_event(calendar_id, {"id": demo_id(body["summary"]), **body}, **options)

    emu.add_user(DEMO_USER, DEMO_TZ, name="Demo User")
    emu.add_user("anna@example.com", DEMO_TZ, name="Anna Schmidt")
    emu.add_user("ben@example.com", "America/New_York", name="Ben Carter")
    emu.register_client(DEMO_CLIENT_ID, DEMO_CLIENT_SECRET)
    work = emu.add_calendar(DEMO_USER, "Work", DEMO_TZ, demo_calendar_id("work"))
    family = emu.add_calendar(DEMO_USER, "Family", DEMO_TZ, demo_calendar_id("family"),
                              color_id="7")
    emu.add_calendar("anna@example.com", "Team Offsite", DEMO_TZ,
                     calendar_id="team-offsite@group.calendar.google.com")
    emu.share_calendar("team-offsite@group.calendar.google.com", DEMO_USER, "reader")
    emu.subscribe_holidays(DEMO_USER, {(monday + timedelta(days=7)).isoformat():
                                       "Public holiday (demo)"},
                           calendar_id=HOLIDAY_CALENDAR_ID, summary="Holidays in Germany",
                           time_zone=DEMO_TZ)

    add_event(DEMO_USER, {
        "summary": "Daily stand-up", "location": "Room 4.12",
        **timed(monday, 9, 30, 15),
        "recurrence": ["RRULE:FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR"],
        "attendees": [{"email": DEMO_USER, "responseStatus": "accepted"},
                      {"email": "anna@example.com"}, {"email": "ben@example.com"}],
    }, propagate=False)
    add_event(DEMO_USER, {
        "summary": "Quarterly planning", "description": "Agenda: roadmap, hiring, budget.",
        **timed(monday + timedelta(days=1), 14, 0, 90),
        "attendees": [{"email": DEMO_USER, "responseStatus": "accepted"},
                      {"email": "anna@example.com", "responseStatus": "accepted"},
                      {"email": "ben@example.com", "responseStatus": "tentative"},
                      {"email": "carol@partner.example.org", "optional": True}],
        "conferenceData": {"createRequest": {"requestId": "demo-planning",
                                             "conferenceSolutionKey": {"type": "hangoutsMeet"}}},
        "reminders": {"useDefault": False, "overrides": [{"method": "popup", "minutes": 15}]},
    })
    add_event(work, {"summary": "Code review", **timed(monday + timedelta(days=2), 11, 0, 60),
                         "colorId": "9"})
    add_event(work, {"summary": "Focus time", **timed(monday + timedelta(days=3), 13, 0, 120),
                         "transparency": "transparent"})
    add_event(family, {"summary": "Mum's birthday",
                           "start": {"date": (monday + timedelta(days=5)).isoformat()},
                           "end": {"date": (monday + timedelta(days=6)).isoformat()}})
    add_event(DEMO_USER, {"summary": "Conference trip to Lisbon",
                              "start": {"date": (monday + timedelta(days=3)).isoformat()},
                              "end": {"date": (monday + timedelta(days=5)).isoformat()},
                              "location": "Lisbon, Portugal"})
    add_event(DEMO_USER, {"summary": "Lunch with Anna", "location": "Café Central",
                              "start": {"dateTime": at(today, 12, 30)},
                              "end": {"dateTime": at(today, 13, 30)},
                              "attendees": [{"email": "anna@example.com"}]})
    add_event("team-offsite@group.calendar.google.com", {
        "summary": "Team offsite", **timed(monday + timedelta(days=4), 10, 0, 360),
        "location": "Lake Wannsee"})
    token = emu.issue_token(DEMO_USER, expires_in=30 * 24 * 3600)
    refresh = emu.issue_refresh_token(DEMO_USER, DEMO_CLIENT_ID)
    return {
        "user": DEMO_USER,
        "client_id": DEMO_CLIENT_ID,
        "client_secret": DEMO_CLIENT_SECRET,
        "access_token": token,
        "refresh_token": refresh,
        "calendars": {"primary": DEMO_USER, "work": work, "family": family,
                      "holidays": HOLIDAY_CALENDAR_ID,
                      "offsite": "team-offsite@group.calendar.google.com"},
    }
