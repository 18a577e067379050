from collections.abc import Mapping
from typing import Any

from gcal.events.calendars import ACCESS_ROLES, list_calendars
from gcal.google.client import CalendarClient
from gcal.params import choice, to_bool
from gcal.replies.build import Reply, calendars_reply
from tools import _base


class ListCalendarsTool(_base.CalendarTool):
    def answer(self, client: CalendarClient, parameters: Mapping[str, Any]) -> Reply:
        role = choice(
            parameters.get("min_access_role"), "min_access_role", ACCESS_ROLES, default=None
        )
        hidden = to_bool(parameters.get("show_hidden"), "show_hidden", default=False)
        return calendars_reply(list_calendars(client, min_access_role=role, show_hidden=hidden))
