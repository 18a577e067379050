"""Google's status events: out of office, focus time and working location.

Their rules (Google's event-types guide, and the discovery document's Event.eventType: "This
cannot be modified after the event is created") are checked here before any request, so the
model gets a cause and a next step instead of a bare 400.
"""
# https://developers.google.com/calendar/api/guides/event-types

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from gcal.errors import InvalidInputError
from gcal.google.serializers import TYPE_PROPERTIES as PROPERTIES
from gcal.params import choice, to_str

EVENT_TYPES = {"default": "default", "out_of_office": "outOfOffice", "focus_time": "focusTime",
               "working_location": "workingLocation"}
TYPE_NAMES = {google: name for name, google in EVENT_TYPES.items()}
AUTO_DECLINE = {"none": "declineNone", "new": "declineOnlyNewConflictingInvitations",
                "all": "declineAllConflictingInvitations"}
CHAT_STATUS = {"do_not_disturb": "doNotDisturb", "available": "available"}
# The titles Google Calendar gives these events when the user types none.
_DEFAULT_TITLES = {"outOfOffice": "Out of office", "focusTime": "Focus time",
                   "workingLocation": "Working location"}
DECLINING = ("outOfOffice", "focusTime")  # status events that decline invitations


@dataclass(frozen=True)
class TypeInput:
    """The event-type parameters as given (None: not given)."""

    kind: str | None = None  # Google's name
    auto_decline: str | None = None
    decline_message: str | None = None
    chat_status: str | None = None
    location: dict | None = None

    @property
    def special(self) -> bool:
        return self.kind not in (None, "default")

    @property
    def properties_given(self) -> bool:
        return any(value is not None for value in (self.auto_decline, self.decline_message,
                                                   self.chat_status, self.location))


def without_neutral_values(types: TypeInput) -> TypeInput:
    """A model that fills every parameter sends auto_decline=none or chat_status=available
    for a normal event: those mean "nothing", not a request for a status event."""
    return replace(
        types,
        auto_decline=None if types.auto_decline == AUTO_DECLINE["none"] else types.auto_decline,
        chat_status=None if types.chat_status == CHAT_STATUS["available"] else types.chat_status,
    )


def parse_type_input(params: Mapping[str, Any]) -> TypeInput:
    return TypeInput(
        kind=choice(params.get("event_type"), "event_type", EVENT_TYPES),
        auto_decline=choice(params.get("auto_decline"), "auto_decline", AUTO_DECLINE),
        decline_message=to_str(params.get("decline_message"), "decline_message",
                               max_length=1024),
        chat_status=choice(params.get("chat_status"), "chat_status", CHAT_STATUS),
        location=parse_working_location(params.get("working_location")),
    )


def parse_event_types(value: Any) -> tuple[str, ...]:
    """list_events' filter: a comma list of the names above → Google's names."""
    text = to_str(value, "event_types")
    if not text:
        return ()
    names = [part.strip().lower().replace(" ", "_") for part in text.split(",") if part.strip()]
    return tuple(dict.fromkeys(choice(name, "event_types", EVENT_TYPES) for name in names))


def parse_working_location(value: Any) -> dict | None:
    """``home``, ``office``, ``office:<building or label>`` or any other label (custom)."""
    text = to_str(value, "working_location", max_length=200)
    if not text:
        return None
    word, _, label = text.partition(":")
    word = word.strip().casefold()
    if word in ("home", "home office", "homeoffice") and not label.strip():
        return {"type": "homeOffice", "homeOffice": {}}
    if word == "office":
        return {"type": "officeLocation",
                "officeLocation": {"label": label.strip()} if label.strip() else {}}
    return {"type": "customLocation", "customLocation": {"label": text.strip()}}


def default_title(types: TypeInput) -> str | None:
    if types.kind == "workingLocation" and types.location:
        place = location_text(types.location).removeprefix("working from ")
        return place[:1].upper() + place[1:]
    return _DEFAULT_TITLES.get(types.kind or "")


# ----------------------------------------------------------------------------- create


def new_event_body(types: TypeInput, *, primary: bool, all_day: bool, days: int,
                   has_guests: bool, simple: Mapping[str, Any], meet: bool) -> dict:
    """eventType and its properties for a new event, after checking Google's rules."""
    kind = types.kind or "default"
    if kind == "default":
        _check_properties_fit(without_neutral_values(types), kind, creating=True)
        return {}
    _check_properties_fit(types, kind)
    name = TYPE_NAMES[kind]
    if not primary:
        raise InvalidInputError("calendar_id", f"{name} events exist only on your primary "
                                "calendar (Google's rule); leave calendar_id empty", "primary")
    if has_guests or meet:
        raise InvalidInputError("attendees", f"{name} events cannot have guests or a Meet "
                                "link (Google's rule); create a normal event for a meeting", "")
    body: dict[str, Any] = {"eventType": kind}
    if kind == "workingLocation":
        _check_working_location(types, simple, all_day, days)
        # Google requires working locations to be free and public.
        body.update(transparency="transparent", visibility="public")
    properties = _properties(types, kind)
    if properties or kind == "workingLocation":
        body[PROPERTIES[kind]] = properties
    return body


def _check_working_location(types: TypeInput, simple: Mapping[str, Any], all_day: bool,
                            days: int) -> None:
    if types.location is None:
        raise InvalidInputError("working_location", "is required for a working location "
                                "event: home, office, office:<building> or a label",
                                "office:Building 2")
    if simple.get("transparency") == "opaque" or simple.get("visibility") not in (None,
                                                                                  "public"):
        raise InvalidInputError("show_as", "a working location is always free and public "
                                "(Google's rule); leave show_as and visibility empty", "free")
    if all_day and days != 1:
        raise InvalidInputError("end", "an all-day working location covers one day (Google's "
                                "rule); create one per day", "2026-03-10")


