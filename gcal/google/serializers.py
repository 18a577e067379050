"""Conversion between Google Calendar API resources and the core models."""

from __future__ import annotations

from datetime import date
from typing import Any

from gcal.dates.times import parse_rfc3339
from gcal.models import Attendee, Calendar, EntryPoint, Event, EventTime, Viewer

# Where Google keeps the details of each special event type (Event resource, discovery doc).
TYPE_PROPERTIES = {"outOfOffice": "outOfOfficeProperties", "focusTime": "focusTimeProperties",
                   "workingLocation": "workingLocationProperties"}

COLOR_NAMES = {
    "1": "Lavender",
    "2": "Sage",
    "3": "Grape",
    "4": "Flamingo",
    "5": "Banana",
    "6": "Tangerine",
    "7": "Peacock",
    "8": "Graphite",
    "9": "Blueberry",
    "10": "Basil",
    "11": "Tomato",
}


def calendar_from_api(item: dict[str, Any]) -> Calendar:
    return Calendar(
        id=item["id"],
        summary=item.get("summaryOverride") or item.get("summary") or item["id"],
        time_zone=item.get("timeZone"),
        access_role=item.get("accessRole", "reader"),
        primary=bool(item.get("primary")),
        hidden=bool(item.get("hidden")),
        selected=bool(item.get("selected")),
        description=item.get("description"),
        color=item.get("backgroundColor"),
    )


def event_time_from_api(value: dict[str, Any] | None) -> EventTime:
    value = value or {}
    if "date" in value:
        return EventTime(day=date.fromisoformat(value["date"]), time_zone=value.get("timeZone"))
    if "dateTime" in value:
        return EventTime(
            instant=parse_rfc3339(value["dateTime"]), time_zone=value.get("timeZone")
        )
    return EventTime()


def attendee_from_api(item: dict[str, Any], me: str | None = None) -> Attendee:
    """`me`: the user's email when the copy is on a calendar that is not theirs."""
    is_self = (bool(item.get("self")) if me is None
               else item.get("email", "").casefold() == me.casefold())
    return Attendee(
        email=item.get("email", ""),
        name=item.get("displayName"),
        response=item.get("responseStatus", "needsAction"),
        optional=bool(item.get("optional")),
        organizer=bool(item.get("organizer")),
        is_self=is_self,
        resource=bool(item.get("resource")),
        comment=item.get("comment"),
    )


def _entry_points(item: dict[str, Any]) -> tuple[EntryPoint, ...]:
    points = (item.get("conferenceData") or {}).get("entryPoints") or []
    return tuple(
        EntryPoint(
            kind=p.get("entryPointType", ""),
            uri=p.get("uri", ""),
            label=p.get("label"),
            pin=p.get("pin") or p.get("accessCode") or p.get("passcode"),
        )
        for p in points
        if p.get("uri")
    )


def _meet_link(item: dict[str, Any], points: tuple[EntryPoint, ...]) -> str | None:
    if item.get("hangoutLink"):
        return item["hangoutLink"]
    return next((p.uri for p in points if p.kind == "video"), None)


def _reminders(item: dict[str, Any]) -> tuple[bool, tuple[str, ...] | None]:
    reminders = item.get("reminders")
    if reminders is None:
        return False, None
    if reminders.get("useDefault"):
        return True, None
    overrides = reminders.get("overrides") or []
    return False, tuple(f"{o.get('method')}:{o.get('minutes')}" for o in overrides)


def event_from_api(
    item: dict[str, Any], calendar_id: str, viewer: Viewer | None = None
) -> Event:
    points = _entry_points(item)
    organizer = item.get("organizer") or {}
    me = None if viewer is None or viewer.owns(calendar_id) else viewer.email
    organizer_is_self = (bool(organizer.get("self", not organizer)) if me is None
                         else organizer.get("email", "").casefold() == me.casefold())
    uses_default, reminders = _reminders(item)
    return Event(
        id=item["id"],
        calendar_id=calendar_id,
        summary=item.get("summary") or "(no title)",
        start=event_time_from_api(item.get("start")),
        end=event_time_from_api(item.get("end")),
        status=item.get("status", "confirmed"),
        location=item.get("location"),
        description=item.get("description"),
        html_link=item.get("htmlLink"),
        meet_link=_meet_link(item, points),
        organizer=organizer.get("email"),
        organizer_is_self=organizer_is_self,
        attendees=tuple(attendee_from_api(a, me) for a in item.get("attendees") or []),
        recurring_event_id=item.get("recurringEventId"),
        recurrence=tuple(item.get("recurrence") or ()),
        visibility=item.get("visibility"),
        transparency=item.get("transparency"),
        color_id=item.get("colorId"),
        reminders=reminders,
        uses_default_reminders=uses_default,
        entry_points=points,
        attachments=tuple(
            (a.get("title") or a.get("fileUrl", ""), a.get("fileUrl", ""))
            for a in item.get("attachments") or []
        ),
        event_type=item.get("eventType", "default"),
        etag=item.get("etag"),
        ical_uid=item.get("iCalUID"),
        created=item.get("created"),
        updated=item.get("updated"),
        guests_can_modify=bool(item.get("guestsCanModify", False)),
        guests_can_invite_others=bool(item.get("guestsCanInviteOthers", True)),
        guests_can_see_other_guests=bool(item.get("guestsCanSeeOtherGuests", True)),
        extra={
            "originalStartTime": item.get("originalStartTime"),
            "sequence": item.get("sequence"),
            "organizerName": organizer.get("displayName"),
            "typeProperties": item.get(TYPE_PROPERTIES.get(item.get("eventType", ""), ""), {}),
        },
    )
