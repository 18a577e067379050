"""In-memory state of the fake Google: users, calendars, ACL memberships, events, tokens."""

from __future__ import annotations

import itertools
import secrets
import string
import threading
import time
from dataclasses import dataclass, field
from typing import Any

ROLE_RANK = {"freeBusyReader": 0, "reader": 1, "writer": 2, "owner": 3}
COLOR_BY_ID = {
    "1": "#ac725e", "2": "#d06b64", "3": "#f83a22", "4": "#fa573c", "5": "#fa573c",
    "6": "#ffad46", "7": "#42d692", "8": "#16a765", "9": "#7bd148", "10": "#b3dc6c",
    "11": "#fbe983", "12": "#fad165", "13": "#92e1c0", "14": "#9fe1e7", "15": "#9fc6e7",
    "16": "#4986e7", "17": "#9a9cff", "18": "#b99aff", "19": "#c2c2c2", "20": "#cabdbf",
    "21": "#cca6ac", "22": "#f691b2", "23": "#cd74e6", "24": "#a47ae2",
}

_B32HEX = "0123456789abcdefghijklmnopqrstuv"


def random_id(n: int = 26) -> str:
    return "".join(secrets.choice(_B32HEX) for _ in range(n))


def random_token(prefix: str, n: int = 60) -> str:
    alphabet = string.ascii_letters + string.digits + "-_"
    return prefix + "".join(secrets.choice(alphabet) for _ in range(n))


@dataclass
class User:
    email: str
    time_zone: str
    name: str | None = None


@dataclass
class Calendar:
    id: str
    owner: str
    summary: str
    time_zone: str
    description: str | None = None
    location: str | None = None
    etag: str = ""
    default_reminders: list[dict[str, Any]] = field(default_factory=list)
    events: dict[str, dict[str, Any]] = field(default_factory=dict)  # insertion-ordered
    primary: bool = False


@dataclass
class Membership:
    """A calendarList entry: one user's view of / access to one calendar."""

    calendar_id: str
    email: str
    access_role: str
    hidden: bool = False
    selected: bool = True
    summary_override: str | None = None
    color_id: str = "14"
    etag: str = ""


@dataclass
class AccessToken:
    token: str
    email: str
    scopes: list[str]
    expires_at: float
    client_id: str | None = None
    refresh_token: str | None = None
    revoked: bool = False


@dataclass
class RefreshToken:
    token: str
    email: str
    client_id: str
    scopes: list[str]
    revoked: bool = False


@dataclass
class AuthCode:
    code: str
    client_id: str
    email: str
    redirect_uri: str
    scopes: list[str]
    code_challenge: str | None
    code_challenge_method: str | None
    access_type: str
    expires_at: float
    used: bool = False


@dataclass
class Client:
    client_id: str
    client_secret: str
    redirect_uris: list[str] | None = None


class State:
    """All mutable emulator state; guard every access with ``self.lock``."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self._etag_counter = itertools.count(1)
        self._past_secrets: set[str] = set()
        self.clear()

    def known_secrets(self) -> set[str]:
        """Every credential this emulator ever issued or received, across resets."""
        current = {c.client_secret for c in getattr(self, "clients", {}).values()}
        for issued in ("access_tokens", "refresh_tokens", "codes"):
            current.update(getattr(self, issued, {}))
        return self._past_secrets | current

    def remember_secrets(self, *values: str | None) -> None:
        self._past_secrets.update(v for v in values if v)

    def clear(self) -> None:
        self._past_secrets = self.known_secrets()
        self.users: dict[str, User] = {}
        self.calendars: dict[str, Calendar] = {}
        self.memberships: dict[tuple[str, str], Membership] = {}
        self.freebusy_private: set[str] = set()
        # Whether Google's calendar-list entry of a calendar shared free/busy-only carries
        # its timeZone: not settled by public docs (CalendarListEntry.timeZone is documented
        # without an exception), so both are modelled.
        self.free_busy_reader_zone = True
        self.clients: dict[str, Client] = {}
        self.access_tokens: dict[str, AccessToken] = {}
        self.refresh_tokens: dict[str, RefreshToken] = {}
        self.codes: dict[str, AuthCode] = {}

    # ------------------------------------------------------------------ helpers
    def new_etag(self) -> str:
        return f'"{int(time.time() * 1000) * 1000 + next(self._etag_counter) % 1000}"'

    def new_event_etag(self) -> str:
        # Strictly increasing, Google-looking etag.
        return f'"{int(time.time() * 1000)}{next(self._etag_counter):06d}"'

    def resolve_calendar_id(self, calendar_id: str, email: str | None) -> str:
        if calendar_id == "primary" and email:
            return email
        return calendar_id

    def membership(self, email: str | None, calendar_id: str) -> Membership | None:
        if email is None:
            return None
        return self.memberships.get((email, calendar_id))

    def user_memberships(self, email: str) -> list[Membership]:
        return [m for (e, _), m in self.memberships.items() if e == email]
