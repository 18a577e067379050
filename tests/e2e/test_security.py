"""Security: no secret in any output, OAuth state/PKCE/redirect checks, only Google's hosts.

The secret scan drives a dedicated plugin process through successes and every kind of
failure (expired token, revoked grant, server errors, bad OAuth callbacks, wrong client
secret), then searches every tool result, every error Dify would receive (including the
SDK's traceback argument) and everything the process printed for the token values.
"""

from __future__ import annotations

import logging
import os
import secrets
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, unquote, urlsplit

import pytest
import requests

from gcal.errors import GoogleCalendarError
from gcal.events.reading import get_event
from gcal.google import _endpoints, oauth
from gcal.google.client import client_from_credentials
from gcal.google.transport import CalendarTransport
from tests.conftest import ALICE
from tests.emulator import Fault
from tests.plugin_process import PluginInvokeError, PluginProcess, ToolResult
from tests.reliability import clear_error_problem, leaks, record

ROOT = Path(__file__).resolve().parents[2]
CLIENT_ID = "sec-client.apps.googleusercontent.com"
REDIRECT = "https://dify.example.org/console/api/oauth/plugin/x/google_calendar/google_calendar/tool/callback"
WINDOW = {"time_min": "2026-06-01", "time_max": "2026-06-02"}
ALLOWED_PATHS = ("/o/oauth2/v2/auth", "/token", "/revoke", "/calendar/v3/", "/batch/calendar/v3")
GOOGLE_HOSTS = {"accounts.google.com", "oauth2.googleapis.com", "www.googleapis.com"}


@pytest.fixture(scope="module")
def client_secret() -> str:
    return "GOCSPX-" + secrets.token_urlsafe(24)


@pytest.fixture
def client(emu: Any, client_secret: str) -> oauth.OAuthClient:
    emu.register_client(CLIENT_ID, client_secret)
    return oauth.OAuthClient(CLIENT_ID, client_secret)


@pytest.fixture(scope="module")
def sec_plugin(emulator: Any) -> Iterator[PluginProcess]:
    env = {"GCAL_RETRY_BASE_DELAY": "0.02", "GCAL_READ_TIMEOUT": "1"}
    with PluginProcess(emulator_host=emulator.host, env=env) as process:
        yield process


def _secrets(emu: Any, client_secret: str) -> set[str]:
    with emu.state.lock:
        tokens = set(emu.state.access_tokens) | set(emu.state.refresh_tokens)
    return tokens | {client_secret}


# --- no secret anywhere ---------------------------------------------------------------


