"""Stand-ins for the core's client in unit tests that need no emulator."""

from __future__ import annotations


class ListingTransport:
    """Answers every GET with the same `items` and records the calls."""

    def __init__(self, items):
        self.items, self.calls = items, []

    def get(self, path, params=None):
        self.calls.append((path, params))
        return {"items": self.items}


class ListingClient:
    def __init__(self, items):
        self.transport = ListingTransport(items)
