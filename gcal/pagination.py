"""Stateless page tokens for a listing merged from several calendars.

A token records, per calendar still holding events, the Google page token to restart from and
how many items of that page were already shown. Restarting re-reads at most one page per
calendar, and needs no server-side state (Dify runs several plugin workers).

The model reads and copies the token, so it is plain text rather than base64 of JSON (which
wrapped Google's own base64 token a second time and cost ~2× the tokens):
``p2~<start>~<end>~<calendar>!<skip>!<google token>[~…]``, start and end as Unix time plus
their offset in minutes (``1795993200+60``) or ``Z``, so the exact timeMin/timeMax strings
come back (Google rejects a page token sent with other parameters); each calendar and Google
token percent-encoded so ``~`` and ``!`` only ever separate.
"""

from __future__ import annotations

import base64
import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from urllib.parse import quote, unquote

from gcal.errors import InvalidInputError

_VERSION = 1
_PREFIX = "p2~"
_SAFE = "@#.-_+=/:"


@dataclass(frozen=True)
class Cursor:
    google_token: str | None
    skip: int = 0


_MOMENT = re.compile(r"(-?\d+)(Z|[+-]\d+)")


def encode_token(cursors: dict[str, Cursor], window: tuple[str, str]) -> str:
    parts = [_compact_moment(moment) for moment in window]
    if any(_expand_moment(part) != moment for part, moment in zip(parts, window, strict=True)):
        return _encode_v1(cursors, window)  # a form the compact one cannot reproduce exactly
    parts += [
        f"{_escape(cal)}!{c.skip}!{_escape(c.google_token or '')}"
        for cal, c in cursors.items()
    ]
    return _PREFIX + "~".join(parts)


def _compact_moment(moment: str) -> str:
    parsed = datetime.fromisoformat(moment.replace("Z", "+00:00"))
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


def _encode_v1(cursors: dict[str, Cursor], window: tuple[str, str]) -> str:
    payload = {
        "v": _VERSION,
        "w": list(window),
        "c": {cal: [c.google_token, c.skip] for cal, c in cursors.items()},
    }
    raw = json.dumps(payload, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _escape(text: str) -> str:
    return quote(text, safe=_SAFE).replace("~", "%7E")  # quote() never escapes "~"


def decode_token(token: str) -> tuple[dict[str, Cursor], tuple[str, str]]:
    if token.startswith(_PREFIX):
        return _decode_v2(token)
    return _decode_v1(token)


def _decode_v2(token: str) -> tuple[dict[str, Cursor], tuple[str, str]]:
    try:
        start, end, *entries = token[len(_PREFIX):].split("~")
        window = (_expand_moment(start), _expand_moment(end))
        cursors = {}
        for entry in entries:
            cal, skip, google = entry.split("!")
            cursors[unquote(cal)] = Cursor(unquote(google) or None, int(skip))
        if not cursors:
            raise ValueError("no calendars")
        return cursors, (window[0], window[1])
    except (ValueError, OverflowError, OSError) as exc:
        raise _bad_token() from exc


def _bad_token() -> InvalidInputError:
    return InvalidInputError(
        "page_token",
        "not a token this tool returned; omit page_token to start from the first page",
    )


def _decode_v1(token: str) -> tuple[dict[str, Cursor], tuple[str, str]]:
    """The earlier base64-of-JSON form, still accepted."""
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        payload = json.loads(raw)
        if payload.get("v") != _VERSION:
            raise ValueError("version")
        cursors = {
            str(cal): Cursor(google or None, int(skip))
            for cal, (google, skip) in payload["c"].items()
        }
        start, end = payload["w"]
        return cursors, (str(start), str(end))
    except (ValueError, KeyError, TypeError, json.JSONDecodeError) as exc:
        raise _bad_token() from exc