def test_no_secret_in_any_output_of_a_full_run(sec_plugin, emu, client, client_secret):
    plugin = sec_plugin
    system = {"client_id": CLIENT_ID, "client_secret": client_secret}
    outputs: list[Any] = []

    def run(action, *args, **kwargs) -> Any:
        try:
            result = action(*args, **kwargs)
        except PluginInvokeError as error:
            assert clear_error_problem(error.error_type, error.message) is None, error
            outputs.append(error.raw)  # message, error_type and args (the SDK's traceback)
            return error
        outputs.append(result.messages if isinstance(result, ToolResult) else result)
        return result

    emu.add_event(ALICE, {"summary": "Standup", "start": {"dateTime": "2026-06-01T09:00:00Z"},
                          "end": {"dateTime": "2026-06-01T09:15:00Z"}})
    oauth_creds = {"access_token": emu.issue_token(ALICE),
                   "refresh_token": emu.issue_refresh_token(ALICE, CLIENT_ID)}
    manual = {"client_id": CLIENT_ID, "client_secret": client_secret,
              "refresh_token": emu.issue_refresh_token(ALICE, CLIENT_ID)}
    api_key = {"credential_type": "api-key"}

    # OAuth round trip: the credentials Dify stores are the only place tokens may appear.
    url = run(plugin.oauth_authorization_url, REDIRECT, system)
    query = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
    code = emu.consent(CLIENT_ID, ALICE, redirect_uri=REDIRECT, scope=query["scope"],
                       state=query["state"], code_challenge=query["code_challenge"])
    stored = plugin.oauth_get_credentials(REDIRECT, system, f"?code={code}&state={query['state']}")
    outputs.append({k: v for k, v in stored.items() if k != "credentials"})
    run(plugin.oauth_get_credentials, REDIRECT, system, f"?code={code}&state={query['state']}")
    run(plugin.oauth_get_credentials, REDIRECT, system, f"?code={code}&state=forged.state")
    refreshed = plugin.oauth_refresh_credentials(REDIRECT, system, oauth_creds)
    outputs.append({k: v for k, v in refreshed.items() if k != "credentials"})
    run(plugin.oauth_refresh_credentials, REDIRECT,
        {"client_id": CLIENT_ID, "client_secret": client_secret + "x"}, oauth_creds)

    # Tools: successes, then every failure path.
    for tool, params in [("list_calendars", {}), ("list_events", WINDOW),
                         ("get_current_time", {}), ("get_event", {"event_id": "missing"})]:
        run(plugin.invoke_tool, tool, params, oauth_creds)
        run(plugin.invoke_tool, tool, params, manual, **api_key)
    run(plugin.validate_credentials, manual)
    run(plugin.validate_credentials, {**manual, "client_secret": "wrong-" + client_secret})
    emu.inject_fault(Fault(method="GET", path_regex=r"/events$", status=503, times=None))
    run(plugin.invoke_tool, "list_events", WINDOW, oauth_creds)
    emu.clear_faults()
    emu.inject_fault(Fault(method="GET", path_regex=r"/events$", status=None,
                           drop_connection=True, times=None))
    run(plugin.invoke_tool, "list_events", WINDOW, manual, **api_key)
    emu.clear_faults()
    emu.inject_fault(Fault(method="POST", path_regex=r"^/token$", status=500, times=None))
    run(plugin.invoke_tool, "list_events", WINDOW,
        {**manual, "refresh_token": emu.issue_refresh_token(ALICE, CLIENT_ID)}, **api_key)
    emu.clear_faults()
    emu.expire_access_token(oauth_creds["access_token"])
    run(plugin.invoke_tool, "list_events", WINDOW, oauth_creds)
    emu.revoke_user_tokens(ALICE)
    run(plugin.invoke_tool, "list_events", WINDOW, manual, **api_key)
    # A revoked grant: refresh hands Dify credentials that make every call ask for a reconnect.
    stale = plugin.oauth_refresh_credentials(REDIRECT, system, oauth_creds)
    outputs.append({k: v for k, v in stale.items() if k != "credentials"})
    run(plugin.invoke_tool, "list_events", WINDOW, stale["credentials"])

    time.sleep(0.2)  # let the last log lines arrive
    found = _secrets(emu, client_secret)
    leaked = leaks(found, outputs, plugin.output_text, plugin.logs, plugin.errors)
    record("secret_scan", len(found))
    record("secret_leaked", len(leaked))
    assert not leaked, f"{len(leaked)} secret(s) leaked"
    assert len(outputs) >= 20


def test_no_secret_in_reprs_exceptions_or_logs(emu, client, client_secret, caplog,
                                               monkeypatch):
    monkeypatch.setenv(_endpoints.EMULATOR_HOST_ENV, emu.host)
    caplog.set_level(logging.DEBUG)
    refresh_token = emu.issue_refresh_token(ALICE, CLIENT_ID)
    access_token = emu.issue_token(ALICE)
    tokens = oauth.refresh(client, refresh_token)
    manual = client_from_credentials({"client_id": CLIENT_ID, "client_secret": client_secret,
                                      "refresh_token": refresh_token}, "api-key")
    direct = client_from_credentials({"access_token": access_token,
                                      "refresh_token": refresh_token}, "oauth2")
    objects: list[Any] = [client, tokens, manual, manual.transport, manual.transport._tokens,
                          direct, direct.transport, CalendarTransport(access_token)]
    zone = manual.primary_time_zone()
    for failing in (
        lambda: get_event(direct, "primary", "nope", zone),
        lambda: oauth.refresh(oauth.OAuthClient(CLIENT_ID, client_secret + "!"), refresh_token),
        lambda: oauth.refresh(client, refresh_token + "x"),
        lambda: oauth.exchange_code(client, REDIRECT, {"code": refresh_token, "state": "x.y"}),
        lambda: oauth.exchange_code(client, REDIRECT, {
            "code": refresh_token, "state": oauth.make_state(client, REDIRECT)}),
    ):
        with pytest.raises(GoogleCalendarError) as error:
            failing()
        objects += [error.value, error.value.__cause__, error.value.__context__]
    texts = [repr(o) for o in objects] + [str(o) for o in objects]
    texts += [r.getMessage() for r in caplog.records] + [caplog.text]
    found = {access_token, refresh_token, tokens.access_token, client_secret}
    leaked = leaks(found, texts)
    record("secret_scan", len(found))
    record("secret_leaked", len(leaked))
    assert not leaked


