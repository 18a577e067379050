"""Drive the real plugin process the way Dify's plugin daemon does for a local install.

The daemon starts ``python -m main`` in the plugin directory with ``INSTALL_METHOD=local`` and
talks to it over stdio (see ``dify_plugin/core/server/stdio`` and ``plugin.py`` in the SDK):

* **stdin** (daemon → plugin): one JSON object per line, exactly the daemon's
  ``pluginInStreamMessage``::

      {"session_id": "<uuid>", "conversation_id": null, "message_id": null, "app_id": null,
       "endpoint_id": null, "context": {}, "event": "request",
       "data": {"user_id": "...", "type": "tool", "action": "invoke_tool",
                "provider": "google_calendar", "tool": "list_events",
                "credentials": {...}, "credential_type": "oauth2", "tool_parameters": {...}}}

  ``data`` is the SDK request model (``core/entities/plugin/request.py``): ``type``/``action``
  pick the route (``tool``/``invoke_tool``, ``tool``/``validate_tool_credentials``,
  ``oauth``/``get_authorization_url`` | ``get_credentials`` | ``refresh_credentials``).

* **stdout** (plugin → daemon): first the plugin declaration (``PluginConfiguration`` as JSON,
  no ``event`` key), then frames separated by blank lines, each
  ``{"event": "session"|"log"|"error"|"heartbeat", "session_id": ..., "data": ...}``.
  A session's replies are ``{"type": "stream", "data": <ToolInvokeMessage or dict>}`` …,
  optionally ``{"type": "error", "data": {"error_type", "message", "args"}}``, then
  ``{"type": "end", "data": {}}``. Blobs arrive as ``blob_chunk`` messages (base64, 8 KiB each)
  which Dify reassembles into one ``blob`` message.

Usage::

    with PluginProcess(emulator_host=emu.host) as plugin:
        result = plugin.invoke_tool("get_current_time", {}, {"access_token": token})
        print(result.agent_view)
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, TypedDict, Unpack
from urllib.parse import urlsplit

from gcal.google.transport import READ_TIMEOUT
from tests.dify_host.readers import AGENT_APPS
from tests.timeouts import scaled

REPO_ROOT = str(Path(__file__).resolve().parent.parent)
CURRENT_AGENT_APP = AGENT_APPS[-1]

_JSON_DECODER = json.JSONDecoder()

DEFAULT_PROVIDER = "google_calendar"
DEFAULT_USER_ID = "user-1"
DEFAULT_TIMEOUT: float = scaled(60)  # per request; tests/timeouts.py


class CallOptions(TypedDict, total=False):
    """Keyword options of every daemon-style call (defaults: the ``DEFAULT_*`` constants)."""

    provider: str
    user_id: str
    timeout: float


def default_python(cwd: str = REPO_ROOT) -> str:
    """The interpreter Dify would use: the repo's .venv, else the one running us."""
    candidate = Path(cwd) / ".venv" / "bin" / "python"
    if candidate.exists():
        return str(candidate)
    candidate = Path(REPO_ROOT) / ".venv" / "bin" / "python"
    return str(candidate) if candidate.exists() else sys.executable


class PluginInvokeError(Exception):
    """An error the plugin reported for one request, as Dify would receive it.

    ``message`` is the error text Dify shows (the exception message raised in the plugin),
    ``error_type`` the exception class name (e.g. ``ToolProviderCredentialValidationError``).
    """

    def __init__(self, message: str, error_type: str = "", *, raw: Mapping | None = None):
        super().__init__(message)
        self.message = message
        self.error_type = error_type
        self.raw = dict(raw or {})

    @property
    def traceback(self) -> str:
        args = self.raw.get("args") or {}
        return str(args.get("traceback") or "") if isinstance(args, Mapping) else ""

    @property
    def agent_view(self) -> str:
        """What a Dify agent's model reads when a tool call fails."""
        return f"tool invoke error: {self.message}"

    def __str__(self) -> str:
        return f"{self.error_type}: {self.message}" if self.error_type else self.message


LOOPBACK_GUARD = str(Path(__file__).resolve().parent / "loopback_guard")
LOOPBACK_MARKER = "LOOPBACK-GUARD refused a connection to"


class PluginProcessError(RuntimeError):
    """The plugin process itself misbehaved (did not start, died, timed out)."""