def _check_properties_fit(types: TypeInput, kind: str, *, creating: bool = False) -> None:
    """On create, "default" here means event_type was not given: the properties may be what
    the user meant, so the error names the event_type that takes them."""
    if (types.auto_decline is not None or types.decline_message is not None) and (
            kind not in DECLINING):
        raise _misplaced("auto_decline", "out_of_office and focus_time", "out_of_office",
                         "auto_decline and decline_message", creating)
    if types.chat_status is not None and kind != "focusTime":
        raise _misplaced("chat_status", "focus_time", "focus_time", "it", creating)
    if types.location is not None and kind != "workingLocation":
        raise _misplaced("working_location", "working_location", "working_location", "it",
                         creating)


def _misplaced(parameter: str, owners: str, event_type: str, what: str,
               creating: bool) -> InvalidInputError:
    if creating:
        return InvalidInputError(parameter, f"applies only to {owners} events; set "
                                 f"event_type={event_type}, or leave {what} empty for a "
                                 "normal event", f"event_type={event_type}")
    return InvalidInputError(parameter, f"applies only to {owners} events; leave {what} empty "
                             "for other events", "")


def ignored_on_default(types: TypeInput) -> tuple[TypeInput, list[str]]:
    """event_type=default given with properties of the other types (a model filling every
    parameter): the properties are dropped; returns the names of those that said something."""
    if types.kind != "default":
        return types, []
    given = without_neutral_values(types)
    values = {"auto_decline": given.auto_decline, "decline_message": given.decline_message,
              "chat_status": given.chat_status, "working_location": given.location}
    return TypeInput(kind="default"), [name for name, value in values.items()
                                       if value is not None]


def _properties(types: TypeInput, kind: str) -> dict:
    if kind == "workingLocation":
        return dict(types.location or {})
    properties = {"autoDeclineMode": types.auto_decline, "declineMessage": types.decline_message,
                  "chatStatus": types.chat_status}
    return {key: value for key, value in properties.items() if value is not None}


# ----------------------------------------------------------------------------- update


def update_patch(types: TypeInput, subject: Mapping[str, Any], *, adds_guests: bool,
                 all_day: bool | None) -> dict:
    """The changed properties of a status event (PATCH merges them); its type stays."""
    current = subject.get("eventType", "default")
    if types.kind is not None and types.kind != current:
        raise InvalidInputError(
            "event_type", f"this is a {TYPE_NAMES.get(current, current)} event and Google "
            "does not allow changing an event's type; delete it and create a new one",
            TYPE_NAMES.get(current, current))
    if current in PROPERTIES and adds_guests:
        raise InvalidInputError("attendees", f"{TYPE_NAMES[current]} events cannot have "
                                "guests (Google's rule)", "")
    if current in DECLINING and all_day:
        raise InvalidInputError("all_day", f"{TYPE_NAMES[current]} events must keep start "
                                "and end times (Google's rule)", "false")
    if current == "default":
        types = without_neutral_values(types)
    if not types.properties_given:
        return {}
    if current == "default":
        _check_properties_fit(types, current)  # names the parameter to leave empty
    wanted = _type_for(types)
    if current not in wanted:
        name = TYPE_NAMES[wanted[0]]
        raise InvalidInputError(
            "event_type", f"this is a {TYPE_NAMES.get(current, current)} event; Google does "
            f"not allow changing an event's type, so delete it and create_event with "
            f"event_type={name}", name)
    return {PROPERTIES[current]: _properties(types, current)}


def _type_for(types: TypeInput) -> tuple[str, ...]:
    """The event types the given properties belong to."""
    if types.location is not None:
        return ("workingLocation",)
    if types.chat_status is not None:
        return ("focusTime",)
    return DECLINING


# ----------------------------------------------------------------------------- reading


def location_text(properties: Mapping[str, Any] | None) -> str:
    """`working from home`, `working from office (Building 2)`, `working from Café`."""
    properties = properties or {}
    kind = properties.get("type")
    if kind == "homeOffice" or (kind is None and "homeOffice" in properties):
        return "working from home"
    if kind == "officeLocation" or (kind is None and "officeLocation" in properties):
        label = (properties.get("officeLocation") or {}).get("label")
        return f"working from office ({label})" if label else "working from office"
    label = (properties.get("customLocation") or {}).get("label")
    return f"working from {label}" if label else "working location"


def type_mark(event_type: str, properties: Mapping[str, Any] | None) -> str | None:
    """The words a listing line carries for a non-default event type."""
    if event_type == "workingLocation":
        return location_text(properties)
    if event_type in ("outOfOffice", "focusTime", "birthday", "fromGmail"):
        return {"outOfOffice": "out of office", "focusTime": "focus time",
                "birthday": "birthday", "fromGmail": "from Gmail"}[event_type]
    return None


def type_details(event_type: str, properties: Mapping[str, Any] | None) -> list[str]:
    """get_event's words for the properties: auto-decline, message, chat status."""
    properties = properties or {}
    details = []
    mode = properties.get("autoDeclineMode")
    if mode:
        by_mode = {google: name for name, google in AUTO_DECLINE.items()}
        details.append(f"auto-decline: {by_mode.get(mode, mode)}")
    if properties.get("declineMessage"):
        details.append(f'decline message: "{properties["declineMessage"]}"')
    if properties.get("chatStatus"):
        by_status = {google: name for name, google in CHAT_STATUS.items()}
        details.append(f"chat status: {by_status.get(properties['chatStatus'])}")
    return details

