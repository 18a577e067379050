from collections.abc import Mapping
from typing import Any

from gcal.errors import InvalidInputError
from gcal.events.input import parse_send_updates
from gcal.events.writes import quick_add_event
from gcal.google.client import CalendarClient
from gcal.params import to_bool, to_str
from gcal.replies.build import Reply, write_reply
from tools import _base


class QuickAddEventTool(_base.CalendarTool):
    def answer(self, client: CalendarClient, parameters: Mapping[str, Any]) -> Reply:
        text = to_str(parameters.get("text"), "text", max_length=1024)
        if not text:
            raise InvalidInputError("text", "is required", "Lunch with Anna tomorrow 12:30")
        calendar = to_str(parameters.get("calendar_id"), "calendar_id")
        allow_duplicate = bool(to_bool(parameters.get("allow_duplicate"), "allow_duplicate"))
        return write_reply(quick_add_event(client, text, calendar, parse_send_updates(parameters),
                                           allow_duplicate=allow_duplicate))
