"""Stateless page tokens for a listing merged from several calendars.

A token records, per calendar still holding events, the Google page token to restart from and
how many items of that page were already shown. Restarting re-reads at most one page per
calendar, and needs no server-side state (Dify runs several plugin workers).
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass

from gcal.errors import InvalidInputError

_VERSION = 1


@dataclass(frozen=True)
class Cursor:
    google_token: str | None
    skip: int = 0


def encode_token(cursors: dict[str, Cursor], window: tuple[str, str]) -> str:
    payload = {
        "v": _VERSION,
        "w": list(window),
        "c": {cal: [c.google_token, c.skip] for cal, c in cursors.items()},
    }
    raw = json.dumps(payload, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_token(token: str) -> tuple[dict[str, Cursor], tuple[str, str]]:
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
        raise InvalidInputError(
            "page_token",
            "not a token this tool returned; omit page_token to start from the first page",
        ) from exc
