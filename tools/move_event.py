from collections.abc import Mapping
from typing import Any

from gcal.events.input import parse_send_updates, required_event_id
from gcal.events.writes import move_event
from gcal.google.client import CalendarClient
from gcal.params import to_str
from gcal.replies.build import Reply, write_reply
from tools import _base


class MoveEventTool(_base.CalendarTool):
    def answer(self, client: CalendarClient, parameters: Mapping[str, Any]) -> Reply:
        event_id = required_event_id(parameters)
        send = parse_send_updates(parameters)
        source = to_str(parameters.get("calendar_id"), "calendar_id")
        destination = to_str(parameters.get("destination_calendar_id"),
                             "destination_calendar_id")
        return write_reply(move_event(client, event_id, source, destination, send))
