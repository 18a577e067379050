"""Google endpoint URLs, with the ``GOOGLE_CALENDAR_EMULATOR_HOST`` switch.

When the variable is set to ``host:port`` every Google host is replaced by
``http://host:port`` and the paths stay the same, following Google's own
``*_EMULATOR_HOST`` convention. It is read on every call, never cached, so tests
and the local demo can flip it at run time.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass

EMULATOR_HOST_ENV = "GOOGLE_CALENDAR_EMULATOR_HOST"

_AUTH_PATH = "/o/oauth2/v2/auth"
_TOKEN_PATH = "/token"
_REVOKE_PATH = "/revoke"
_CALENDAR_PATH = "/calendar/v3"
_BATCH_PATH = "/batch/calendar/v3"

_HOST_PORT = re.compile(
    r"(?:[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?|\[[0-9A-Fa-f:.]+\])(?::(\d{1,5}))?"
)


@dataclass(frozen=True)
class Endpoints:
    auth_url: str
    token_url: str
    revoke_url: str
    calendar_base: str
    batch_url: str


_PRODUCTION = Endpoints(
    auth_url="https://accounts.google.com" + _AUTH_PATH,
    token_url="https://oauth2.googleapis.com" + _TOKEN_PATH,
    revoke_url="https://oauth2.googleapis.com" + _REVOKE_PATH,
    calendar_base="https://www.googleapis.com" + _CALENDAR_PATH,
    batch_url="https://www.googleapis.com" + _BATCH_PATH,
)


def google_endpoints() -> Endpoints:
    """Endpoints to use right now: production, or the emulator if the variable is set."""
    host = os.environ.get(EMULATOR_HOST_ENV, "").strip()
    if not host:
        return _PRODUCTION
    origin = "http://" + _validated_host(host)
    return Endpoints(
        auth_url=origin + _AUTH_PATH,
        token_url=origin + _TOKEN_PATH,
        revoke_url=origin + _REVOKE_PATH,
        calendar_base=origin + _CALENDAR_PATH,
        batch_url=origin + _BATCH_PATH,
    )


def _validated_host(value: str) -> str:
    match = _HOST_PORT.fullmatch(value)
    port = match and match.group(1)
    if not match or (port is not None and not 0 < int(port) < 65536):
        raise ValueError(
            f"{EMULATOR_HOST_ENV} must be a plain host:port such as localhost:8085 "
            f"(no scheme or path), got {value!r}"
        )
    return value
