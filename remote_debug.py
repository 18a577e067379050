"""Start-up check for remote debugging (`INSTALL_METHOD=remote`, usually from `.env`).

The SDK's TCP stream (dify_plugin/core/server/tcp/request_reader.py) retries a failed connection
three times five seconds apart and then dies with a traceback; a key the daemon refuses is worse:
the daemon answers the handshake with one plain-text line and closes the socket
(dify-plugin-daemon internal/core/debugging_runtime/hooks.go, onMessage -> closeConn), which the
SDK logs as a JSON parse error and then reconnects forever. Before the SDK connects, this check
does what the SDK would do once - read the settings the same way, connect, send the same
handshake line - and turns each dead end into one line naming the setting to fix and the
address tried. An accepted handshake gets no answer, so silence for a moment means "go on".
"""

from __future__ import annotations

import re
import socket
import sys

from dify_plugin import DifyPluginEnv, Plugin
from dify_plugin.config.config import InstallMethod
from dify_plugin.core.entities.message import InitializeMessage

CONNECT_TIMEOUT = 5.0
REFUSAL_WAIT = 1.5
DEBUG_PAGE = "Dify -> Plugins -> Debugging"
# Masked or template values such as the `********-****-...` of .env.example.
_PLACEHOLDER_KEY = re.compile(r"[*xX.\-<> ]*|.*(?:your|placeholder|changeme).*", re.IGNORECASE)


class RemoteDebugError(Exception):
    pass


def _address(config: DifyPluginEnv) -> tuple[str, int]:
    try:
        return Plugin._get_remote_install_host_and_port(config)
    except (ValueError, IndexError) as exc:
        raise RemoteDebugError(
            f"REMOTE_INSTALL_URL={config.REMOTE_INSTALL_URL!r} is not host:port ({exc}); "
            f"copy the URL shown on {DEBUG_PAGE} into .env"
        ) from None


def _check_key(key: str, where: str) -> None:
    if not key.strip():
        raise RemoteDebugError(
            f"REMOTE_INSTALL_KEY is empty; copy the key shown on {DEBUG_PAGE} into .env "
            f"(debug address {where})"
        )
    if _PLACEHOLDER_KEY.fullmatch(key.strip()):
        raise RemoteDebugError(
            f"REMOTE_INSTALL_KEY is still the placeholder from .env.example; copy the key "
            f"shown on {DEBUG_PAGE} into .env (debug address {where})"
        )


def _handshake(host: str, port: int, key: str) -> None:
    where = f"{host}:{port}"
    try:
        conn = socket.create_connection((host, port), timeout=CONNECT_TIMEOUT)
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise RemoteDebugError(
            f"cannot reach REMOTE_INSTALL_URL={where} ({reason}); check the URL shown on "
            f"{DEBUG_PAGE} and that this machine can reach that port"
        ) from None
    with conn:
        hello = InitializeMessage(type=InitializeMessage.Type.HANDSHAKE,
                                  data=InitializeMessage.Key(key=key).model_dump())
        try:
            conn.sendall(hello.model_dump_json().encode() + b"\n")
            conn.settimeout(REFUSAL_WAIT)
            answer = conn.recv(4096)
        except TimeoutError:
            return  # the daemon stays silent on an accepted key
        except OSError as exc:
            answer = (exc.strerror or type(exc).__name__).encode()
    if answer.startswith(b"HTTP/"):
        raise RemoteDebugError(
            f"REMOTE_INSTALL_URL={where} answers HTTP: that is a web port, not Dify's plugin "
            f"debugging port (usually 5003: the daemon's PLUGIN_REMOTE_INSTALLING_PORT, "
            f"PLUGIN_DEBUGGING_PORT in Dify's docker/.env); copy the URL shown on {DEBUG_PAGE}"
        )
    lines = answer.decode("utf-8", "replace").strip().splitlines()
    reason = lines[0][:200] if lines else "the connection was closed"
    raise RemoteDebugError(
        f"Dify at REMOTE_INSTALL_URL={where} refused REMOTE_INSTALL_KEY ({reason}); copy the "
        f"current key shown on {DEBUG_PAGE} into .env"
    )


def check(config: DifyPluginEnv) -> None:
    """Raise RemoteDebugError when remote debugging cannot start with these settings."""
    if config.INSTALL_METHOD is not InstallMethod.Remote:
        return
    host, port = _address(config)
    key = config.REMOTE_INSTALL_KEY or ""
    _check_key(key, f"{host}:{port}")
    _handshake(host, port, key)


def exit_unless_remote_debugging_can_start(config: DifyPluginEnv) -> None:
    """One line on stderr and exit code 2 instead of SDK tracebacks and retries."""
    try:
        check(config)
    except RemoteDebugError as exc:
        print(f"remote debugging: {exc}", file=sys.stderr, flush=True)
        raise SystemExit(2) from None
