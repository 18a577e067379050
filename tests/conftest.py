"""Shared fixtures: the Google emulator, the real plugin process and ready-made credentials.

* ``emulator``        session: a started ``GoogleEmulator`` (stopped at the end).
* ``emu``             function: the emulator, reset, with user ``alice@example.com``
                      (``Europe/Berlin``) and OAuth client ``test-client`` / ``test-secret``.
* ``plugin``          session: ``PluginProcess`` running ``python -m main`` against the emulator.
* ``plugin_factory``  function: ``plugin_factory(env={...})`` starts an extra plugin process
                      (closed after the test), e.g. for other environment variables.
* ``oauth_creds``     function: OAuth credentials as Dify stores them (access + refresh token).
* ``manual_creds``    function: manual credentials (client_id, client_secret, refresh_token).

Imports are guarded so the suite still collects when a piece is missing: tests that need a
missing piece are skipped with the reason (a broken, as opposed to absent, emulator fails).
"""

from __future__ import annotations

import ipaddress
import os
import socket
import sys
import types
from collections.abc import Callable, Iterator
from typing import Any

import pytest

# Importing anything from dify_plugin runs gevent's monkey.patch_all(sys=True) (the SDK's
# dify_plugin/_gevent.py). In the test process that would turn pytest's threads, sockets,
# subprocess pipes and sys.stdout into gevent objects for the whole session. Unit tests that
# import provider/tool modules do not need it; the real plugin process (PluginProcess) still
# runs with gevent exactly as in production. Set DIFY_TEST_GEVENT=1 to keep the patching.
if os.environ.get("DIFY_TEST_GEVENT") != "1" and "dify_plugin" not in sys.modules:
    sys.modules.setdefault("dify_plugin._gevent", types.ModuleType("dify_plugin._gevent"))

try:
    from tests.emulator import DEFAULT_SCOPES, GoogleEmulator
except ModuleNotFoundError as exc:  # the emulator package is not there (yet)
    GoogleEmulator = None  # type: ignore[assignment,misc]
    DEFAULT_SCOPES = []  # type: ignore[assignment]
    _EMULATOR_ERROR: BaseException | None = exc
    _EMULATOR_ABSENT = exc.name in ("tests.emulator", "tests.emulator.server")
except Exception as exc:  # the emulator exists but is broken: its tests must fail
    GoogleEmulator = None  # type: ignore[assignment,misc]
    DEFAULT_SCOPES = []  # type: ignore[assignment]
    _EMULATOR_ERROR = exc
    _EMULATOR_ABSENT = False
else:
    _EMULATOR_ERROR = None
    _EMULATOR_ABSENT = False

from tests.e2e.plugin_launch import LAUNCH_LOGS
from tests.plugin_process import LOOPBACK_MARKER, PluginProcess
from tests.reliability import leaks_in_process_output, record

ALICE = "alice@example.com"
ALICE_TIME_ZONE = "Europe/Berlin"
TEST_CLIENT_ID = "test-client"
TEST_CLIENT_SECRET = "test-secret"
REDIRECT_URI = (
    "http://localhost/console/api/oauth/plugin/"
    "local/google_calendar/google_calendar/tool/callback"
)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "slow: takes several seconds (still in the default run)")
    _guard_the_network()


# --- no packet leaves loopback ---------------------------------------------------------
# These machines allow no traffic beyond 127.0.0.0/8 and ::1, and a test that reached out
# would depend on the world. Every connect of this process is checked; a refused attempt
# fails the test even when the code under test swallows the error. Live tests (real Google,
# run only with real credentials) are the one exception.

_refused_connections: list[str] = []
_live_test_running = False


class NonLoopbackConnection(ConnectionRefusedError):
    """A test tried to connect outside loopback (raised before any packet is sent)."""


def _loopback_only(address: Any) -> None:
    if _live_test_running or not isinstance(address, tuple):  # AF_UNIX paths are local
        return
    host = str(address[0]).split("%", 1)[0]
    try:
        allowed = ipaddress.ip_address(host).is_loopback
    except ValueError:  # a name: resolving it here could itself send a packet
        allowed = host == "localhost"
    if not allowed:
        _refused_connections.append(f"{host}:{address[1]}")
        raise NonLoopbackConnection(f"tests may only connect to loopback, not {host}")


def _guard_the_network() -> None:
    plain_connect, plain_connect_ex = socket.socket.connect, socket.socket.connect_ex

    def connect(self: socket.socket, address: Any) -> None:
        _loopback_only(address)
        return plain_connect(self, address)

    def connect_ex(self: socket.socket, address: Any) -> int:
        _loopback_only(address)
        return plain_connect_ex(self, address)

    socket.socket.connect = connect  # type: ignore[method-assign]
    socket.socket.connect_ex = connect_ex  # type: ignore[method-assign]


