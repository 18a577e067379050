"""PRIVACY.md lists the Google endpoints the plugin really calls, and says where exports go."""

from __future__ import annotations

import re
from pathlib import Path

from gcal.google._endpoints import _PRODUCTION

REPO = Path(__file__).resolve().parents[2]
PRIVACY = " ".join((REPO / "PRIVACY.md").read_text("utf-8").split())
DESTINATIONS = PRIVACY[PRIVACY.index("## Where data goes"):]
DESTINATIONS = DESTINATIONS[:DESTINATIONS.index("## ", 3)]
LISTED_URLS = set(re.findall(r"`(https://[^`{]+?)(?:/\{[^`]*)?`", DESTINATIONS))


def _plugin_code() -> str:
    files = [*REPO.glob("gcal/**/*.py"), *REPO.glob("provider/*.py"), *REPO.glob("tools/*.py"),
             REPO / "main.py"]
    return "\n".join(path.read_text("utf-8") for path in files
                     if path.name != "_endpoints.py")


def _called(function: str) -> bool:
    code = _plugin_code()
    return bool(re.search(rf"(?<!def )\b{function}\(", code))


def _mentions(url: str) -> bool:
    return any(listed.startswith(url) for listed in LISTED_URLS)


def _endpoint(name: str) -> str | None:
    """A production endpoint URL, or None once the plugin no longer declares it."""
    return getattr(_PRODUCTION, name, None)


def test_every_listed_url_is_a_google_endpoint_of_the_plugin() -> None:
    known = tuple(url for url in (_endpoint("auth_url"), _endpoint("token_url"),
                                  _endpoint("revoke_url"), _PRODUCTION.calendar_base + "/",
                                  _endpoint("batch_url")) if url)
    assert LISTED_URLS, "PRIVACY.md lists no endpoint"
    unknown = [url for url in LISTED_URLS if not url.startswith(known)]
    assert not unknown, unknown


def test_revoke_and_batch_are_listed_only_when_called() -> None:
    revoke, batch = _endpoint("revoke_url"), _endpoint("batch_url")
    assert _mentions(revoke or "https://oauth2.googleapis.com/revoke") == (
        bool(revoke) and _called("revoke"))
    assert _mentions(batch or "https://www.googleapis.com/batch") == (
        bool(batch) and "batch_url" in _plugin_code())


def test_oauth_and_calendar_endpoints_are_listed() -> None:
    for url in (_PRODUCTION.auth_url, _PRODUCTION.token_url,
                _PRODUCTION.calendar_base + "/freeBusy",
                _PRODUCTION.calendar_base + "/users/me/calendarList"):
        assert _mentions(url), url


def test_exports_are_said_to_go_to_difys_file_storage() -> None:
    if (REPO / "tools" / "export_events_ics.yaml").exists():
        assert "Dify's file storage" in PRIVACY