# --- OAuth: state, PKCE, redirect URI -------------------------------------------------


def _callback(plugin: PluginProcess, emu: Any, client: oauth.OAuthClient, state: str,
              system: dict) -> Any:
    code = emu.consent(client.client_id, ALICE, redirect_uri=REDIRECT,
                       scope=list(oauth.SCOPES), state=state,
                       code_challenge=oauth._s256(oauth.code_verifier_for(client, state)))
    return plugin.oauth_get_credentials(REDIRECT, system, f"?code={code}&state={state}")


@pytest.mark.parametrize("case", ["forged", "expired", "another client", "another secret",
                                  "from the future", "tampered timestamp", "another install"])
def test_bad_state_is_rejected_before_any_token_request(case, sec_plugin, emu, client,
                                                        client_secret):
    system = {"client_id": CLIENT_ID, "client_secret": client_secret}
    other = oauth.OAuthClient("other-client", client_secret)
    state = {
        "forged": "djEuMTcwMDAwMDAwMC5ub25jZQ.AAAAAAAAAAAAAAAAAAAAAA",
        "expired": oauth.make_state(client, REDIRECT,
                                    now=time.time() - oauth.STATE_MAX_AGE - 5),
        "another client": oauth.make_state(other, REDIRECT),
        "another secret": oauth.make_state(oauth.OAuthClient(CLIENT_ID, "other-secret"),
                                           REDIRECT),
        "from the future": oauth.make_state(client, REDIRECT, now=time.time() + 3600),
        "another install": oauth.make_state(client, REDIRECT.replace("dify.example.org",
                                                                     "other.example.org")),
    }.get(case)
    if case == "tampered timestamp":
        payload, signature = oauth.make_state(client, REDIRECT,
                                              now=time.time() - 3600).split(".")
        version, _, nonce = oauth._b64decode(payload).decode().split(".")
        fresh = oauth._b64encode(f"{version}.{int(time.time())}.{nonce}".encode())
        state = f"{fresh}.{signature}"
    with pytest.raises(PluginInvokeError) as error:
        _callback(sec_plugin, emu, client, state, system)
    assert error.value.error_type == "ToolProviderOAuthError"
    assert "state" in error.value.message or "expired" in error.value.message
    assert not [r for r in emu.requests if r.path == "/token"]
    record("clear_error")


def test_a_code_google_already_redeemed_gives_one_clear_error(sec_plugin, emu, client,
                                                            client_secret):
    """Google (here the emulator) refuses a used code; the plugin's part is only to say so
    clearly. It cannot refuse a replay itself: Dify keeps no state for it (docs/reliability.md,
    "Security")."""
    system = {"client_id": CLIENT_ID, "client_secret": client_secret}
    state = oauth.make_state(client, REDIRECT)
    code = emu.consent(CLIENT_ID, ALICE, redirect_uri=REDIRECT, scope=list(oauth.SCOPES),
                       state=state,
                       code_challenge=oauth._s256(oauth.code_verifier_for(client, state)))
    callback = f"?code={code}&state={state}"
    assert sec_plugin.oauth_get_credentials(REDIRECT, system, callback)["credentials"]
    with pytest.raises(PluginInvokeError) as error:
        sec_plugin.oauth_get_credentials(REDIRECT, system, callback)
    assert "already used" in error.value.message or "expired" in error.value.message
    assert clear_error_problem(error.value.error_type, error.value.message) is None
    assert code not in error.value.message


def test_pkce_and_redirect_uri_reach_the_token_endpoint(sec_plugin, emu, client,
                                                        client_secret):
    system = {"client_id": CLIENT_ID, "client_secret": client_secret}
    url = sec_plugin.oauth_authorization_url(REDIRECT, system)
    query = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
    assert query["code_challenge_method"] == "S256"
    assert query["redirect_uri"] == REDIRECT
    code = emu.consent(CLIENT_ID, ALICE, redirect_uri=REDIRECT, scope=query["scope"],
                       state=query["state"], code_challenge=query["code_challenge"])
    sec_plugin.oauth_get_credentials(REDIRECT, system, f"?code={code}&state={query['state']}")
    [token_request] = [r for r in emu.requests if r.path == "/token"]
    sent = token_request.body
    assert sent["redirect_uri"] == REDIRECT
    assert oauth._s256(sent["code_verifier"]) == query["code_challenge"]
    assert 43 <= len(sent["code_verifier"]) <= 128


