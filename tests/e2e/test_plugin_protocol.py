"""The real plugin process speaks Dify's stdio protocol (harness smoke tests).

Tool-specific behaviour is tested elsewhere on top of the same harness.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import yaml

from tests.conftest import ALICE, ALICE_TIME_ZONE, REDIRECT_URI, TEST_CLIENT_ID
from tests.plugin_process import REPO_ROOT, PluginInvokeError, PluginProcess, ToolResult

KNOWN_MESSAGE_TYPES = {
    "text", "json", "variable", "blob", "link", "image", "image_link", "file", "log",
}


def _declared_tools() -> list[str]:
    provider = yaml.safe_load(Path(REPO_ROOT, "provider", "google_calendar.yaml").read_text())
    return [Path(p).stem for p in provider.get("tools") or []]


def _probe_tool() -> tuple[str, dict]:
    """A tool that answers without arguments: get_current_time, else list_calendars."""
    tools = _declared_tools()
    for name in ("get_current_time", "list_calendars"):
        if name in tools:
            return name, {}
    pytest.skip(f"no argument-free tool declared (tools: {tools})")
    raise AssertionError  # unreachable


def test_process_starts_and_declares_plugin(plugin: PluginProcess) -> None:
    assert plugin.alive
    assert plugin.declaration is not None, "no plugin declaration on stdout"
    assert plugin.declaration["name"] == "google_calendar"
    assert plugin.declaration["plugins"]["tools"] == ["provider/google_calendar.yaml"]
    assert plugin.heartbeats >= 1
    assert any("Installed tool: google_calendar" in log.get("message", "") for log in plugin.logs)


def test_tool_answers_through_protocol(plugin, emu, oauth_creds) -> None:
    tool, params = _probe_tool()
    result = plugin.invoke_tool(tool, params, oauth_creds)
    assert isinstance(result, ToolResult)
    assert result.messages, "the tool produced no messages"
    assert set(result.types) <= KNOWN_MESSAGE_TYPES
    assert result.agent_view.strip(), "an agent would read nothing"
    # The plugin reached the emulator (GOOGLE_CALENDAR_EMULATOR_HOST), not Google.
    assert any(r.path.startswith("/calendar/v3/") for r in emu.requests)
    if tool == "get_current_time":
        assert ALICE_TIME_ZONE in result.agent_view
    # Variables are for workflows; the agent does not read them.
    for name, value in result.variables.items():
        assert f"variable_name='{name}'" not in result.agent_view
        del value


def test_tool_error_surfaces_as_plugin_invoke_error(plugin, emu) -> None:
    tool, params = _probe_tool()
    bad_token = "ya29.not-a-valid-token-0123456789"
    with pytest.raises(PluginInvokeError) as caught:
        plugin.invoke_tool(tool, params, {"access_token": bad_token, "refresh_token": ""})
    error = caught.value
    assert error.message.strip()
    assert error.error_type
    assert "Traceback" not in error.message
    assert bad_token not in error.message
    assert bad_token not in plugin.output_text


def test_unknown_tool_is_an_error_not_a_hang(plugin, oauth_creds) -> None:
    with pytest.raises(PluginInvokeError) as caught:
        plugin.invoke_tool("no_such_tool", {}, oauth_creds, timeout=30)
    assert "no_such_tool" in caught.value.message


def test_twenty_parallel_calls_are_demultiplexed(plugin, emu, oauth_creds) -> None:
    tool, _ = _probe_tool()
    if tool != "get_current_time":
        pytest.skip("needs get_current_time to tell the answers apart")
    zones = [
        "Europe/Berlin", "Asia/Tokyo", "America/New_York", "Australia/Sydney", "America/Halifax",
        "Europe/London", "Asia/Kolkata", "America/Sao_Paulo", "Africa/Nairobi", "Asia/Shanghai",
        "Pacific/Auckland", "America/Los_Angeles", "Europe/Moscow", "Asia/Dubai",
        "America/Chicago", "Asia/Singapore", "Europe/Paris", "America/Mexico_City",
        "Asia/Kathmandu", "Atlantic/Reykjavik",
    ]

    def call(zone: str) -> tuple[str, ToolResult]:
        return zone, plugin.invoke_tool(tool, {"time_zone": zone}, oauth_creds, timeout=60)

    with ThreadPoolExecutor(max_workers=len(zones)) as pool:
        results = list(pool.map(call, zones))
    assert len(results) == 20
    for zone, result in results:
        assert zone in result.agent_view, (zone, result.agent_view)
        others = [z for z in zones if z != zone and z in result.agent_view]
        assert not others, f"answer for {zone} mentions {others}: responses got mixed up"


def test_validate_credentials_through_protocol(plugin, emu, manual_creds) -> None:
    plugin.validate_credentials(manual_creds)
    wrong = {**manual_creds, "client_secret": "wrong-secret"}
    wrong["refresh_token"] = emu.issue_refresh_token(ALICE, TEST_CLIENT_ID)
    with pytest.raises(PluginInvokeError) as caught:
        plugin.validate_credentials(wrong)
    assert caught.value.message.strip()
    assert "wrong-secret" not in caught.value.message


def test_oauth_round_trip_through_protocol(plugin, emu, system_credentials) -> None:
    url = plugin.oauth_authorization_url(REDIRECT_URI, system_credentials)
    parts = urlsplit(url)
    assert parts.netloc == emu.host
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    assert query["client_id"] == TEST_CLIENT_ID
    assert query["redirect_uri"] == REDIRECT_URI
    code = emu.consent(
        TEST_CLIENT_ID,
        ALICE,
        redirect_uri=REDIRECT_URI,
        scope=query["scope"],
        state=query.get("state"),
        code_challenge=query.get("code_challenge"),
    )
    callback = f"{REDIRECT_URI}?state={query.get('state', '')}&code={code}&scope={query['scope']}"
    granted = plugin.oauth_get_credentials(REDIRECT_URI, system_credentials, callback)
    creds = granted["credentials"]
    assert creds["access_token"] and creds["refresh_token"]
    assert granted["expires_at"] > 0

    refreshed = plugin.oauth_refresh_credentials(REDIRECT_URI, system_credentials, creds)
    assert refreshed["credentials"]["access_token"]
    assert refreshed["credentials"]["access_token"] != creds["access_token"]
    assert refreshed["credentials"]["refresh_token"] == creds["refresh_token"]
    assert creds["refresh_token"] not in plugin.output_text
    assert system_credentials["client_secret"] not in plugin.output_text
