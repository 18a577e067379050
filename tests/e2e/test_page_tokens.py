"""Forged page tokens through the real plugin process: bounded before any request."""

from __future__ import annotations

import pytest

from tests.plugin_process import PluginInvokeError

WINDOW = "p3~1780264800+120~1780869600Z~Europe%2FBerlin!!"


def _forged(calendars: int) -> str:
    entries = "~".join(f"cal{n}%40example.com!0!" for n in range(calendars))
    return f"{WINDOW}~{entries}"


def _calendar_requests(emu) -> list:
    return [r for r in emu.requests if r.path.startswith("/calendar/v3/calendars/")]


@pytest.mark.parametrize("token", [_forged(300), "p3~" + "9" * 70_000],
                         ids=["300 calendars", "70,000 characters"])
def test_a_forged_token_is_refused_before_any_request(token, plugin, emu, oauth_creds):
    with pytest.raises(PluginInvokeError) as error:
        plugin.invoke_tool("list_events", {"page_token": token}, oauth_creds)
    assert error.value.error_type == "InvalidInputError"
    assert "page_token" in error.value.message and "omit page_token" in error.value.message
    assert _calendar_requests(emu) == []