def test_code_without_the_matching_pkce_challenge_is_refused(sec_plugin, emu, client,
                                                             client_secret):
    """A code obtained with someone else's challenge cannot be redeemed through our state."""
    system = {"client_id": CLIENT_ID, "client_secret": client_secret}
    state = oauth.make_state(client, REDIRECT)
    code = emu.consent(CLIENT_ID, ALICE, redirect_uri=REDIRECT, scope=list(oauth.SCOPES),
                       state=state, code_challenge=oauth._s256("attacker-verifier" * 3))
    with pytest.raises(PluginInvokeError) as error:
        sec_plugin.oauth_get_credentials(REDIRECT, system, f"?code={code}&state={state}")
    assert clear_error_problem(error.value.error_type, error.value.message) is None


# --- hosts and paths ------------------------------------------------------------------

HOSTILE_IDS = [
    "../../x@evil.example", "https://evil.example/x@y", "a?b#c", "%2F@x", "x@y/../../me",
    "evil.example:443@x#y", "@evil.example", "x@y?alt=media", "日本@例え.jp", "a b@c d",
]
HOSTILE_EVENT_IDS = ["../../x", "https://evil.example/x", "a?b#c", "%2F", "x/..", "e;v=1",
                     "\\..\\x", "ev%00il", "?", "#"]


def test_production_uses_only_the_google_endpoints(monkeypatch):
    monkeypatch.delenv(_endpoints.EMULATOR_HOST_ENV, raising=False)
    endpoints = _endpoints.google_endpoints()
    urls = [endpoints.auth_url, endpoints.token_url,
            endpoints.calendar_base, endpoints.batch_url]
    assert {urlsplit(u).netloc for u in urls} == GOOGLE_HOSTS
    assert all(urlsplit(u).scheme == "https" for u in urls)


@pytest.mark.parametrize("event_id", HOSTILE_EVENT_IDS)
@pytest.mark.parametrize("calendar_id", HOSTILE_IDS[:5])
def test_hostile_ids_stay_one_encoded_path_segment(calendar_id, event_id, emu, oauth_creds,
                                                   monkeypatch):
    monkeypatch.setenv(_endpoints.EMULATOR_HOST_ENV, emu.host)
    sent: list[str] = []
    real_send = requests.Session.send

    def spy(session, request, **kwargs):
        sent.append(request.url)
        return real_send(session, request, **kwargs)

    monkeypatch.setattr(requests.Session, "send", spy)
    client = client_from_credentials(oauth_creds, "oauth2")
    try:
        get_event(client, calendar_id, event_id, client.zone_or_primary("UTC"))
    except GoogleCalendarError as error:
        assert error.status in (None, 404), error  # never a 400 from a garbled path
    assert sent, "no request was made"
    for url in sent:
        parts = urlsplit(url)
        assert parts.netloc == emu.host and not parts.fragment, url
    [request] = [r for r in emu.requests if "/events/" in r.raw_path]
    segments = request.raw_path.split("/")
    assert segments[:4] == ["", "calendar", "v3", "calendars"] and segments[5] == "events"
    assert len(segments) == 7, request.raw_path
    assert unquote(segments[4]) == calendar_id and unquote(segments[6]) == event_id
    assert segments[4] == quote(calendar_id, safe="")
    record("hostile_input")


@pytest.mark.parametrize("value", HOSTILE_IDS + HOSTILE_EVENT_IDS)
def test_model_values_never_change_the_host_through_the_plugin(value, sec_plugin, emu,
                                                               oauth_creds):
    for tool, params in [("get_event", {"calendar_id": value, "event_id": value}),
                         ("list_events", {**WINDOW, "calendar_ids": value}),
                         ("get_event", {"event_id": value})]:
        try:
            sec_plugin.invoke_tool(tool, params, oauth_creds)
        except PluginInvokeError as error:
            assert clear_error_problem(error.error_type, error.message) is None
        record("hostile_input")
    for request in emu.requests:
        assert request.raw_path.startswith(ALLOWED_PATHS), request.raw_path
        assert request.status != 400, (request.raw_path, request.query)
        for segment in request.raw_path.split("/"):
            assert segment not in (".", ".."), request.raw_path


# --- dependency audit -----------------------------------------------------------------


