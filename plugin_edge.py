"""The plugin's edge: how a failed request leaves the process (dify_plugin 0.10.x).

The SDK's request wrapper (`IOServer._execute_request_in_thread`,
dify_plugin/core/server/io_server.py) answers *every* exception with
`{"error_type", "message", "args": {"traceback": traceback.format_exc()}}`, and under remote
debugging and serverless also logs it as "Unexpected error occurred when executing request".
Dify hands that whole object to an agent's model (`tool invoke error: PluginInvokeError: {…}`)
and to the console, so a 230-character message became 1,300-1,700 characters, the daemon's
install path (`…/cwd/<author>/<name>:<version>@<64 hex>/…`) repeated in every frame.

`EdgePlugin._execute_request` (the method that wrapper calls) answers the plugin's *expected*
errors itself - same keys, `args` empty, message bounded - and returns normally, so the wrapper
still ends the session. Anything else (a bug) propagates and keeps the SDK's traceback and log.
Both SDK functions are private: tests/unit/test_plugin_edge.py pins their source and fails the
day the SDK changes them.
"""

from __future__ import annotations

import json
from typing import Any

from dify_plugin import Plugin
from dify_plugin.errors.tool import ToolProviderCredentialValidationError, ToolProviderOAuthError

from gcal.errors import GoogleCalendarError

# What an agent's model reads for an expected error, all included:
# `tool invoke error: PluginInvokeError: {"error_type": …, "message": …, "args": {}}`.
MODEL_VIEW_LIMIT = 450
_MODEL_VIEW_PREFIX = "tool invoke error: PluginInvokeError: "

# Our own refusals: bad input, Google's answers, reconnect, validation of what was typed.
EXPECTED_ERRORS: tuple[type[Exception], ...] = (
    GoogleCalendarError,
    ToolProviderCredentialValidationError,
    ToolProviderOAuthError,
)


def expected_error_object(error: Exception) -> dict[str, Any]:
    """The daemon's error object for an expected error: no traceback, bounded size."""
    error_type = type(error).__name__
    message = str(error)
    while len(model_view(error_type, message)) > MODEL_VIEW_LIMIT:
        message = _shorter(message)
    return {"error_type": error_type, "message": message, "args": {}}


def model_view(error_type: str, message: str, args: dict | None = None) -> str:
    """What Dify's agent runtime puts in front of the model (ToolEngine.agent_invoke)."""
    error = {"error_type": error_type, "message": message, "args": args or {}}
    return _MODEL_VIEW_PREFIX + json.dumps(error)


def _shorter(message: str) -> str:
    """Drop the last sentence (or, failing that, the last word); a cut text ends with "…"."""
    body = message.removesuffix("…").rstrip()
    cut = body.rfind(". ", 0, len(body) - 1)
    if cut > 0:
        return body[: cut + 1]
    return body.rsplit(" ", 1)[0].rstrip(".,;:") + "…" if " " in body else body[:-1] + "…"


class EdgePlugin(Plugin):
    def _execute_request(self, session_id: str, data: dict, reader: Any, writer: Any,
                         *args: Any, **kwargs: Any) -> None:
        try:
            super()._execute_request(session_id, data, reader, writer, *args, **kwargs)
        except EXPECTED_ERRORS as error:
            writer.session_message(
                session_id=session_id,
                data=writer.stream_error_object(data=expected_error_object(error)),
            )
