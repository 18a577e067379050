from collections.abc import Mapping
from typing import Any

import httpx

from gcal.client import CalendarClient
from gcal.errors import InvalidInputError, TransportError
from gcal.event_input import parse_send_updates
from gcal.ics_import import import_ics
from gcal.ics_read import MAX_FILE_BYTES
from gcal.params import to_bool, to_str
from gcal.replies import Reply, import_reply
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
    """The bytes of the Dify file (the SDK's `File`, fetched from Dify's signed file URL)."""
    if isinstance(value, list):
        if len(value) != 1:
            raise InvalidInputError("file", f"give exactly one .ics file, not {len(value)}",
                                    _EXAMPLE)
        value = value[0]
    if not hasattr(type(value), "blob"):  # on the class: the property itself downloads
        raise InvalidInputError("file", "no file was given", _EXAMPLE)
    if (getattr(value, "size", None) or 0) > MAX_FILE_BYTES:
        raise InvalidInputError("file", f"the file has {value.size:,} bytes; at most "
                                f"{MAX_FILE_BYTES:,} can be imported at once", _EXAMPLE)
    try:
        return value.blob
    except (httpx.HTTPError, ValueError) as exc:  # the signed URL carries a token: not shown
        status = getattr(getattr(exc, "response", None), "status_code", None)
        problem = f"HTTP {status}" if status else type(exc).__name__
        raise TransportError(
            f"Could not download the file from Dify ({problem}). Check that the plugin can "
            "reach Dify's file URL (FILES_URL / INTERNAL_FILES_URL) and try again."
        ) from None
