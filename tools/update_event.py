from collections.abc import Mapping
from typing import Any

from gcal.client import CalendarClient
from gcal.event_input import parse_event_fields, required_event_id
from gcal.following import update_following
from gcal.params import to_str
from gcal.replies import Reply, write_reply
from gcal.writes import update_event
from tools import _base


class UpdateEventTool(_base.CalendarTool):
    def answer(self, client: CalendarClient, parameters: Mapping[str, Any]) -> Reply:
        event_id = required_event_id(parameters)
        fields = parse_event_fields(parameters, update=True)
        calendar = to_str(parameters.get("calendar_id"), "calendar_id")
        change = update_following if fields.scope == "following" else update_event
        return write_reply(change(client, fields, event_id, calendar))
