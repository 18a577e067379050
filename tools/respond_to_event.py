from collections.abc import Mapping
from typing import Any

from gcal.errors import InvalidInputError
from gcal.events.input import parse_scope, parse_send_updates, required_event_id
from gcal.events.series import respond_following
from gcal.events.writes import RESPONSES, respond_to_event
from gcal.google.client import CalendarClient
from gcal.params import choice, to_str
from gcal.replies.build import Reply, write_reply
from tools import _base


class RespondToEventTool(_base.CalendarTool):
    def answer(self, client: CalendarClient, parameters: Mapping[str, Any]) -> Reply:
        event_id = required_event_id(parameters)
        response = choice(parameters.get("response"), "response", RESPONSES)
        if response is None:
            raise InvalidInputError("response", "is required", "accepted")
        comment = to_str(parameters.get("comment"), "comment", max_length=1024)
        calendar = to_str(parameters.get("calendar_id"), "calendar_id")
        scope, send = parse_scope(parameters), parse_send_updates(parameters)
        if scope == "following":
            return write_reply(respond_following(client, event_id, calendar, response,
                                                 comment, send))
        return write_reply(respond_to_event(client, event_id, calendar, response, comment,
                                            scope, send_updates=send))
