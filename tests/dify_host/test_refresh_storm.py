"""Dify refreshing the OAuth credential at every tool runtime it builds, counted in /token requests.

Dify's side, as modelled here: `ToolManager.get_tool_runtime` refreshes when
`expires_at != -1 and expires_at - 60 < now`; for a node on the workspace's default credential
the refreshed row is never committed (langgenius/dify#32174; fixed by PR #32195), so the stored
`expires_at` stays in the past and every runtime Dify builds refreshes again. An agent turn
builds the runtime of each of the plugin's tools for the prompt and one more per tool call
(`AGENT_TURN_RUNTIMES`); a real Dify 1.13.3 made about 26 refreshes for a three-tool turn
(issue 27), so this imitation is a lower bound. The figures go to docs/benchmarks.md.
"""

from __future__ import annotations

import time

import pytest

from gcal.google.credentials_check import REAUTHORIZATION_MARK
from tests.conftest import ALICE, REDIRECT_URI
from tests.dify_host.conftest import TOOLS
from tests.dify_host.test_connection import connect, dify_refreshes
from tests.plugin_process import PluginInvokeError

TOOL_CALLS = ("list_events", "list_calendars", "get_current_time")
AGENT_TURN_RUNTIMES = len(TOOLS) + len(TOOL_CALLS)


class DifyOnDefaultCredential:
    """Dify's tool-runtime path for one stored credential whose refresh is never saved."""

    def __init__(self, plugin, system_credentials, stored):
        self.plugin = plugin
        self.system = system_credentials
        self.stored = stored
        self.stored_expires_at = int(time.time()) - 1  # Dify's row: already past
        self.refreshes = 0

    def runtime_credentials(self):
        if not dify_refreshes(self.stored_expires_at, time.time()):
            return self.stored
        self.refreshes += 1
        # The result is used for this runtime only; the stored row keeps the old values.
        return self.plugin.oauth_refresh_credentials(REDIRECT_URI, self.system,
                                                     self.stored)["credentials"]

    def agent_turn(self):
        for _ in range(len(TOOLS)):  # the prompt lists every tool of the plugin
            self.runtime_credentials()
        outcomes = []
        for tool in TOOL_CALLS:
            try:
                self.plugin.invoke_tool(tool, {}, self.runtime_credentials())
                outcomes.append("ok")
            except PluginInvokeError as error:
                outcomes.append(error.error_type)
        return outcomes


def token_requests(emu) -> int:
    return sum(1 for r in emu.requests if r.method == "POST" and r.path == "/token")


@pytest.fixture
def dify(plugin, emu, system_credentials):
    stored = connect(plugin, emu, system_credentials)["credentials"]
    emu.clear_requests()
    return DifyOnDefaultCredential(plugin, system_credentials, stored)


def test_one_token_request_for_turns_that_refresh_at_every_runtime(dify, emu):
    first = dify.agent_turn()
    assert first == ["ok"] * len(TOOL_CALLS)
    assert dify.refreshes == AGENT_TURN_RUNTIMES  # what the plugin used to pay in /token
    assert token_requests(emu) == 1
    dify.agent_turn()
    assert dify.refreshes == 2 * AGENT_TURN_RUNTIMES
    assert token_requests(emu) == 1  # the access token is still valid for ~an hour


def test_a_revoked_grant_is_asked_once_then_refused_from_memory(dify, emu):
    dify.agent_turn()
    emu.revoke_user_tokens(ALICE)
    emu.clear_requests()
    # The remembered access token is refused by Google at the first call: forgotten.
    assert dify.agent_turn()[0] == "AuthenticationError"
    turns = [dify.agent_turn() for _ in range(2)]
    assert token_requests(emu) == 1  # invalid_grant once; then from memory
    for outcomes in turns:
        assert set(outcomes) == {"ReauthorizationRequiredError"}
    refreshed = dify.plugin.oauth_refresh_credentials(REDIRECT_URI, dify.system, dify.stored)
    assert refreshed["credentials"][REAUTHORIZATION_MARK]
    assert token_requests(emu) == 1
