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

Google requires a page token to come back with the same request parameters, and a model
paging through results easily drops one (say the search text). So ``p3`` tokens also carry the
listing's options: ``p3~<start>~<end>~<zone>!<flags>!<query>~<calendar entries>``, and the
window tuple then has five entries (start, end, zone, flags, query).
"""

from __future__ import annotations

import base64
import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from urllib.parse import quote, unquote

from gcal.errors import InvalidInputError
from gcal.times import parse_rfc3339

_VERSION = 1
_PREFIX = "p2~"
_PREFIX_WITH_OPTIONS = "p3~"
_SAFE = "@#.-_+=/:"


@dataclass(frozen=True)
class Cursor:
    google_token: str | None
    skip: int = 0


_MOMENT = re.compile(r"(-?\d+)(Z|[+-]\d+)")


def encode_token(cursors: dict[str, Cursor], window: tuple[str, ...]) -> str:
    moments, options = window[:2], window[2:]
    parts = [_compact_moment(moment) for moment in moments]
    if any(_expand_moment(part) != moment for part, moment in zip(parts, moments, strict=True)):
        return _encode_v1(cursors, window)  # a form the compact one cannot reproduce exactly
    if options:
        parts.append("!".join(_escape(option) for option in options))
    parts += [
        f"{_escape(cal)}!{c.skip}!{_escape(c.google_token or '')}"
        for cal, c in cursors.items()
    ]
    return (_PREFIX_WITH_OPTIONS if options else _PREFIX) + "~".join(parts)


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


def _encode_v1(cursors: dict[str, Cursor], window: tuple[str, ...]) -> str:
    payload = {
        "v": _VERSION,
        "w": list(window),
        "c": {cal: [c.google_token, c.skip] for cal, c in cursors.items()},
    }
    raw = json.dumps(payload, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _escape(text: str) -> str:
    return quote(text, safe=_SAFE).replace("~", "%7E")  # quote() never escapes "~"


def decode_token(token: str) -> tuple[dict[str, Cursor], tuple[str, ...]]:
    if token.startswith(_PREFIX_WITH_OPTIONS):
        return _decode_v2(token[len(_PREFIX_WITH_OPTIONS):], with_options=True)
    if token.startswith(_PREFIX):
        return _decode_v2(token[len(_PREFIX):], with_options=False)
    return _decode_v1(token)


def _decode_v2(body: str, *, with_options: bool) -> tuple[dict[str, Cursor], tuple[str, ...]]:
    try:
        start, end, *entries = body.split("~")
        window: tuple[str, ...] = (_expand_moment(start), _expand_moment(end))
        if with_options:
            options = entries.pop(0).split("!")
            if len(options) != 3:
                raise ValueError("options")
            window += tuple(unquote(option) for option in options)
        cursors = {}
        for entry in entries:
            cal, skip, google = entry.split("!")
            cursors[unquote(cal)] = Cursor(unquote(google) or None, int(skip))
        if not cursors:
            raise ValueError("no calendars")
        return cursors, window
    except (ValueError, OverflowError, OSError, IndexError) as exc:
        raise _bad_token() from exc


def _bad_token() -> InvalidInputError:
    return InvalidInputError(
        "page_token",
        "not a token this tool returned; omit page_token to start from the first page",
    )


def _decode_v1(token: str) -> tuple[dict[str, Cursor], tuple[str, ...]]:
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
        window = tuple(str(part) for part in payload["w"])
        if len(window) not in (2, 5):
            raise ValueError("window")
        return cursors, window
    except (ValueError, KeyError, TypeError, json.JSONDecodeError) as exc:
        raise _bad_token() from exc
