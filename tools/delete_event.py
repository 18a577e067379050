from collections.abc import Mapping
from typing import Any

from gcal.events.input import parse_scope, parse_send_updates, required_event_id
from gcal.events.series import delete_following
from gcal.events.writes import delete_event
from gcal.google.client import CalendarClient
from gcal.params import to_str
from gcal.replies.build import Reply, write_reply
from tools import _base


class DeleteEventTool(_base.CalendarTool):
    def answer(self, client: CalendarClient, parameters: Mapping[str, Any]) -> Reply:
        event_id = required_event_id(parameters)
        scope, send = parse_scope(parameters), parse_send_updates(parameters)
        calendar = to_str(parameters.get("calendar_id"), "calendar_id")
        if scope == "following":
            return write_reply(delete_following(client, event_id, calendar, send))
        return write_reply(delete_event(client, event_id, calendar, scope, send))