@dataclass
class ToolResult:
    """Everything a tool call produced, in the shapes Dify works with.

    * ``messages``: raw ``ToolInvokeMessage`` dicts as Dify receives them, in order; blob chunks
      are reassembled into one ``{"type": "blob", "message": {"blob": <bytes>}, "meta": …}``.
    * ``text``: all text messages joined (as a workflow tool node's ``text`` output).
    * ``json``: the JSON payloads (``json_object``) in order.
    * ``variables``: variable messages (name → value; streamed variables concatenated).
    * ``blobs``: ``(bytes, meta)`` pairs.
    * ``agent_view``: what an agent's model reads on the Dify releases the plugin supports
      (``tests/dify_host/readers.py``: text, links, file links, then JSON messages not already
      present; variable messages are not shown to the model).
    """

    messages: list[dict[str, Any]] = field(default_factory=list)
    text: str = ""
    json: list[Any] = field(default_factory=list)
    variables: dict[str, Any] = field(default_factory=dict)
    blobs: list[tuple[bytes, dict | None]] = field(default_factory=list)
    agent_view: str = ""
    logs: list[dict[str, Any]] = field(default_factory=list)

    @property
    def types(self) -> list[str]:
        return [m.get("type", "") for m in self.messages]

    @classmethod
    def from_messages(cls, messages: Iterable[dict[str, Any]]) -> ToolResult:
        result = cls()
        chunks: dict[str, dict[str, Any]] = {}
        for msg in messages:
            kind = msg.get("type")
            body = msg.get("message") or {}
            if kind == "blob_chunk":
                entry = chunks.setdefault(
                    body["id"], {"parts": {}, "meta": msg.get("meta"), "index": None}
                )
                if entry["index"] is None:
                    entry["index"] = len(result.messages)
                    result.messages.append({})  # placeholder keeps the blob in order
                if body.get("end"):
                    data = b"".join(entry["parts"][i] for i in sorted(entry["parts"]))
                    assembled = {"type": "blob", "message": {"blob": data}, "meta": entry["meta"]}
                    result.messages[entry["index"]] = assembled
                else:
                    entry["parts"][body["sequence"]] = base64.b64decode(body.get("blob") or "")
                continue
            if kind == "blob" and isinstance(body.get("blob"), str):
                msg = {**msg, "message": {"blob": base64.b64decode(body["blob"])}}
            result.messages.append(msg)
        result.messages = [m for m in result.messages if m]

        text_parts: list[str] = []
        for msg in result.messages:
            kind = msg.get("type")
            body = msg.get("message") or {}
            if kind == "text":
                text_parts.append(body.get("text", ""))
            elif kind == "json":
                result.json.append(body.get("json_object"))
            elif kind == "variable":
                name = body.get("variable_name")
                value = body.get("variable_value")
                if body.get("stream") and isinstance(result.variables.get(name), str):
                    result.variables[name] += value
                else:
                    result.variables[name] = value
            elif kind == "blob":
                result.blobs.append((body.get("blob", b""), msg.get("meta")))
            elif kind == "log":
                result.logs.append(body)
        result.text = "".join(text_parts)
        result.agent_view = CURRENT_AGENT_APP.view(result.messages)
        return result


class _Session:
    __slots__ = ("done", "error", "messages")

    def __init__(self) -> None:
        self.messages: list[Any] = []
        self.error: dict[str, Any] | None = None
        self.done = threading.Event()


