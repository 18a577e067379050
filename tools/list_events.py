from collections.abc import Mapping
from typing import Any

from gcal.calendars import resolve_calendar_ids
from gcal.client import CalendarClient
from gcal.events import MAX_RESULTS_CAP, list_events
from gcal.inputs import time_window
from gcal.params import to_bool, to_int, to_str
from gcal.replies import Reply, events_reply
from tools import _base


class ListEventsTool(_base.CalendarTool):
    def answer(self, client: CalendarClient, parameters: Mapping[str, Any]) -> Reply:
        zone = client.zone_or_primary(to_str(parameters.get("time_zone"), "time_zone"))
        start, end = time_window(
            to_str(parameters.get("time_min"), "time_min"),
            to_str(parameters.get("time_max"), "time_max"),
            zone,
        )
        page = list_events(
            client,
            resolve_calendar_ids(client, to_str(parameters.get("calendar_ids"), "calendar_ids")),
            time_min=start,
            time_max=end,
            zone=zone,
            query=to_str(parameters.get("query"), "query", max_length=500),
            max_results=to_int(
                parameters.get("max_results"), "max_results",
                default=25, minimum=1, maximum=MAX_RESULTS_CAP,
            ),
            page_token=to_str(parameters.get("page_token"), "page_token"),
            include_declined=to_bool(
                parameters.get("include_declined"), "include_declined", default=False
            ),
        )
        return events_reply(page, zone)
