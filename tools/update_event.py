from collections.abc import Mapping
from typing import Any

from gcal.events.input import parse_event_fields, required_event_id
from gcal.events.series import update_following
from gcal.events.writes import update_event
from gcal.google.client import CalendarClient
from gcal.params import to_str
from gcal.replies.build import Reply, write_reply
from tools import _base


class UpdateEventTool(_base.CalendarTool):
    def answer(self, client: CalendarClient, parameters: Mapping[str, Any]) -> Reply:
        event_id = required_event_id(parameters)
        fields = parse_event_fields(parameters, update=True)
        calendar = to_str(parameters.get("calendar_id"), "calendar_id")
        change = update_following if fields.scope == "following" else update_event
        return write_reply(change(client, fields, event_id, calendar))
