from collections.abc import Mapping
from typing import Any

from gcal.dates.times import now_in, resolve_zone
from gcal.google.client import CalendarClient
from gcal.params import to_str
from gcal.replies.build import Reply, current_time_reply
from tools import _base


class GetCurrentTimeTool(_base.CalendarTool):
    def answer(self, client: CalendarClient, parameters: Mapping[str, Any]) -> Reply:
        zone = resolve_zone(to_str(parameters.get("time_zone"), "time_zone"))
        source = "requested zone"
        if zone is None:
            zone, source = client.primary_time_zone(), "primary calendar's zone"
        return current_time_reply(now_in(zone), zone, source=source)
