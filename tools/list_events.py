from collections.abc import Mapping
from typing import Any

from gcal.events.calendars import listing_aliases
from gcal.events.reading import MAX_RESULTS_CAP, list_events
from gcal.events.selection import event_selection
from gcal.google.client import CalendarClient
from gcal.params import to_int, to_str
from gcal.replies.build import Reply, events_reply
from tools import _base


class ListEventsTool(_base.CalendarTool):
    def answer(self, client: CalendarClient, parameters: Mapping[str, Any]) -> Reply:
        max_results = to_int(
            parameters.get("max_results"), "max_results",
            default=25, minimum=1, maximum=MAX_RESULTS_CAP,
        )
        page_token = to_str(parameters.get("page_token"), "page_token")
        selection = event_selection(client, parameters)
        page = list_events(
            client, **selection.list_arguments(), max_results=max_results, page_token=page_token
        )
        return events_reply(page, selection.zone, notes=selection.calendar_notes,
                            names=selection.calendar_names,
                            aliases=listing_aliases(client, page.calendar_ids),
                            query=selection.query)
