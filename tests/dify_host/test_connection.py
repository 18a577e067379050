"""What Dify does with our credentials and errors: refresh, reconnect, pasted secrets, errors.

Dify's side, as modelled here (issue 12, from Dify's source):
* it refreshes OAuth credentials when ``expires_at != -1 and expires_at - 60 < now`` and
  stores whatever the refresh returns in place of the old credentials;
* on a refresh exception it keeps the old ``expires_at`` and retries at every later call, and
  an agent app (``_init_prompt_tools``) silently drops all of the plugin's tools: so a revoked
  grant must not raise, or nobody ever reads how to reconnect;
* an agent's model reads the daemon's error object ``{error_type, message, args}`` whole
  (the SDK puts a traceback in ``args``; plugin_edge.py leaves it out for expected errors).
"""

from __future__ import annotations

import json
import time
from urllib.parse import parse_qs, urlsplit

import pytest

from gcal.google.credentials_check import REAUTHORIZATION_MARK
from plugin_edge import MODEL_VIEW_LIMIT
from tests.conftest import ALICE, REDIRECT_URI
from tests.dify_host.conftest import TOOLS
from tests.dify_host.readers import AgentApp
from tests.emulator import Fault
from tests.plugin_process import PluginInvokeError


def dify_refreshes(expires_at: int, now: float) -> bool:
    return expires_at != -1 and expires_at - 60 < now


def connect(plugin, emu, system_credentials):
    url = plugin.oauth_authorization_url(REDIRECT_URI, system_credentials)
    query = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
    code = emu.consent(system_credentials["client_id"], ALICE,
                       redirect_uri=query["redirect_uri"], scope=query["scope"],
                       state=query["state"], code_challenge=query["code_challenge"])
    return plugin.oauth_get_credentials(
        REDIRECT_URI, system_credentials, f"{REDIRECT_URI}?code={code}&state={query['state']}")


def test_revoked_grant_keeps_the_tools_and_says_how_to_reconnect(plugin, emu, system_credentials):
    stored = connect(plugin, emu, system_credentials)["credentials"]
    emu.revoke_user_tokens(ALICE)
    before = time.time()
    refreshed = plugin.oauth_refresh_credentials(REDIRECT_URI, system_credentials, stored)
    credentials, expires_at = refreshed["credentials"], refreshed["expires_at"]
    assert credentials["refresh_token"] == stored["refresh_token"]
    assert credentials[REAUTHORIZATION_MARK]
    assert not dify_refreshes(expires_at, before)  # the tools stay in the agent's list
    assert dify_refreshes(expires_at, before + 600)  # and Dify tries the grant again later
    # A host that keeps only the keys of the provider's credentials_schema drops the mark;
    # the empty access token still says the same.
    schema_keys_only = {key: credentials[key] for key in ("access_token", "refresh_token")}
    for kept in (credentials, schema_keys_only):
        emu.clear_requests()
        with pytest.raises(PluginInvokeError) as error:
            plugin.invoke_tool("list_events", {}, kept)
        message = error.value.message
        assert message.startswith("Google no longer accepts this Google Calendar connection")
        assert "Reconnect in Dify" in message and "Add authorization" in message
        assert stored["refresh_token"] not in message
        assert emu.requests == []  # failed at once, without asking Google


def test_transient_refresh_failure_still_raises_so_dify_retries(plugin, emu, system_credentials):
    stored = connect(plugin, emu, system_credentials)["credentials"]
    emu.inject_fault(Fault(method="POST", path_regex=r"^/token$", status=503, times=None))
    try:
        with pytest.raises(PluginInvokeError) as error:
            plugin.oauth_refresh_credentials(REDIRECT_URI, system_credentials, stored)
    finally:
        emu.clear_faults()
    assert error.value.error_type == "ToolProviderOAuthError"


def test_pasted_refresh_token_with_newline_validates_and_works(plugin, emu, manual_creds):
    pasted = {"client_id": f" {manual_creds['client_id']}\n",
              "client_secret": f"{manual_creds['client_secret']} ",
              "refresh_token": manual_creds["refresh_token"] + "\n"}
    plugin.validate_credentials(pasted)
    result = plugin.invoke_tool("get_current_time", {}, pasted, credential_type="api-key")
    assert result.variables["time_zone"] == "Europe/Berlin"


# One bad input per tool, and the parameter its error must name first.
BAD_INPUTS = {
    "create_event": ({"summary": "Sync", "start": "soon"}, "start"),
    "delete_event": ({"event_id": "abc", "scope": "everything"}, "scope"),
    "export_events_ics": ({"time_min": "yesterdayish"}, "time_min"),
    "find_free_slots": ({"duration_minutes": -5}, "duration_minutes"),
    "get_current_time": ({"time_zone": "Mars/Olympus"}, "time_zone"),
    "get_event": ({"event_id": "abc", "time_zone": "Mars/Olympus"}, "time_zone"),
    "import_events_ics": ({"send_updates": "everyone"}, "send_updates"),
    "list_calendars": ({"min_access_role": "boss"}, "min_access_role"),
    "list_events": ({"time_min": "yesterdayish"}, "time_min"),
    "move_event": ({"event_id": "abc", "destination_calendar_id": ""}, "destination_calendar_id"),
    "quick_add_event": ({"text": ""}, "text"),
    "respond_to_event": ({"event_id": "abc", "response": "accepted"}, "event_id"),
    "update_event": ({"event_id": "abc", "summary": "Renamed"}, "event_id"),
}


def test_every_tool_has_a_bad_input_case():
    assert sorted(BAD_INPUTS) == TOOLS


@pytest.mark.parametrize("tool", sorted(BAD_INPUTS))
def test_bad_input_error_fits_the_agents_budget_and_leads_with_the_fix(
    plugin, emu, oauth_creds, tool
):
    parameters, parameter = BAD_INPUTS[tool]
    with pytest.raises(PluginInvokeError) as error:
        plugin.invoke_tool(tool, parameters, oauth_creds)
    raw = error.value.raw
    assert raw["message"].startswith(f"Invalid `{parameter}`: ")
    assert "Example:" in raw["message"]
    assert not raw["args"] and not error.value.traceback  # an expected error: message only
    model_reads = AgentApp.error_view(raw)
    assert len(model_reads) <= MODEL_VIEW_LIMIT, len(model_reads)
    assert json.dumps(raw["message"]) in AgentApp.error_view(raw)
