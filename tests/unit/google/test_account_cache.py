"""The per-account calendar-list cache is bounded in size and age (issue 11, suspected item:
"the calendar-entry cache never evicts")."""

from __future__ import annotations

import tracemalloc

from gcal.google import client as client_module
from gcal.google.account_cache import ExpiringLRU
from gcal.google.client import CalendarClient, CalendarList


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_least_recently_used_account_goes_first():
    cache: ExpiringLRU[str, int] = ExpiringLRU(2, ttl=60, clock=Clock())
    cache.put("a", 1)
    cache.put("b", 2)
    assert cache.get("a") == 1  # a is now the most recently used
    cache.put("c", 3)
    assert (cache.get("a"), cache.get("b"), cache.get("c")) == (1, None, 3)


def test_entries_expire():
    clock = Clock()
    cache: ExpiringLRU[str, int] = ExpiringLRU(10, ttl=60, clock=clock)
    cache.put("a", 1)
    clock.now = 59.9
    assert cache.get("a") == 1
    clock.now = 60.0
    assert cache.get("a") is None and len(cache) == 0


class ListingTransport:
    def __init__(self, calendars: int) -> None:
        self.calendars = calendars

    def get(self, path, params=None):
        return {"items": [{"id": f"cal{n}@group.calendar.google.com", "summary": f"Team {n}",
                           "timeZone": "Europe/Berlin", "accessRole": "writer",
                           "selected": True, "etag": "x" * 40, "colorId": "14",
                           "conferenceProperties": {"allowedConferenceSolutionTypes": ["x"]}}
                          for n in range(self.calendars)]}


def test_ten_thousand_accounts_stay_within_the_bound(monkeypatch):
    """10,000 distinct accounts with 5 calendars each: the cache keeps at most
    MAX_CACHED_ACCOUNTS of them, and its memory stays small (measured with tracemalloc)."""
    cache: ExpiringLRU[str, CalendarList] = ExpiringLRU(client_module.MAX_CACHED_ACCOUNTS,
                                                         ttl=client_module.CALENDAR_LIST_TTL)
    monkeypatch.setattr(client_module, "_calendar_lists", cache)
    transport = ListingTransport(5)
    tracemalloc.start()
    try:
        before = tracemalloc.take_snapshot()
        for account in range(10_000):
            CalendarClient(transport, f"account-{account}").calendar_list()
        after = tracemalloc.take_snapshot()
    finally:
        tracemalloc.stop()
    grown = sum(stat.size_diff for stat in after.compare_to(before, "filename"))
    assert len(cache) == client_module.MAX_CACHED_ACCOUNTS
    assert CalendarClient(transport, "account-9999").calendar_list().entries  # newest kept
    # Only the fields the plugin reads are kept: about 2 KiB per cached account.
    assert grown < client_module.MAX_CACHED_ACCOUNTS * 4 * 1024, grown
