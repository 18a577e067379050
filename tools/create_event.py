from collections.abc import Mapping
from typing import Any

from gcal.events.input import parse_event_fields
from gcal.events.writes import create_event
from gcal.google.client import CalendarClient
from gcal.params import to_bool, to_str
from gcal.replies.build import Reply, write_reply
from tools import _base


class CreateEventTool(_base.CalendarTool):
    def answer(self, client: CalendarClient, parameters: Mapping[str, Any]) -> Reply:
        fields = parse_event_fields(parameters)
        key = to_str(parameters.get("idempotency_key"), "idempotency_key", max_length=500)
        calendar = to_str(parameters.get("calendar_id"), "calendar_id")
        allow_duplicate = bool(to_bool(parameters.get("allow_duplicate"), "allow_duplicate"))
        return write_reply(create_event(client, fields, calendar, key,
                                        allow_duplicate=allow_duplicate))