_plugin_refusals_seen: dict[int, int] = {}


def _refused_by_plugin_processes() -> list[str]:
    """Refusals the guard of the plugin processes (tests/loopback_guard) printed since the last
    test ended."""
    found = []
    for process in PluginProcess.started:
        lines = [line for line in process.stderr_text.splitlines()
                 if line.startswith(LOOPBACK_MARKER)]
        seen = _plugin_refusals_seen.get(id(process), 0)
        found += [f"plugin {process.pid}: {line[len(LOOPBACK_MARKER):].strip()}"
                  for line in lines[seen:]]
        _plugin_refusals_seen[id(process)] = len(lines)
    return found


@pytest.fixture(autouse=True)
def _no_connection_beyond_loopback(request: pytest.FixtureRequest) -> Iterator[None]:
    global _live_test_running
    _live_test_running = "live" in request.node.path.parts
    del _refused_connections[:]
    yield
    _live_test_running = False
    _refused_connections.extend(_refused_by_plugin_processes())
    if _refused_connections:
        refused = sorted(set(_refused_connections))
        del _refused_connections[:]
        pytest.fail(f"connection attempts outside loopback: {refused}", pytrace=False)


@pytest.fixture(scope="session", autouse=True)
def _no_secret_in_any_plugin_output() -> Iterator[None]:
    """After the whole session: no credential any emulator saw in any plugin's output.

    Set up first, so torn down last: every plugin process is closed by then. A leak is
    reported as an error of the session's last test.
    """
    yield
    emulators = GoogleEmulator.created if GoogleEmulator is not None else []
    known: set[str] = set()
    for emulator in emulators:
        with emulator.state.lock:
            known |= emulator.state.known_secrets()
    for process in PluginProcess.started:
        process.close()
    launched = [  # plugins started outside PluginProcess (packaged, remote debugging)
        types.SimpleNamespace(pid=path.name, output_text=path.read_text("utf-8", "replace"),
                              logs=[])
        for path in LAUNCH_LOGS if path.exists()
    ]
    processes = [*PluginProcess.started, *launched]
    leaked = leaks_in_process_output(processes, known)
    record("session_secret_scan", len(known))
    record("session_scanned_processes", len(processes))
    record("session_scanned_log_lines", sum(len(p.logs) for p in PluginProcess.started))
    if leaked:  # named by process and count only: the report must not spread them further
        pytest.fail(
            f"secrets in the output of plugin processes {sorted(leaked)} "
            f"({sum(map(len, leaked.values()))} value(s), out of {len(known)} known)",
            pytrace=False,
        )


def _require_emulator() -> None:
    if _EMULATOR_ERROR is None:
        return
    if _EMULATOR_ABSENT:
        pytest.skip(f"Google emulator not available: {_EMULATOR_ERROR}")
    pytest.fail(f"Google emulator failed to import: {_EMULATOR_ERROR!r}", pytrace=False)


@pytest.fixture(scope="session")
def emulator() -> Iterator[Any]:
    _require_emulator()
    emu = GoogleEmulator()
    emu.start()
    try:
        yield emu
    finally:
        emu.stop()


@pytest.fixture
def emu(emulator: Any) -> Any:
    emulator.reset()
    emulator.add_user(ALICE, time_zone=ALICE_TIME_ZONE)
    emulator.register_client(TEST_CLIENT_ID, TEST_CLIENT_SECRET)
    return emulator


@pytest.fixture(scope="session")
def plugin(emulator: Any) -> Iterator[PluginProcess]:
    process = PluginProcess(emulator_host=emulator.host)
    try:
        yield process
    finally:
        process.close()


@pytest.fixture
def plugin_factory(emulator: Any) -> Iterator[Callable[..., PluginProcess]]:
    started: list[PluginProcess] = []

    def start(**kwargs: Any) -> PluginProcess:
        kwargs.setdefault("emulator_host", emulator.host)
        process = PluginProcess(**kwargs)
        started.append(process)
        return process

    try:
        yield start
    finally:
        for process in started:
            process.close()


@pytest.fixture
def oauth_creds(emu: Any) -> dict[str, str]:
    return {
        "access_token": emu.issue_token(ALICE),
        "refresh_token": emu.issue_refresh_token(ALICE, TEST_CLIENT_ID),
    }


@pytest.fixture
def manual_creds(emu: Any) -> dict[str, str]:
    return {
        "client_id": TEST_CLIENT_ID,
        "client_secret": TEST_CLIENT_SECRET,
        "refresh_token": emu.issue_refresh_token(ALICE, TEST_CLIENT_ID),
    }


@pytest.fixture
def system_credentials() -> dict[str, str]:
    """The OAuth client as configured in Dify's plugin OAuth settings."""
    return {"client_id": TEST_CLIENT_ID, "client_secret": TEST_CLIENT_SECRET}