def test_ci_runs_the_dependency_audit():
    ci = (ROOT / ".ci" / "run").read_text()
    assert "scripts/audit.py" in ci
    audit = (ROOT / "scripts" / "audit.py").read_text()
    assert "requirements.txt" in audit and "SKIPPED" in audit


FAKE_PIP_AUDIT = {
    "no vulnerability data": (
        "out=''; while [ $# -gt 0 ]; do [ \"$1\" = -o ] && out=$2; shift; done\n"
        "echo '{\"dependencies\": [{\"name\": \"requests\", \"version\": \"2.32.3\", "
        "\"skip_reason\": \"Connection refused\"}], \"fixes\": []}' > \"$out\"\n"
    ),
    "index unreachable": (
        "echo \"ERROR:pip_audit._cli:Failed to upgrade \\`pip\\`: [...]\" >&2\nexit 1\n"
    ),
}


@pytest.mark.parametrize("script", FAKE_PIP_AUDIT.values(), ids=FAKE_PIP_AUDIT.keys())
def test_unreachable_vulnerability_service_is_a_clear_skip_not_a_pass(script, tmp_path):
    fake = tmp_path / "pip-audit"
    fake.write_text("#!/bin/sh\n" + script)
    fake.chmod(0o755)
    dead_proxy = "http://127.0.0.1:9"
    env = {**os.environ, "PATH": f"{tmp_path}:{os.environ['PATH']}",
           "HTTPS_PROXY": dead_proxy, "https_proxy": dead_proxy}
    python = tmp_path / "python"
    python.symlink_to(sys.executable)  # so scripts/audit.py finds the fake beside it
    audit = [str(python), str(ROOT / "scripts" / "audit.py")]
    done = subprocess.run(audit, env=env, capture_output=True, text=True, timeout=60)
    assert "audit: SKIPPED" in done.stdout, done.stdout + done.stderr
    assert "audit: OK" not in done.stdout
    strict = subprocess.run([*audit, "--strict"], env=env, capture_output=True, text=True,
                            timeout=60)
    assert strict.returncode != 0


# --- the import's file download --------------------------------------------------------


@pytest.mark.parametrize("link", [
    "http://127.0.0.1:{port}/files/team.ics/file-preview",  # Dify's path, but not signed
    "http://127.0.0.1:{port}/calendar.ics?team.ics",
    "http://169.254.169.254/latest/meta-data/",
    "http://[fd00:ec2::254]/files/x/file-preview?timestamp=1&nonce=n&sign=s",
    "http://" + "a" * 64 + ".example/calendar.ics",
])
def test_a_file_link_into_the_hosts_network_is_refused_through_the_plugin(link, sec_plugin, emu,
                                                                          oauth_creds):
    """A file added by link reaches the plugin as the user's URL, unchanged: only Dify's own
    signed links may point inside the network (tests/unit/ics/test_files.py has the rest)."""
    from tests.dify_files import FileServer

    with FileServer() as files:
        parameter = files.parameter("team.ics", b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n")
        parameter["url"] = link.format(port=files.server.server_address[1])
        with pytest.raises(PluginInvokeError) as refused:
            sec_plugin.invoke_tool("import_events_ics", {"file": parameter}, oauth_creds)
    assert refused.value.error_type == "InvalidInputError"
    assert clear_error_problem(refused.value.error_type, refused.value.message) is None
    assert files.requested == []


def test_the_plugin_process_cannot_reach_beyond_loopback_either(sec_plugin, emu, oauth_creds):
    """The plugin's own checks allow a public link; the tests' guard in the plugin process
    (tests/loopback_guard) refuses the connection before a packet leaves, and says so."""
    from tests import conftest
    from tests.plugin_process import LOOPBACK_MARKER

    parameter = {"dify_model_identity": "__dify__file__", "mime_type": "text/calendar",
                 "filename": "x.ics", "extension": ".ics", "size": 10, "type": "document",
                 "url": "http://93.184.216.34/calendar.ics"}
    with pytest.raises(PluginInvokeError) as failed:
        sec_plugin.invoke_tool("import_events_ics", {"file": parameter}, oauth_creds)
    assert "Could not download the file from its link" in failed.value.message
    deadline = time.monotonic() + 5
    while LOOPBACK_MARKER not in sec_plugin.stderr_text and time.monotonic() < deadline:
        time.sleep(0.05)
    refused = conftest._refused_by_plugin_processes()  # seen here: this test expected it
    assert refused == [f"plugin {sec_plugin.pid}: 93.184.216.34:80"]
