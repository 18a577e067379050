from collections.abc import Mapping
from typing import Any

from gcal.events.selection import event_selection
from gcal.google.client import CalendarClient
from gcal.ics.export import gather_export, without_holiday_calendars
from gcal.ics.writing import calendar_bytes, safe_file_name
from gcal.params import to_bool, to_str
from gcal.replies.build import Reply, export_reply
from tools import _base


class ExportEventsIcsTool(_base.CalendarTool):
    def answer(self, client: CalendarClient, parameters: Mapping[str, Any]) -> Reply:
        wanted_name = to_str(parameters.get("file_name"), "file_name", max_length=255)
        keep_series = to_bool(parameters.get("keep_series"), "keep_series", default=False)
        selection = event_selection(client, parameters)
        left_out: list[str] = []
        named = to_str(parameters.get("calendar_ids"), "calendar_ids") or ""
        if named.strip().casefold() in ("", "all"):
            selection, left_out = without_holiday_calendars(selection)
        export = gather_export(client, selection, keep_series=bool(keep_series))
        export.left_out = left_out
        content = calendar_bytes(
            export.events, zone=selection.zone, removed=export.removed,
            name=export.label,
        )
        default_name = f"calendar-{selection.time_min.date().isoformat()}.ics"
        file_name = safe_file_name(wanted_name, default=default_name)
        return export_reply(export, selection.zone, file_name, content)
