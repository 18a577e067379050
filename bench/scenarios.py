"""One or more benchmark scenarios per tool, with the round trips each one cannot avoid.

``rounds`` is the number of *sequential* round trips to Google that a correct, warmed-up
implementation needs (the primary calendar's time zone is cached per credential; requests
sent concurrently count once); ``requests`` the number of requests it needs in total. The
latency ideal is ``rounds`` × the emulator's latency. A scenario's ``params`` builds the
parameters of repetition ``rep`` and may seed the emulator directly (never counted).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bench.world import COLLEAGUES, TEAM, TEAM_ZONES, World

Params = Callable[[World, int], dict[str, Any]]


@dataclass(frozen=True)
class Scenario:
    tool: str
    label: str
    params: Params
    rounds: int
    requests: int | None = None  # default: same as rounds
    why: str = ""
    credential: str = "oauth2"  # or "manual" (client id/secret + refresh token)
    cold_lookups: int = 0  # calendar-list entries cached after the first call, besides the zone

    @property
    def expected_requests(self) -> int:
        return self.rounds if self.requests is None else self.requests

    @property
    def name(self) -> str:
        return f"{self.tool} ({self.label})" if self.label else self.tool


def _ids(world: World, *roles: str) -> str:
    return ", ".join(world.calendars[role] for role in roles)


def _listing(world: World, count: int, **extra: Any) -> dict[str, Any]:
    start, end = world.listing_window
    return {"time_min": start, "time_max": end, "max_results": count, **extra}


def _create(world: World, rep: int, **extra: Any) -> dict[str, Any]:
    start, end = world.fresh_slot()
    return {"summary": f"Bench planning {rep}", "start": start, "end": end,
            "location": "Room 4.12", **extra}


def _team_search(world: World, **extra: Any) -> dict[str, Any]:
    start, end = world.team_window()
    return {"duration_minutes": 60, "attendees": ", ".join(TEAM), "time_min": start,
            "time_max": end, **extra}


def _own(world: World) -> str:
    return world.own_event()["id"]


SCENARIOS: tuple[Scenario, ...] = (
    Scenario("get_current_time", "user's zone", lambda w, r: {}, 0,
             why="the zone comes from the calendar list, cached per account"),
    Scenario("list_calendars", "", lambda w, r: {}, 1,
             why="asked afresh on purpose (it also refreshes the cached list)"),
    Scenario("list_events", "primary, 10 events",
             lambda w, r: _listing(w, 10, calendar_ids="primary"), 1),
    Scenario("list_events", "primary, 50 events",
             lambda w, r: _listing(w, 50, calendar_ids="primary"), 1),
    Scenario("list_events", "default: the 4 shown calendars", lambda w, r: _listing(w, 25),
             1, 4, why="one request per shown calendar, sent concurrently"),
    Scenario("list_events", "3 calendars by id",
             lambda w, r: _listing(w, 25, calendar_ids=_ids(w, "primary", "work", "team")),
             1, 3, why="one request per calendar, sent concurrently"),
    Scenario("list_events", "primary + Team Offsite by name",
             lambda w, r: _listing(w, 25, calendar_ids="primary, Team Offsite"), 1, 2,
             why="names resolve from the cached calendar list; both calendars concurrently"),
    Scenario("list_events", "all calendars",
             lambda w, r: _listing(w, 25, calendar_ids="all"), 1, 4,
             why="4 calendars concurrently (the list is cached)"),
    Scenario("list_events", "manual credential",
             lambda w, r: _listing(w, 10, calendar_ids="primary"), 1,
             credential="manual", why="access token minted once, then cached"),
    Scenario("get_event", "", lambda w, r: {"event_id": w.listed[r % 10]["id"]}, 1),
    Scenario("find_free_slots", "busy calendars + 2 people",
             lambda w, r: {"duration_minutes": 30, "attendees": ", ".join(COLLEAGUES[:2]),
                           "time_min": w.listing_window[0], "time_max": w.listing_window[1]},
             1, 4, why="one freeBusy query for the user's busy calendars and everyone; "
             "alongside it, one status-event read per primary calendar (yours and each "
             "person's) to say what focus time or out of office blocks"),
    Scenario("find_free_slots", "5 people, one zone, 5 days",
             lambda w, r: _team_search(w), 1, 6,
             why="one freeBusy query for everyone; alongside it, the five status-event reads"),
    Scenario("find_free_slots", "5 people in 5 zones, 5 days",
             lambda w, r: _team_search(w, attendee_time_zones=", ".join(
                 f"{email}={zone}" for email, zone in zip(TEAM, TEAM_ZONES, strict=True))),
             1, 6, why="the same round: zones given in the call need no lookup; no hour fits "
             "New York, Los Angeles, Berlin, Kolkata and Tokyo, so the least-bad are computed"),
    Scenario("export_events_ics", "single events",
             lambda w, r: {"time_min": w.listing_window[0], "time_max": w.listing_window[1],
                           "calendar_ids": "primary"}, 1),
    Scenario("export_events_ics", "with a recurring series",
             lambda w, r: {**dict(zip(("time_min", "time_max"), w.series_window(),
                                      strict=True)), "calendar_ids": "primary"},
             2, why="list, then the series' master event for its RRULE"),
    Scenario("import_events_ics", "50 new events",
             lambda w, r: {"file": w.ics_file(f"new-{r}", 50)}, 2,
             why="read before writing: one batch of 50 iCalUID lookups (Google may replace a "
                 "held iCalUID, docs/google-behaviour.md), then one batch of 50 events.import"),
    Scenario("import_events_ics", "same 50 events again",
             lambda w, r: {"file": w.imported_ics_file("again", 50)}, 1,
             why="one batch of iCalUID lookups shows nothing changed: nothing is written"),
    Scenario("create_event", "", _create, 2, 5,
             why="the duplicate check (same title and time) must precede the insert; the "
                 "overlap query on the other 3 busy calendars runs alongside the insert (the "
                 "target calendar's window is read once, for both checks)"),
    Scenario("create_event", "Meet + guests",
             lambda w, r: _create(w, r, add_google_meet=True,
                                  attendees=", ".join(COLLEAGUES[:2])), 2, 5,
             why="as above"),
    Scenario("quick_add_event", "",
             lambda w, r: {"text": f"Bench lunch {r} tomorrow 12:30-13:30"}, 2, 5,
             why="the duplicate check and the overlap check need the time Google parsed "
                 "from the text; they share one read of the calendar, in one round"),
    Scenario("update_event", "new title",
             lambda w, r: {"event_id": _own(w), "summary": f"Renamed {r}"}, 2,
             why="the etag is read first and sent as If-Match, so a concurrent edit is "
                 "detected instead of overwritten"),
    Scenario("update_event", "add a guest",
             lambda w, r: {"event_id": _own(w), "add_attendees": COLLEAGUES[2]}, 2,
             why="attendees are replaced as a whole: read them, then PATCH"),
    Scenario("delete_event", "", lambda w, r: {"event_id": _own(w)}, 2,
             why="by design the event is read first: the answer names what was deleted, "
                 "series vs instance is decided, an already deleted event is recognised"),
    Scenario("move_event", "",
             lambda w, r: {"event_id": _own(w), "destination_calendar_id": w.calendars["work"]},
             1, why="one move; the destination's access role comes from the cached list"),
    Scenario("respond_to_event", "accept",
             lambda w, r: {"event_id": w.invitation()["id"], "response": "accepted"}, 2,
             why="own attendee entry must be read before the attendees PATCH"),
)

# One fresh credential per scenario: the first call of each pays the calendar-list fetch (and
# for the manual credential the token exchange); every later call must not.
COLD_EXTRA = {"oauth2": 1, "manual": 2}


def calls_for_memory(world: World) -> list[tuple[str, dict[str, Any]]]:
    """A realistic mix of read calls (no growth of the dataset) for the RSS measurement."""
    start, end = world.listing_window
    return [
        ("list_events", {"time_min": start, "time_max": end, "max_results": 25}),
        ("get_event", {"event_id": world.listed[3]["id"]}),
        ("list_calendars", {}),
        ("find_free_slots", {"duration_minutes": 30, "time_min": start, "time_max": end}),
        ("get_current_time", {}),
        ("list_events", {"calendar_ids": "all", "time_min": start, "time_max": end}),
        ("export_events_ics", {"time_min": start, "time_max": end}),
    ]
