"""Stateless page tokens for a listing merged from several calendars.

A token records, per calendar still holding events, the Google page token to restart from and
how many items of that page were already shown. Restarting re-reads at most one page per
calendar, and needs no server-side state (Dify runs several plugin workers).

Google requires a page token to come back with the same request parameters, and a model
paging through results easily drops one (say the search text), so the token also carries the
listing's window and options. The model reads and copies the token, so it is plain text, one
format only (tokens live minutes, so no older format is kept)::

    p3~<start>~<end>~<zone>!<flags>!<query>~<calendar>!<skip>!<google token>[~…]

start and end as Unix time plus their offset in minutes (``1795993200+60``) or ``Z``, so the
exact timeMin/timeMax strings come back; every text part percent-encoded so ``~`` and ``!``
only ever separate.

A token is input like any other: it is bounded (``MAX_TOKEN_CHARS``, ``MAX_TOKEN_CALENDARS``)
and refused over the bounds before anything is parsed or requested, so a forged one cannot make
the plugin send hundreds of requests.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from urllib.parse import quote, unquote

from gcal.dates.times import parse_rfc3339
from gcal.errors import InvalidInputError

_PREFIX = "p3~"
_SAFE = "@#.-_+=/:"
_OPTIONS = 3  # zone, flags, query
# A listing reads at most this many calendars (gcal.events.reading), so no real token lists more.
MAX_TOKEN_CALENDARS = 100
MAX_TOKEN_CHARS = 64_000
MAX_SKIP = 2500  # items already shown of one Google page, which holds at most 2,500
_MOMENT = re.compile(r"(-?\d{1,12})(Z|[+-]\d{1,4})")


@dataclass(frozen=True)
class Cursor:
    google_token: str | None
    skip: int = 0


def encode_token(cursors: dict[str, Cursor], window: tuple[str, ...]) -> str:
    """``window`` = (timeMin, timeMax, zone, flags, query) exactly as sent to Google."""
    start, end, *options = window
    parts = [_compact_moment(start), _compact_moment(end),
             "!".join(_escape(option) for option in options)]
    parts += [f"{_escape(cal)}!{c.skip}!{_escape(c.google_token or '')}"
              for cal, c in cursors.items()]
    return _PREFIX + "~".join(parts)


def decode_token(token: str) -> tuple[dict[str, Cursor], tuple[str, ...]]:
    if len(token) > MAX_TOKEN_CHARS or not token.startswith(_PREFIX):
        raise _bad_token()
    try:
        start, end, options, *entries = token[len(_PREFIX):].split("~")
        if not 0 < len(entries) <= MAX_TOKEN_CALENDARS:
            raise ValueError("calendars")
        window = (_expand_moment(start), _expand_moment(end),
                  *(unquote(option) for option in _exactly(options.split("!"), _OPTIONS)))
        cursors = {}
        for entry in entries:
            cal, skip, google = _exactly(entry.split("!"), 3)
            if not (skip.isdigit() and len(skip) <= 4 and int(skip) <= MAX_SKIP):
                raise ValueError("skip")
            cursors[unquote(cal)] = Cursor(unquote(google) or None, int(skip))
        return cursors, window
    except (ValueError, OverflowError, OSError) as exc:
        raise _bad_token() from exc


def _exactly(parts: list[str], count: int) -> list[str]:
    if len(parts) != count:
        raise ValueError("parts")
    return parts


def _compact_moment(moment: str) -> str:
    parsed = parse_rfc3339(moment)
    if moment.endswith("Z"):
        return f"{int(parsed.timestamp())}Z"
    minutes = int(parsed.utcoffset().total_seconds() // 60)
    return f"{int(parsed.timestamp())}{minutes:+d}"


def _expand_moment(text: str) -> str:
    match = _MOMENT.fullmatch(text)
    if not match:
        raise ValueError(text)
    seconds, zone = int(match.group(1)), match.group(2)
    if zone == "Z":
        return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    offset = timedelta(minutes=int(zone))
    local = datetime.fromtimestamp(seconds, timezone(offset))
    sign, rest = ("-", -offset) if offset < timedelta(0) else ("+", offset)
    hours, minutes = divmod(int(rest.total_seconds()) // 60, 60)
    return local.strftime("%Y-%m-%dT%H:%M:%S") + f"{sign}{hours:02d}:{minutes:02d}"


def _escape(text: str) -> str:
    return quote(text, safe=_SAFE).replace("~", "%7E")  # quote() never escapes "~"


def _bad_token() -> InvalidInputError:
    return InvalidInputError(
        "page_token",
        "not a token this tool returned (or damaged in copying); omit page_token to start "
        "from the first page",
    )