class PluginProcess:
    """The plugin as a subprocess speaking Dify's stdio protocol. Thread-safe."""

    started: ClassVar[list[PluginProcess]] = []  # every process of this test session

    def __init__(
        self,
        *,
        emulator_host: str | None,
        env: Mapping[str, str] | None = None,
        python: str | None = None,
        cwd: str = REPO_ROOT,
        start_timeout: float = DEFAULT_TIMEOUT,
    ) -> None:
        self.cwd = str(cwd)
        self.python = python or default_python(self.cwd)
        self.emulator_host = emulator_host
        self.declaration: dict[str, Any] | None = None
        self.log_lines: list[str] = []  # every stdout line that is not a session frame
        self.logs: list[dict[str, Any]] = []  # data of {"event": "log"} frames
        self.errors: list[dict[str, Any]] = []  # {"event": "error"} frames without session
        self.heartbeats = 0
        self.frames_in: list[str] = []  # raw lines we wrote to stdin (for debugging)
        self._stderr: list[str] = []
        self._sessions: dict[str, _Session] = {}
        self._lock = threading.Lock()
        self._write_lock = threading.Lock()
        self._ready = threading.Event()
        self._closed = False

        proc_env = {k: v for k, v in os.environ.items() if not k.startswith("REMOTE_INSTALL")}
        proc_env.pop("GOOGLE_CALENDAR_EMULATOR_HOST", None)
        proc_env.update(
            {
                "INSTALL_METHOD": "local",
                "PYTHONUNBUFFERED": "1",
                "PYTHONDONTWRITEBYTECODE": "1",
            }
        )
        if emulator_host:
            proc_env["GOOGLE_CALENDAR_EMULATOR_HOST"] = emulator_host
        # A busy machine makes the emulator slow too: the plugin's read timeout scales with the
        # tests' time factor (tests/timeouts.py) unless a test or the caller sets it.
        proc_env.setdefault("GCAL_READ_TIMEOUT", str(scaled(READ_TIMEOUT)))
        if env:
            proc_env.update(env)
        # No packet beyond loopback from the plugin either (tests/loopback_guard).
        proc_env["PYTHONPATH"] = os.pathsep.join(
            filter(None, [LOOPBACK_GUARD, proc_env.get("PYTHONPATH")]))
        self.env = proc_env

        self._proc = subprocess.Popen(
            [self.python, "-m", "main"],
            cwd=self.cwd,
            env=proc_env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
        self.pid = self._proc.pid
        PluginProcess.started.append(self)
        self._stdout_thread = threading.Thread(
            target=self._read_stdout, name=f"plugin-stdout-{self.pid}", daemon=True
        )
        self._stderr_thread = threading.Thread(
            target=self._read_stderr, name=f"plugin-stderr-{self.pid}", daemon=True
        )
        self._stdout_thread.start()
        self._stderr_thread.start()

        deadline = time.monotonic() + start_timeout
        while not self._ready.wait(0.05):
            if self._proc.poll() is not None:
                self._stdout_thread.join(2)
                self._stderr_thread.join(2)
                self.close()
                raise PluginProcessError(
                    f"plugin exited with code {self._proc.returncode} during start-up:\n"
                    + self.stderr_text[-4000:]
                )
            if time.monotonic() > deadline:
                self.close()
                raise PluginProcessError(
                    f"plugin did not become ready within {start_timeout}s:\n"
                    + self.stderr_text[-4000:]
                )

    # ------------------------------------------------------------------ lifecycle
    def __enter__(self) -> PluginProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def alive(self) -> bool:
        return self._proc.poll() is None

    @property
    def returncode(self) -> int | None:
        return self._proc.poll()

    def close(self, timeout: float = 5) -> None:
        """Stop the plugin (SIGTERM, then SIGKILL) and fail every pending request."""
        if self._closed:
            return
        self._closed = True
        with contextlib.suppress(OSError, ValueError):
            self._proc.stdin.close()
        if self._proc.poll() is None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self._proc.pid, signal.SIGTERM)
            try:
                self._proc.wait(timeout)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(self._proc.pid, signal.SIGKILL)
                self._proc.wait(timeout)
        self._stdout_thread.join(2)
        self._stderr_thread.join(2)
        for stream in (self._proc.stdout, self._proc.stderr):
            with contextlib.suppress(OSError, ValueError):
                stream.close()
        self._fail_pending("plugin process stopped")

    # ------------------------------------------------------------------ output
    @property
    def stderr_text(self) -> str:
        with self._lock:
            return "".join(self._stderr)

    @property
    def output_text(self) -> str:
        """Everything the plugin printed (stdout log lines + stderr), for secret-leak scans."""
        with self._lock:
            return "\n".join(self.log_lines) + "\n" + "".join(self._stderr)

    def _read_stderr(self) -> None:
        for raw in iter(self._proc.stderr.readline, b""):
            with self._lock:
                self._stderr.append(raw.decode("utf-8", "replace"))

    def _read_stdout(self) -> None:
        try:
            for raw in iter(self._proc.stdout.readline, b""):
                line = raw.decode("utf-8", "replace").strip()
                if line:
                    self._handle_line(line)
        finally:
            self._fail_pending(self._death_note())

    def _death_note(self) -> str:
        code = self._proc.poll()
        tail = self.stderr_text[-2000:]
        return f"plugin process ended (exit code {code})" + (f":\n{tail}" if tail else "")

    def _handle_line(self, line: str) -> None:
        # Frames are JSON objects separated by blank lines; concurrent writers may glue two
        # objects onto one line, so decode as many objects as the line holds.
        pos = 0
        objects: list[Any] = []
        while pos < len(line):
            try:
                obj, end = _JSON_DECODER.raw_decode(line, pos)
            except json.JSONDecodeError:
                with self._lock:
                    self.log_lines.append(line[pos:])
                return
            objects.append(obj)
            pos = end
            while pos < len(line) and line[pos].isspace():
                pos += 1
        for obj in objects:
            self._handle_frame(obj, line)

    def _handle_frame(self, obj: Any, line: str) -> None:
        if not isinstance(obj, dict) or "event" not in obj:
            if isinstance(obj, dict) and self.declaration is None and "plugins" in obj:
                self.declaration = obj
            else:
                with self._lock:
                    self.log_lines.append(line)
            return
        event = obj.get("event")
        data = obj.get("data")
        session_id = obj.get("session_id")
        if event == "heartbeat":
            self.heartbeats += 1
            self._ready.set()
        elif event == "log":
            with self._lock:
                self.logs.append(data or {})
                self.log_lines.append(line)
        elif event == "error":
            with self._lock:
                self.log_lines.append(line)
                session = self._sessions.get(session_id) if session_id else None
                if session is None:
                    self.errors.append(data or {})
            if session is not None:
                payload = dict(data or {})
                session.error = {
                    "error_type": payload.get("error_type", ""),
                    "message": payload.get("message") or payload.get("error") or "",
                    **payload,
                }
                session.done.set()
        elif event == "session":
            with self._lock:
                session = self._sessions.get(session_id)
            if session is None:
                with self._lock:
                    self.log_lines.append(line)
                return
            kind = (data or {}).get("type")
            body = (data or {}).get("data")
            if kind == "stream":
                session.messages.append(body)
            elif kind == "error":
                session.error = dict(body or {})
            elif kind == "end":
                session.done.set()
            elif kind == "invoke":
                session.error = {
                    "error_type": "UnsupportedBackwardsInvocation",
                    "message": f"plugin asked Dify for a backwards invocation: {body!r}",
                }
                session.done.set()
        else:
            with self._lock:
                self.log_lines.append(line)

    def _fail_pending(self, reason: str) -> None:
        with self._lock:
            pending = [s for s in self._sessions.values() if not s.done.is_set()]
        for session in pending:
            if session.error is None:
                session.error = {"error_type": "PluginProcessError", "message": reason}
            session.done.set()

    # ------------------------------------------------------------------ requests
    def request(
        self,
        data: Mapping[str, Any],
        *,
        timeout: float = DEFAULT_TIMEOUT,
        context: Mapping[str, Any] | None = None,
        conversation_id: str | None = None,
        message_id: str | None = None,
        app_id: str | None = None,
    ) -> list[Any]:
        """Send one request frame, wait for its ``end``; return the streamed payloads."""
        if self._closed or not self.alive:
            raise PluginProcessError(self._death_note())
        session_id = str(uuid.uuid4())
        session = _Session()
        with self._lock:
            self._sessions[session_id] = session
        frame = {
            "session_id": session_id,
            "conversation_id": conversation_id,
            "message_id": message_id,
            "app_id": app_id,
            "endpoint_id": None,
            "context": dict(context or {}),
            "event": "request",
            "data": dict(data),
        }
        line = json.dumps(frame, ensure_ascii=False) + "\n"
        try:
            with self._write_lock:
                self.frames_in.append(line)
                self._proc.stdin.write(line.encode("utf-8"))
                self._proc.stdin.flush()
            if not session.done.wait(timeout):
                raise PluginProcessError(
                    f"no end of session {data.get('type')}/{data.get('action')} "
                    f"within {timeout}s"
                )
        except (BrokenPipeError, OSError) as exc:
            raise PluginProcessError(f"{exc}; {self._death_note()}") from None
        finally:
            with self._lock:
                self._sessions.pop(session_id, None)
        if session.error is not None:
            err = session.error
            if err.get("error_type") == "PluginProcessError":
                raise PluginProcessError(err.get("message", ""))
            raise PluginInvokeError(
                str(err.get("message", "")), str(err.get("error_type", "")), raw=err
            )
        return session.messages

    def _single(self, data: Mapping[str, Any], timeout: float) -> dict[str, Any]:
        messages = self.request(data, timeout=timeout)
        if len(messages) != 1 or not isinstance(messages[0], dict):
            raise PluginProcessError(f"expected one response object, got {messages!r}")
        return messages[0]

    def _data(self, kind: str, action: str, opts: CallOptions, **fields: Any) -> dict[str, Any]:
        """The request model ``data``: the routing keys first, then the action's own fields."""
        return {
            "user_id": opts.get("user_id", DEFAULT_USER_ID),
            "type": kind,
            "action": action,
            "provider": opts.get("provider", DEFAULT_PROVIDER),
            **fields,
        }

    def _oauth(
        self,
        action: str,
        redirect_uri: str,
        system_credentials: Mapping[str, Any],
        opts: CallOptions,
        **fields: Any,
    ) -> dict[str, Any]:
        data = self._data(
            "oauth",
            action,
            opts,
            redirect_uri=redirect_uri,
            system_credentials=dict(system_credentials),
            **fields,
        )
        return self._single(data, opts.get("timeout", DEFAULT_TIMEOUT))

    def invoke_tool(
        self,
        tool: str,
        parameters: Mapping[str, Any],
        credentials: Mapping[str, Any],
        *,
        credential_type: str = "oauth2",
        **opts: Unpack[CallOptions],
    ) -> ToolResult:
        data = self._data(
            "tool",
            "invoke_tool",
            opts,
            tool=tool,
            credentials=dict(credentials),
            credential_type=credential_type,
            tool_parameters=dict(parameters),
        )
        messages = self.request(data, timeout=opts.get("timeout", DEFAULT_TIMEOUT))
        return ToolResult.from_messages(messages)

    def validate_credentials(
        self, credentials: Mapping[str, Any], **opts: Unpack[CallOptions]
    ) -> None:
        data = self._data(
            "tool", "validate_tool_credentials", opts, credentials=dict(credentials)
        )
        reply = self._single(data, opts.get("timeout", DEFAULT_TIMEOUT))
        if reply.get("result") is not True:
            raise PluginInvokeError(f"unexpected validation reply {reply!r}", "", raw=reply)

    def oauth_authorization_url(
        self,
        redirect_uri: str,
        system_credentials: Mapping[str, Any],
        **opts: Unpack[CallOptions],
    ) -> str:
        reply = self._oauth("get_authorization_url", redirect_uri, system_credentials, opts)
        return reply["authorization_url"]

    def oauth_get_credentials(
        self,
        redirect_uri: str,
        system_credentials: Mapping[str, Any],
        callback_url_or_query: str,
        **opts: Unpack[CallOptions],
    ) -> dict[str, Any]:
        """The OAuth callback: Dify forwards the browser's GET to the plugin as raw HTTP.

        ``callback_url_or_query`` is the full callback URL, ``?code=…&state=…`` or just the
        query string. Returns ``{"metadata", "credentials", "expires_at"}``.
        """
        raw = build_callback_request(redirect_uri, callback_url_or_query)
        return self._oauth(
            "get_credentials",
            redirect_uri,
            system_credentials,
            opts,
            raw_http_request=binascii.hexlify(raw).decode("ascii"),
        )

    def oauth_refresh_credentials(
        self,
        redirect_uri: str,
        system_credentials: Mapping[str, Any],
        credentials: Mapping[str, Any],
        **opts: Unpack[CallOptions],
    ) -> dict[str, Any]:
        """Returns ``{"credentials", "expires_at"}`` (Dify replaces the stored credentials)."""
        return self._oauth(
            "refresh_credentials",
            redirect_uri,
            system_credentials,
            opts,
            credentials=dict(credentials),
        )


def build_callback_request(redirect_uri: str, callback_url_or_query: str) -> bytes:
    """The raw HTTP/1.1 GET request a browser sends to Dify's OAuth callback endpoint."""
    value = callback_url_or_query.strip()
    redirect = urlsplit(redirect_uri)
    if "://" in value:
        parts = urlsplit(value)
        path, query, host = parts.path or "/", parts.query, parts.netloc
    else:
        path, query, host = redirect.path or "/", value.lstrip("?"), redirect.netloc
    target = f"{path}?{query}" if query else path
    lines = [
        f"GET {target} HTTP/1.1",
        f"Host: {host or 'localhost'}",
        "User-Agent: Mozilla/5.0 (dify-plugin-test)",
        "Accept: text/html,application/xhtml+xml",
        "",
        "",
    ]
    return "\r\n".join(lines).encode("utf-8")


__all__ = [
    "REPO_ROOT",
    "PluginInvokeError",
    "PluginProcess",
    "PluginProcessError",
    "ToolResult",
    "build_callback_request",
    "default_python",
]
