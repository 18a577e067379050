"""Shared Dify glue for every tool: credentials → core client → messages.

Tool modules import this module (not the class) so the SDK's loader, which takes the single
`Tool` subclass defined in each tool file, does not see two candidates.
"""

from collections.abc import Generator, Mapping
from typing import Any

from dify_plugin import Tool
from dify_plugin.entities.tool import ToolInvokeMessage

from gcal import logs
from gcal.errors import AuthenticationError
from gcal.google import refresh_memo
from gcal.google.client import CalendarClient, client_from_credentials
from gcal.replies.build import Reply
from tools import _boundary


class CalendarTool(Tool):
    """Parse parameters → call the core → yield one text (for the model) and typed variables.

    Variables are not shown to the model by Dify's agent runtimes, but workflow nodes expose
    them as the outputs declared in each tool's `output_schema`; so the model reads each fact
    once, and workflows still get structured data.
    """

    def _invoke(self, tool_parameters: dict[str, Any]) -> Generator[ToolInvokeMessage, None, None]:
        # Nothing is yielded inside the scope: its context must not outlive the generator step.
        with logs.tool_call(self.tool_name, self.runtime.session_id):
            credential_type = getattr(self.runtime.credential_type, "value", None)
            # A GoogleCalendarError leaves through plugin_edge.EdgePlugin: message only.
            try:
                client = client_from_credentials(self.runtime.credentials, credential_type)
                reply = self.answer(client, tool_parameters)
            except AuthenticationError:
                # Revoked before it expired: Dify's next refresh must ask Google again.
                refresh_memo.forget_access_token(
                    str(self.runtime.credentials.get("access_token") or ""))
                raise
        yield from self.reply_messages(reply)

    @property
    def tool_name(self) -> str:
        return type(self).__module__.rsplit(".", 1)[-1]

    def answer(self, client: CalendarClient, parameters: Mapping[str, Any]) -> Reply:
        raise NotImplementedError

    def reply_messages(self, reply: Reply) -> Generator[ToolInvokeMessage, None, None]:
        yield self.create_text_message(_boundary.line_ended(reply.text))
        for content, meta in reply.files:
            yield self.create_blob_message(blob=content, meta=meta)
        declared = _boundary.declared_outputs(type(self).__module__)
        for name, value in _boundary.complete_outputs(reply.data, declared).items():
            yield self.create_variable_message(name, value)
