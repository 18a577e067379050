from collections.abc import Mapping
from typing import Any

from gcal.errors import InvalidInputError
from gcal.events.input import parse_send_updates
from gcal.google.client import CalendarClient
from gcal.ics.files import download
from gcal.ics.importing import import_ics
from gcal.ics.reading import MAX_FILE_BYTES
from gcal.params import to_bool, to_str
from gcal.replies.build import Reply, import_reply
from tools import _base

_EXAMPLE = "the .ics attachment of an e-mail, or a file the user uploaded"


class ImportEventsIcsTool(_base.CalendarTool):
    def answer(self, client: CalendarClient, parameters: Mapping[str, Any]) -> Reply:
        send = parse_send_updates(parameters) or "none"
        dry_run = bool(to_bool(parameters.get("dry_run"), "dry_run", default=False))
        calendar = to_str(parameters.get("calendar_id"), "calendar_id")
        content = _file_content(parameters.get("file"))
        return import_reply(import_ics(client, content, calendar, send_updates=send,
                                       dry_run=dry_run))


def _file_content(value: Any) -> bytes:
    """The bytes of the Dify file (the SDK's `File`; its `url` is Dify's signed file URL)."""
    if isinstance(value, list):
        if len(value) != 1:
            raise InvalidInputError("file", f"give exactly one .ics file, not {len(value)}",
                                    _EXAMPLE)
        value = value[0]
    url = getattr(value, "url", None)
    if not isinstance(url, str):
        raise InvalidInputError(
            "file", "no file was given (Dify passes files to tools from workflow variables; "
            "in a chat, the app needs a workflow with a file input)", _EXAMPLE)
    if (getattr(value, "size", None) or 0) > MAX_FILE_BYTES:
        raise InvalidInputError("file", f"the file has {value.size:,} bytes; at most "
                                f"{MAX_FILE_BYTES:,} can be imported at once", _EXAMPLE)
    return download(url, limit=MAX_FILE_BYTES)
