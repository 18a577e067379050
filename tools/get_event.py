from collections.abc import Mapping
from typing import Any

from gcal.errors import NotFoundError, missing_event_problem
from gcal.events.calendars import resolve_calendar
from gcal.events.input import required_event_id
from gcal.events.reading import get_event
from gcal.google.client import CalendarClient
from gcal.params import to_str
from gcal.replies.build import Reply, event_reply
from tools import _base


class GetEventTool(_base.CalendarTool):
    def answer(self, client: CalendarClient, parameters: Mapping[str, Any]) -> Reply:
        event_id = required_event_id(parameters)
        zone = client.zone_or_primary(to_str(parameters.get("time_zone"), "time_zone"))
        calendar_spec = to_str(parameters.get("calendar_id"), "calendar_id")
        choice = resolve_calendar(client, calendar_spec, allow_prefix=True)
        try:
            event = get_event(client, choice.ids[0], event_id, zone)
        except NotFoundError as exc:
            raise NotFoundError(f"Event {missing_event_problem(event_id, choice.ids[0])}.",
                                status=exc.status, reason=exc.reason) from None
        return event_reply(event, zone, headline="\n".join(f"Note: {n}" for n in choice.notes)
                           or None)
