"""Handlers for the Calendar v3 methods the emulator implements."""

from __future__ import annotations

import base64
import copy
import hashlib
import json
import secrets
import string
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from . import events as ev_mod
from . import importing as imports
from .discovery import Method
from .errors import (
    ApiError,
    bad_request,
    invalid,
    not_found,
    reader_required,
    required,
    time_range_empty,
    writer_required,
)
from .quickadd import parse_quick_add
from .recurrence import instance_suffix
from .state import COLOR_BY_ID, ROLE_RANK, Calendar, Membership, State, random_id
from .timeutil import fmt_datetime, fmt_utc_ms, parse_datetime, zone

if TYPE_CHECKING:
    from .server import GoogleEmulator


@dataclass
class Ctx:
    emu: GoogleEmulator
    state: State
    user: str
    method: Method
    params: dict[str, Any]
    body: Any
    headers: Any

    def now(self) -> datetime:
        return self.emu.now()

    def now_iso(self) -> str:
        return fmt_utc_ms(self.now())


Response = tuple[int, Any, dict[str, str]]


# ------------------------------------------------------------------------- access


PUBLIC_HOLIDAYS = "#holiday@group.v.calendar.google.com"


def get_calendar(ctx: Ctx, min_role: str = "reader") -> tuple[Calendar, Membership]:
    cal_id = ctx.state.resolve_calendar_id(ctx.params["calendarId"], ctx.user)
    cal = ctx.state.calendars.get(cal_id)
    mem = ctx.state.membership(ctx.user, cal_id)
    if mem is None and cal is not None and cal_id.endswith(PUBLIC_HOLIDAYS):
        mem = Membership(cal_id, ctx.user, "reader")  # public: readable without subscribing
    if cal is None or mem is None:
        raise not_found()
    if ROLE_RANK[mem.access_role] < ROLE_RANK[min_role]:
        raise writer_required() if ROLE_RANK[min_role] >= 2 else reader_required()
    return cal, mem


def resolve_event(cal: Calendar, event_id: str) -> tuple[dict[str, Any] | None, bool]:
    """(event, is_virtual). Virtual = an unmodified instance of a recurring event."""
    ev = cal.events.get(event_id)
    if ev is not None:
        return ev, False
    parts = ev_mod.split_instance_id(event_id)
    if parts:
        master = cal.events.get(parts[0])
        if master and master.get("recurrence") and master.get("status") != "cancelled":
            inst = ev_mod.find_occurrence(master, cal, parts[1])
            if inst is not None:
                return inst, True
    return None, False


def check_if_match(ctx: Ctx, ev: dict[str, Any]) -> None:
    want = ctx.headers.get("If-Match")
    if want and want.strip() != "*" and want.strip() != ev.get("etag"):
        raise ApiError(412, "conditionNotMet", "Precondition Failed", location="If-Match",
                       location_type="header")


def is_organizer_side(ctx: Ctx, cal: Calendar, ev: dict[str, Any]) -> bool:
    org = (ev.get("organizer") or {}).get("email", "").lower()
    return not org or org in (ctx.user.lower(), cal.id.lower(), cal.owner.lower())


# ------------------------------------------------------------------------- paging


def _query_hash(params: dict[str, Any]) -> str:
    keep = {k: str(v) for k, v in params.items() if k not in ("pageToken", "maxResults")}
    return hashlib.sha1(json.dumps(keep, sort_keys=True).encode()).hexdigest()[:10]


def paginate(
    ctx: Ctx, items: list[Any], default_max: int, hard_max: int
) -> tuple[list[Any], str | None]:
    max_results = min(ctx.params.get("maxResults", default_max), hard_max)
    offset, page = 0, 0
    qh = _query_hash(ctx.params)
    token = ctx.params.get("pageToken")
    if token:
        try:
            data = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
            offset, page, th = int(data["o"]), int(data["p"]), data["h"]
        except (ValueError, KeyError, TypeError):
            raise invalid("Invalid page token.") from None
        if th != qh:
            raise invalid("Invalid page token.")
    size = max_results
    if ctx.emu.page_quirks:
        size = 0 if page == 0 else (max(1, max_results // 2) if page % 2 else max_results)
    chunk = items[offset:offset + size]
    nxt = offset + size
    next_token = None
    if nxt < len(items) or (ctx.emu.page_quirks and page == 0):
        raw = json.dumps({"o": nxt, "p": page + 1, "h": qh, "n": secrets.token_hex(4)})
        next_token = base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")
    return chunk, next_token


def _sync_token(ctx: Ctx) -> str:
    raw = json.dumps({"t": ctx.now_iso()}).encode()
    return "CP" + base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _parse_sync_token(ctx: Ctx, tok: str) -> str:
    """A token the server never issued is a bad request (400); one it issued but no longer
    honours is 410 `fullSyncRequired` ("Sometimes sync tokens are invalidated by the server,
    for example due to token expiration", https://developers.google.com/calendar/api/guides/sync;
    docs/google-behaviour.md)."""
    try:
        raw = tok[2:]
        issued = json.loads(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)))["t"]
    except (ValueError, KeyError, TypeError):
        raise invalid("Invalid sync token value.") from None
    if ctx.emu.sync_tokens_valid_from and issued < ctx.emu.sync_tokens_valid_from:
        raise ApiError(410, "fullSyncRequired")
    return str(issued)


# ------------------------------------------------------------------------- calendarList


def cal_list_entry(state: State, cal: Calendar, mem: Membership) -> dict[str, Any]:
    out: dict[str, Any] = {
        "kind": "calendar#calendarListEntry",
        "etag": mem.etag or cal.etag,
        "id": cal.id,
        "summary": cal.summary,
        "timeZone": cal.time_zone,
        "colorId": mem.color_id,
        "backgroundColor": COLOR_BY_ID.get(mem.color_id, "#9fe1e7"),
        "foregroundColor": "#000000",
        "accessRole": mem.access_role,
        "defaultReminders": cal.default_reminders if ROLE_RANK[mem.access_role] >= 2 else [],
        "conferenceProperties": {"allowedConferenceSolutionTypes": ["hangoutsMeet"]},
    }
    if mem.access_role == "freeBusyReader" and not state.free_busy_reader_zone:
        del out["timeZone"]
    if cal.description:
        out["description"] = cal.description
    if cal.location:
        out["location"] = cal.location
    if mem.summary_override:
        out["summaryOverride"] = mem.summary_override
    if mem.hidden:
        out["hidden"] = True
    if mem.selected:
        out["selected"] = True
    if cal.primary and cal.owner == mem.email:
        out["primary"] = True
        out["notificationSettings"] = {
            "notifications": [
                {"type": t, "method": "email"}
                for t in ("eventCreation", "eventChange", "eventCancellation", "eventResponse")
            ]
        }
    return out


def calendar_list_list(ctx: Ctx) -> Response:
    p = ctx.params
    min_rank = ROLE_RANK.get(p.get("minAccessRole", "freeBusyReader"), 0)
    items = []
    for mem in ctx.state.user_memberships(ctx.user):
        cal = ctx.state.calendars.get(mem.calendar_id)
        if cal is None or ROLE_RANK[mem.access_role] < min_rank:
            continue
        if mem.hidden and not p.get("showHidden", False):
            continue
        items.append(cal_list_entry(ctx.state, cal, mem))
    page, token = paginate(ctx, items, 100, 250)
    body: dict[str, Any] = {"kind": "calendar#calendarList", "etag": ctx.state.new_etag()}
    if token:
        body["nextPageToken"] = token
    else:
        body["nextSyncToken"] = _sync_token(ctx)
    body["items"] = page
    return 200, body, {}


def calendar_list_get(ctx: Ctx) -> Response:
    cal_id = ctx.state.resolve_calendar_id(ctx.params["calendarId"], ctx.user)
    cal = ctx.state.calendars.get(cal_id)
    mem = ctx.state.membership(ctx.user, cal_id)
    if cal is None or mem is None:
        raise not_found()
    return 200, cal_list_entry(ctx.state, cal, mem), {}


def calendars_get(ctx: Ctx) -> Response:
    cal, _ = get_calendar(ctx, "freeBusyReader")
    body = {
        "kind": "calendar#calendar",
        "etag": cal.etag,
        "id": cal.id,
        "summary": cal.summary,
        "timeZone": cal.time_zone,
        "conferenceProperties": {"allowedConferenceSolutionTypes": ["hangoutsMeet"]},
    }
    if cal.description:
        body["description"] = cal.description
    return 200, body, {}


def colors_get(ctx: Ctx) -> Response:
    event_colors = ["#a4bdfc", "#7ae7bf", "#dbadff", "#ff887c", "#fbd75b", "#ffb878",
                    "#46d6db", "#e1e1e1", "#5484ed", "#51b749", "#dc2127"]
    return 200, {
        "kind": "calendar#colors",
        "updated": "2012-02-14T00:00:00.000Z",
        "calendar": {
            k: {"background": v, "foreground": "#1d1d1d"} for k, v in COLOR_BY_ID.items()
        },
        "event": {
            str(i + 1): {"background": c, "foreground": "#1d1d1d"}
            for i, c in enumerate(event_colors)
        },
    }, {}


def _settings(ctx: Ctx) -> dict[str, str]:
    user = ctx.state.users.get(ctx.user)
    tz = user.time_zone if user else "UTC"
    return {"timezone": tz, "locale": "en", "weekStart": "1", "format24HourTime": "true",
            "defaultEventLength": "60", "dateFieldOrder": "DMY"}


def settings_get(ctx: Ctx) -> Response:
    s = _settings(ctx)
    key = ctx.params["setting"]
    if key not in s:
        raise not_found()
    return 200, {"kind": "calendar#setting", "etag": ctx.state.new_etag(), "id": key,
                 "value": s[key]}, {}


def settings_list(ctx: Ctx) -> Response:
    items = [{"kind": "calendar#setting", "etag": ctx.state.new_etag(), "id": k, "value": v}
             for k, v in _settings(ctx).items()]
    return 200, {"kind": "calendar#settings", "etag": ctx.state.new_etag(), "items": items}, {}


# ------------------------------------------------------------------------- events: read


def _window(ctx: Ctx) -> tuple[datetime | None, datetime | None]:
    ws, we = ctx.params.get("timeMin"), ctx.params.get("timeMax")
    if ws is not None and we is not None and we <= ws:
        raise time_range_empty("timeMax")
    return ws, we


def _filters_match(ctx: Ctx, ev: dict[str, Any]) -> bool:
    p = ctx.params
    if p.get("q"):
        text = ev_mod.search_text(ev)
        if not all(term in text for term in p["q"].lower().split()):
            return False
    if p.get("iCalUID") and ev.get("iCalUID") != p["iCalUID"]:
        return False
    if p.get("eventTypes") and ev.get("eventType", "default") not in p["eventTypes"]:
        return False
    for key, bucket in (("privateExtendedProperty", "private"),
                        ("sharedExtendedProperty", "shared")):
        for constraint in p.get(key) or []:
            name, _, value = constraint.partition("=")
            props = (ev.get("extendedProperties") or {}).get(bucket) or {}
            if props.get(name) != value:
                return False
    return True


def _start_key(ev: dict[str, Any], cal: Calendar) -> datetime:
    try:
        return ev_mod.bounds(ev, zone(cal.time_zone))[0]
    except (ApiError, KeyError):
        return datetime.max.replace(tzinfo=UTC)


def _list_body(
    ctx: Ctx, cal: Calendar, mem: Membership, items: list[dict[str, Any]]
) -> dict[str, Any]:
    page, token = paginate(ctx, items, 250, 2500)
    tz_name = ctx.params.get("timeZone")
    if tz_name:
        try:
            zone(tz_name)
        except ValueError:
            raise invalid("Invalid time zone definition.") from None
    updated = max([ev.get("updated", "") for ev in cal.events.values()] or [ctx.now_iso()])
    body: dict[str, Any] = {
        "kind": "calendar#events",
        "etag": ctx.state.new_etag(),
        "summary": cal.summary,
    }
    if cal.description:
        body["description"] = cal.description
    body.update({
        "updated": updated,
        "timeZone": tz_name or cal.time_zone,
        "accessRole": mem.access_role,
        "defaultReminders": cal.default_reminders if ROLE_RANK[mem.access_role] >= 2 else [],
    })
    if token:
        body["nextPageToken"] = token
    else:
        body["nextSyncToken"] = _sync_token(ctx)
    body["items"] = [
        ev_mod.render(ev, cal, ctx.user, tz_name, ctx.params.get("maxAttendees")) for ev in page
    ]
    return body


def events_list(ctx: Ctx) -> Response:
    cal, mem = get_calendar(ctx, "reader")
    p = ctx.params
    single = p.get("singleEvents", False)
    if p.get("orderBy") == "startTime" and not single:
        raise invalid("The requested ordering is not available for the particular query.")
    updated_min: str | None = None
    if p.get("syncToken"):
        for bad in ("iCalUID", "orderBy", "privateExtendedProperty", "q",
                    "sharedExtendedProperty", "timeMin", "timeMax", "updatedMin"):
            if bad in p:
                raise invalid(f"Sync token cannot be used with {bad}.")
        updated_min = _parse_sync_token(ctx, p["syncToken"])
    elif p.get("updatedMin") is not None:
        updated_min = fmt_utc_ms(p["updatedMin"])
    show_deleted = p.get("showDeleted", False) or updated_min is not None
    ws, we = _window(ctx)
    cal_tz = zone(cal.time_zone)
    out: list[dict[str, Any]] = []
    candidates = list(cal.events.values())
    if p.get("iCalUID"):  # a cheap pre-filter (the same filter applies again below)
        candidates = [ev for ev in candidates if ev.get("iCalUID") == p["iCalUID"]]
    for ev in candidates:
        cancelled = ev.get("status") == "cancelled"
        is_exception = "recurringEventId" in ev
        master_present = is_exception and ev["recurringEventId"] in cal.events
        if single:
            if ev.get("recurrence"):
                if cancelled:
                    continue
                out.extend(ev_mod.expand_master(ev, cal, ws, we, include_cancelled=show_deleted))
                continue
            if master_present:
                continue  # produced by the master's expansion
            if cancelled and not show_deleted:
                continue
            if "start" in ev and not ev_mod.overlaps(ev, cal_tz, ws, we):
                continue
            out.append(ev)
        else:
            if cancelled and not show_deleted and not is_exception:
                continue
            if ev.get("recurrence"):
                if not cancelled and not ev_mod.master_overlaps(ev, cal, ws, we):
                    continue
            elif "start" in ev and not ev_mod.overlaps(ev, cal_tz, ws, we):
                continue
            out.append(ev)
    out = [ev for ev in out if _filters_match(ctx, ev)]
    if updated_min is not None:
        # A sync token covers everything up to its own millisecond: only later changes are
        # new (an event created in the token's millisecond was in the listing that issued it).
        newer = (lambda stamp: stamp > updated_min) if p.get("syncToken") else (
            lambda stamp: stamp >= updated_min)
        out = [ev for ev in out if newer(ev.get("updated", ""))]
    if p.get("orderBy") == "startTime":
        out.sort(key=lambda e: _start_key(e, cal))
    elif p.get("orderBy") == "updated":
        out.sort(key=lambda e: e.get("updated", ""))
    return 200, _list_body(ctx, cal, mem, out), {}


def events_get(ctx: Ctx) -> Response:
    cal, _ = get_calendar(ctx, "reader")
    ev, _virtual = resolve_event(cal, ctx.params["eventId"])
    if ev is None:
        raise not_found()
    if ctx.headers.get("If-None-Match") and ctx.headers.get("If-None-Match") == ev.get("etag"):
        return 304, None, {"ETag": ev["etag"]}
    body = ev_mod.render(ev, cal, ctx.user, ctx.params.get("timeZone"),
                         ctx.params.get("maxAttendees"))
    return 200, body, {"ETag": ev.get("etag", "")}


def events_instances(ctx: Ctx) -> Response:
    cal, mem = get_calendar(ctx, "reader")
    ev, _ = resolve_event(cal, ctx.params["eventId"])
    if ev is None or (ev.get("status") == "cancelled" and ev.get("recurrence")):
        raise not_found()
    ws, we = _window(ctx)
    if ctx.params.get("originalStart"):
        try:
            orig = parse_datetime(ctx.params["originalStart"], require_offset=True)
        except ValueError:
            raise bad_request() from None
        ws, we = orig - timedelta(seconds=1), orig + timedelta(seconds=1)
    if not ev.get("recurrence"):
        items = [ev]
    else:
        items = ev_mod.expand_master(
            ev, cal, ws, we, include_cancelled=ctx.params.get("showDeleted", False)
        )
    items.sort(key=lambda e: _start_key(e, cal))
    return 200, _list_body(ctx, cal, mem, items), {}


# ------------------------------------------------------------------------- events: write


def conference(version: int, body: dict[str, Any], existing: dict[str, Any] | None) -> None:
    """Handle conferenceData per conferenceDataVersion (mutates body)."""
    if version < 1:
        if existing is not None and "conferenceData" in existing:
            body["conferenceData"] = existing["conferenceData"]
            if "hangoutLink" in existing:
                body["hangoutLink"] = existing["hangoutLink"]
        else:
            body.pop("conferenceData", None)
        return
    cd = body.get("conferenceData")
    if not cd:
        body.pop("hangoutLink", None)
        return
    req = cd.get("createRequest")
    if not req or (cd.get("entryPoints") and cd.get("conferenceId")):
        return
    if not req.get("requestId"):
        raise invalid("Invalid conference request: requestId is required.")
    # "Clients should regenerate this ID for every new request. If an ID provided is the same
    # as for the previous request, the request is ignored."
    # https://developers.google.com/calendar/api/v3/reference/events#conferenceData.createRequest.requestId
    seen = list((existing or {}).get(SEEN_CONFERENCE_REQUESTS) or [])
    if req["requestId"] in seen:
        _keep_conference(body, existing)
        return
    body[SEEN_CONFERENCE_REQUESTS] = [*seen, req["requestId"]]
    ctype = (req.get("conferenceSolutionKey") or {}).get("type", "hangoutsMeet")
    if ctype != "hangoutsMeet":
        raise invalid("Invalid conference type value.")
    letters = string.ascii_lowercase
    code = "-".join("".join(secrets.choice(letters) for _ in range(n)) for n in (3, 4, 3))
    pin = "".join(secrets.choice(string.digits) for _ in range(9))
    uri = f"https://meet.google.com/{code}"
    body["hangoutLink"] = uri
    body["conferenceData"] = {
        "createRequest": {
            "requestId": req["requestId"],
            "conferenceSolutionKey": {"type": "hangoutsMeet"},
            "status": {"statusCode": "success"},
        },
        "entryPoints": [
            {"entryPointType": "video", "uri": uri, "label": f"meet.google.com/{code}"},
            {"entryPointType": "more", "uri": f"https://tel.meet/{code}?pin={pin}", "pin": pin},
            {"entryPointType": "phone", "uri": "tel:+1-402-555-0123", "label": "+1 402-555-0123",
             "pin": pin[:9], "regionCode": "US"},
        ],
        "conferenceSolution": {
            "key": {"type": "hangoutsMeet"},
            "name": "Google Meet",
            "iconUri": "https://fonts.gstatic.com/s/i/productlogos/meet_2020q4/v6/"
            "web-512dp/logo_meet_2020q4_color_2x_web_512dp.png",
        },
        "conferenceId": code,
    }


SEEN_CONFERENCE_REQUESTS = "_conferenceRequestIds"  # hidden: render() drops "_" keys
# events.import makes "a private copy" (import reference); Event.privateCopy: "Event propagation
# is disabled": nothing the user changes reaches the organizer or guests. Whether the user may
# change its shared fields when someone else organizes it is not settled (import_rules
# .attendee_update; docs/google-behaviour.md); personal fields always.
PRIVATE_COPY = "_privateCopy"


def _keep_conference(body: dict[str, Any], existing: dict[str, Any] | None) -> None:
    for key in ("conferenceData", "hangoutLink"):
        if existing is not None and key in existing:
            body[key] = copy.deepcopy(existing[key])
        else:
            body.pop(key, None)


def merge_own_answers(stored: list[dict[str, Any]], sent: list[Any]) -> list[dict[str, Any]]:
    """attendeesOmitted=true on a write: "When updating an event, this can be used to only
    update the participant's response" — the entries sent replace theirs, the rest stay.
    https://developers.google.com/calendar/api/v3/reference/events#attendeesOmitted"""
    merged = [copy.deepcopy(a) for a in stored]
    index = {a.get("email", "").lower(): n for n, a in enumerate(merged)}
    for entry in sent:
        if not isinstance(entry, dict):
            continue
        at = index.get((entry.get("email") or "").lower())
        if at is None:
            merged.append(copy.deepcopy(entry))
        else:
            merged[at] = {**merged[at], **copy.deepcopy(entry)}
    return merged


def _organizer_for(state: State, cal: Calendar) -> dict[str, Any]:
    if cal.primary:
        user = state.users.get(cal.owner)
        org: dict[str, Any] = {"email": cal.owner}
        if user and user.name:
            org["displayName"] = user.name
        return org
    return {"email": cal.id, "displayName": cal.summary}


def build_new_event(
    state: State,
    cal: Calendar,
    body: dict[str, Any],
    creator: str,
    now_iso: str,
    event_id: str | None = None,
) -> dict[str, Any]:
    """Fill server-side fields of a new event (used by insert, quickAdd and add_event)."""
    ev = {k: copy.deepcopy(v) for k, v in body.items() if k not in ev_mod.READ_ONLY}
    for k in ("organizer", "creator", "iCalUID", "hangoutLink", "recurringEventId",
              "originalStartTime"):
        if k in body:  # allowed for seeding through add_event
            ev[k] = copy.deepcopy(body[k])
    eid = event_id or random_id()
    user = state.users.get(creator)
    creator_obj: dict[str, Any] = {"email": creator}
    if user and user.name:
        creator_obj["displayName"] = user.name
    stored: dict[str, Any] = {
        "kind": "calendar#event",
        "etag": state.new_event_etag(),
        "id": eid,
        "status": ev.pop("status", "confirmed"),
        "htmlLink": ev_mod.html_link(eid, cal.id),
        "created": now_iso,
        "updated": now_iso,
    }
    stored.update(ev)
    stored.setdefault("creator", creator_obj)
    stored.setdefault("organizer", _organizer_for(state, cal))
    stored.setdefault("iCalUID", f"{eid}@google.com")
    stored.setdefault("sequence", 0)
    stored.setdefault("reminders", {"useDefault": True})
    stored.setdefault("eventType", "default")
    ev_mod.normalize_attendees(stored)
    return stored


def propagate(state: State, cal: Calendar, ev: dict[str, Any]) -> None:
    """Keep attendees' copies (same id in their primary calendar) in step with the organizer."""
    attendee_emails = {a["email"].lower() for a in ev.get("attendees") or []}
    for other in state.calendars.values():
        if not other.primary or other.id == cal.id:
            continue
        copy_ev = other.events.get(ev["id"])
        is_attendee = other.owner.lower() in attendee_emails
        if copy_ev is None:
            if is_attendee and ev.get("status") != "cancelled" and "recurringEventId" not in ev:
                new = copy.deepcopy(ev)
                new["htmlLink"] = ev_mod.html_link(ev["id"], other.id)
                new["reminders"] = {"useDefault": True}
                other.events[ev["id"]] = new
            continue
        if (copy_ev.get("organizer") or {}).get("email", "").lower() != (
            ev.get("organizer") or {}
        ).get("email", "").lower():
            continue
        personal = {k: copy_ev[k] for k in ("reminders", "colorId", "transparency")
                    if k in copy_ev}
        new = copy.deepcopy(ev)
        new["htmlLink"] = copy_ev.get("htmlLink", new.get("htmlLink"))
        new.update(personal)
        if not is_attendee:
            new["status"] = "cancelled"
        other.events[ev["id"]] = new


def _propagate_rsvp(ctx: Ctx, cal: Calendar, ev: dict[str, Any]) -> None:
    mine = next((a for a in ev.get("attendees") or []
                 if a["email"].lower() == ctx.user.lower()), None)
    if mine is None:
        return
    for other in ctx.state.calendars.values():
        if other.id == cal.id:
            continue
        twin = other.events.get(ev["id"])
        if twin is None:
            continue
        for a in twin.get("attendees") or []:
            if a["email"].lower() == ctx.user.lower():
                a.clear()
                a.update(copy.deepcopy(mine))
                twin["etag"] = ctx.state.new_event_etag()
                twin["updated"] = ev["updated"]


def events_insert(ctx: Ctx) -> Response:
    cal, _ = get_calendar(ctx, "writer")
    body = copy.deepcopy(ctx.body)
    eid = body.get("id")
    if eid is not None:
        if not ev_mod.EVENT_ID_RE.match(eid):
            raise invalid("Invalid resource id value.")
        if eid in cal.events:
            raise ApiError(409, "duplicate")
    if body.get("attendees"):
        for a in body["attendees"]:
            a.pop("self", None)
    _check_creatable_type(cal, body)
    ev_mod.validate_event(body)
    conference(ctx.params.get("conferenceDataVersion", 0), body, None)
    stored = build_new_event(ctx.state, cal, body, ctx.user, ctx.now_iso(), eid)
    if "hangoutLink" in body:
        stored["hangoutLink"] = body["hangoutLink"]
    cal.events[stored["id"]] = stored
    propagate(ctx.state, cal, stored)
    return 200, ev_mod.render(stored, cal, ctx.user, None, ctx.params.get("maxAttendees")), {}


def _check_creatable_type(cal: Calendar, body: dict[str, Any]) -> None:
    """https://developers.google.com/calendar/api/guides/event-types: status events exist only
    on primary calendars; birthday and fromGmail events cannot be created (discovery doc)."""
    kind = body.get("eventType", "default")
    if kind == "fromGmail":
        raise invalid("Event type fromGmail cannot be created.")
    if kind in ev_mod.TYPE_PROPERTIES and not cal.primary:
        raise invalid(f"{kind} events can only be created on the primary calendar.")


def _same_original(a: dict[str, Any] | None, b: dict[str, Any] | None) -> bool:
    if not a or not b:
        return a is None and b is None
    return ev_mod.parse_edt(a, "start") == ev_mod.parse_edt(b, "start")


def _by_ical_uid(cal: Calendar, uid: str, original: dict[str, Any] | None) -> dict | None:
    for ev in cal.events.values():
        if ev.get("iCalUID") == uid and _same_original(ev.get("originalStartTime"), original):
            return ev
    return None


def events_import(ctx: Ctx) -> Response:
    """events.import: "add a private copy of an existing event to a calendar"
    (https://developers.google.com/calendar/api/v3/reference/events/import). The body must
    carry iCalUID, start and end; organizer is writable here only ("Read-only, except when
    importing an event", Event resource docs). The copy is the importing user's alone: guests
    get nothing (the method has no sendUpdates parameter). Google keys imports by iCalUID
    (plus originalStartTime for a changed occurrence, which becomes an exception of the series
    with that iCalUID). A held iCalUID is replaced; the owner must take part; what is not
    settled follows `ctx.emu.import_rules` (tests/emulator/importing.py,
    docs/google-behaviour.md).
    """
    cal, _ = get_calendar(ctx, "writer")
    body = copy.deepcopy(ctx.body) or {}
    uid = body.get("iCalUID")
    if not uid:
        raise required("Missing iCalUID.")
    if (body.get("eventType") or "default") != "default":
        body["eventType"] = "default"  # documented deprecated behaviour: converted, not refused
    for a in body.get("attendees") or []:
        a.pop("self", None)
    ev_mod.validate_event(body)
    body.setdefault("organizer", _organizer_for(ctx.state, cal))
    if not imports.takes_part(body, {cal.id.lower(), cal.owner.lower()}):
        raise ApiError(400, "participantIsNeitherOrganizerNorAttendee")
    original = body.get("originalStartTime")
    held = _by_ical_uid(cal, uid, original)
    sequence = int(body.get("sequence") or 0)
    answer = imports.answer_for_held(ctx.emu.import_rules, held, sequence) if held else None
    if answer == "refuse":
        raise ApiError(409, "duplicate")
    if answer == "keep":
        return 200, ev_mod.render(held, cal, ctx.user, None, None), {}
    event_id = held["id"] if held else None
    if original is not None:
        master = _by_ical_uid(cal, uid, None)
        if master is None or not master.get("recurrence"):
            raise invalid("The recurring event of this instance was not found.")
        start = ev_mod.parse_edt(original, "start")
        event_id = f"{master['id']}_{instance_suffix(start, not isinstance(start, datetime))}"
        body["recurringEventId"] = master["id"]
    stored = build_new_event(ctx.state, cal, body, ctx.user, ctx.now_iso(), event_id)
    if held is not None:
        stored["created"] = held.get("created", stored["created"])
    stored["sequence"] = sequence
    stored[PRIVATE_COPY] = True
    cal.events[stored["id"]] = stored
    return 200, ev_mod.render(stored, cal, ctx.user, None, None), {}


_PERSONAL = {"reminders", "colorId", "transparency"}


def _check_non_organizer_change(ctx: Ctx, old: dict[str, Any], new: dict[str, Any]) -> None:
    me = ctx.user.lower()
    keys = (set(old) | set(new)) - ev_mod.READ_ONLY - _PERSONAL - {"attendees", "htmlLink"}
    for k in keys:
        if k == "extendedProperties":
            if (old.get(k) or {}).get("shared") != (new.get(k) or {}).get("shared"):
                break
            continue
        if k == "conferenceData" and new.get(k) == old.get(k):
            continue
        if old.get(k) != new.get(k):
            break
    else:
        def others(evt: dict[str, Any]) -> list[Any]:
            return sorted(
                json.dumps({kk: vv for kk, vv in a.items() if kk != "self"}, sort_keys=True)
                 for a in evt.get("attendees") or [] if a.get("email", "").lower() != me
            )

        if others(old) == others(new):
            return
    raise ApiError(
        403,
        "forbiddenForNonOrganizer",
        "Shared properties can only be changed by the organizer of the event.",
    )


def _write(ctx: Ctx, *, patch: bool) -> Response:
    """events.update / events.patch. A cancelled (deleted) event is found too, and a body
    with status "confirmed" restores it: Event.status docs, "cancelled events continue to
    expose event details (summary, location, etc.) so that they can be restored (undeleted)"."""
    cal, _ = get_calendar(ctx, "writer")
    event_id = ctx.params["eventId"]
    ev, virtual = resolve_event(cal, event_id)
    if ev is None:
        raise not_found()
    check_if_match(ctx, ev)
    body = copy.deepcopy(ctx.body) or {}
    for a in body.get("attendees") or []:
        if isinstance(a, dict):
            a.pop("self", None)
    if body.pop("attendeesOmitted", False) and isinstance(body.get("attendees"), list):
        body["attendees"] = merge_own_answers(ev.get("attendees") or [], body["attendees"])
    if patch:
        new = ev_mod.merge_patch(ev, {k: v for k, v in body.items() if k not in ev_mod.READ_ONLY})
    else:
        new = {k: copy.deepcopy(v) for k, v in ev.items()
               if k in ev_mod.READ_ONLY or k.startswith("_")}
        new.update({k: v for k, v in body.items() if k not in ev_mod.READ_ONLY})
        new.setdefault("status", ev.get("status", "confirmed"))
        new.setdefault("reminders", {"useDefault": True})
        new.setdefault("eventType", ev.get("eventType", "default"))
    if new.get("eventType", "default") != ev.get("eventType", "default"):
        # Discovery doc, Event.eventType: "This cannot be modified after the event is created."
        raise invalid("The event type cannot be changed.")
    if virtual and new.get("recurrence"):
        new.pop("recurrence", None)
    if "recurringEventId" in ev:
        new.pop("recurrence", None)
    private_copy = bool(ev.get(PRIVATE_COPY))
    organizer_side = is_organizer_side(ctx, cal, ev) or bool(ev.get("guestsCanModify"))
    editable_copy = private_copy and ctx.emu.import_rules.attendee_update == "allow"
    if not (organizer_side or editable_copy):
        _check_non_organizer_change(ctx, ev, new)
    ev_mod.validate_event(new)
    conference(ctx.params.get("conferenceDataVersion", 0), new, ev)
    ev_mod.normalize_attendees(new)
    given = _given_sequence(body, ev)
    ev_mod.touch(ctx.state, new, ctx.now_iso(),
                 bump_sequence=organizer_side and given is None)
    if given is not None:
        new["sequence"] = given
    cal.events[new["id"]] = new
    if organizer_side and not private_copy:
        propagate(ctx.state, cal, new)
    else:
        _propagate_rsvp(ctx, cal, new)
    return 200, ev_mod.render(new, cal, ctx.user, None, ctx.params.get("maxAttendees")), {}


def _given_sequence(body: dict[str, Any], ev: dict[str, Any]) -> int | None:
    """Event.sequence is writable (discovery doc: no "read-only" on it, unlike id or created);
    a client may raise it, never lower it below the stored one."""
    if body.get("sequence") is None:
        return None
    given, stored = int(body["sequence"]), int(ev.get("sequence") or 0)
    if given < stored:
        raise invalid("Invalid sequence value. The specified sequence number is below the "
                      "current sequence number of the resource.")
    return given


def events_patch(ctx: Ctx) -> Response:
    return _write(ctx, patch=True)


def events_update(ctx: Ctx) -> Response:
    return _write(ctx, patch=False)


def events_delete(ctx: Ctx) -> Response:
    cal, _ = get_calendar(ctx, "writer")
    ev, _virtual = resolve_event(cal, ctx.params["eventId"])
    if ev is None:
        raise not_found()
    if ev.get("status") == "cancelled":
        raise ApiError(410, "deleted")
    check_if_match(ctx, ev)
    new = copy.deepcopy(ev)
    new["status"] = "cancelled"
    ev_mod.touch(ctx.state, new, ctx.now_iso(), bump_sequence=True)
    cal.events[new["id"]] = new
    if is_organizer_side(ctx, cal, ev):
        propagate(ctx.state, cal, new)
    return 204, None, {}


def events_move(ctx: Ctx) -> Response:
    cal, _ = get_calendar(ctx, "writer")
    ev, virtual = resolve_event(cal, ctx.params["eventId"])
    if ev is None or ev.get("status") == "cancelled":
        raise not_found()
    if virtual or "recurringEventId" in ev:
        raise ApiError(400, "cannotChangeOrganizerOfInstance",
                       "Cannot change the organizer of an instance.")
    dest_id = ctx.state.resolve_calendar_id(ctx.params["destination"], ctx.user)
    dest = ctx.state.calendars.get(dest_id)
    dmem = ctx.state.membership(ctx.user, dest_id)
    if dest is None or dmem is None:
        raise not_found()
    if ROLE_RANK[dmem.access_role] < 2:
        raise writer_required()
    if dest.id == cal.id:
        return 200, ev_mod.render(ev, cal, ctx.user), {}
    if ev["id"] in dest.events:
        raise ApiError(409, "duplicate")
    new = copy.deepcopy(ev)
    new["organizer"] = _organizer_for(ctx.state, dest)
    new["htmlLink"] = ev_mod.html_link(new["id"], dest.id)
    ev_mod.normalize_attendees(new)
    ev_mod.touch(ctx.state, new, ctx.now_iso(), bump_sequence=True)
    del cal.events[ev["id"]]
    for k in [k for k, v in cal.events.items() if v.get("recurringEventId") == ev["id"]]:
        dest.events[k] = cal.events.pop(k)
    dest.events[new["id"]] = new
    return 200, ev_mod.render(new, dest, ctx.user), {}


def events_quick_add(ctx: Ctx) -> Response:
    cal, _ = get_calendar(ctx, "writer")
    body = parse_quick_add(ctx.params["text"], zone(cal.time_zone), ctx.now())
    stored = build_new_event(ctx.state, cal, body, ctx.user, ctx.now_iso())
    cal.events[stored["id"]] = stored
    return 200, ev_mod.render(stored, cal, ctx.user), {}


# ------------------------------------------------------------------------- freebusy

MAX_FREEBUSY_CALENDARS = 50
MAX_FREEBUSY_RANGE = timedelta(days=90)


def _freebusy_visible(ctx: Ctx, cal_id: str) -> Calendar | None:
    """A calendar the user may see free/busy of: one in their list (freeBusyReader is enough),
    or a person's primary calendar unless its owner keeps free/busy private. Any other id is
    answered per calendar with errors [{domain: global, reason: notFound}] and no busy time
    (freebusy.query reference: calendars.(key).errors[].reason "notFound - The requested
    resource was not found"; developers.google.com/workspace/calendar/api/v3/reference/
    freebusy/query), never with an HTTP error for the whole query."""
    cal = ctx.state.calendars.get(cal_id)
    if cal is None:
        return None
    if ctx.state.membership(ctx.user, cal_id) is not None:
        return cal
    if cal.primary and cal_id in ctx.state.users and cal_id not in ctx.state.freebusy_private:
        return cal
    return None


def busy_intervals(
    cal: Calendar, ws: datetime, we: datetime
) -> list[tuple[datetime, datetime]]:
    cal_tz = zone(cal.time_zone)
    owner = cal.owner.lower()
    blocks = []
    for ev in cal.events.values():
        if ev.get("status") == "cancelled":
            continue
        if ev.get("recurrence"):
            candidates = ev_mod.expand_master(ev, cal, ws, we, include_cancelled=False)
        elif "recurringEventId" in ev and ev["recurringEventId"] in cal.events:
            continue
        else:
            candidates = [ev] if ev_mod.overlaps(ev, cal_tz, ws, we) else []
        for inst in candidates:
            if inst.get("transparency") == "transparent":
                continue
            if any(a.get("email", "").lower() == owner and a.get("responseStatus") == "declined"
                   for a in inst.get("attendees") or []):
                continue
            s, e = ev_mod.bounds(inst, cal_tz)
            s, e = max(s, ws), min(e, we)
            if e > s:
                blocks.append((s, e))
    blocks.sort()
    merged: list[tuple[datetime, datetime]] = []
    for s, e in blocks:
        if merged and s <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], e))
        else:
            merged.append((s, e))
    return merged


def freebusy_query(ctx: Ctx) -> Response:
    body = ctx.body or {}
    for key in ("timeMin", "timeMax"):
        if not body.get(key):
            raise ApiError(400, "required", f"Missing {key} parameter.", location=key,
                           location_type="parameter")
    try:
        ws = parse_datetime(body["timeMin"], require_offset=True)
        we = parse_datetime(body["timeMax"], require_offset=True)
    except ValueError:
        raise bad_request() from None
    if we <= ws:
        raise time_range_empty("timeMax")
    if we - ws > MAX_FREEBUSY_RANGE:
        raise ApiError(400, "timeRangeTooLong")
    items = body.get("items") or []
    if len(items) > MAX_FREEBUSY_CALENDARS:
        raise ApiError(400, "tooManyCalendarsRequested")
    tz_name = body.get("timeZone") or "UTC"
    try:
        tz = zone(tz_name)
    except ValueError:
        raise invalid("Invalid time zone definition.") from None
    calendars: dict[str, Any] = {}
    for item in items:
        raw_id = item.get("id")
        if not raw_id:
            continue
        cal = _freebusy_visible(ctx, ctx.state.resolve_calendar_id(raw_id, ctx.user))
        if cal is None:
            calendars[raw_id] = {
                "errors": [{"domain": "global", "reason": "notFound"}],
                "busy": [],
            }
            continue
        calendars[raw_id] = {
            "busy": [
                {"start": fmt_datetime(s, tz), "end": fmt_datetime(e, tz)}
                for s, e in busy_intervals(cal, ws, we)
            ]
        }
    return 200, {
        "kind": "calendar#freeBusy",
        "timeMin": fmt_utc_ms(ws),
        "timeMax": fmt_utc_ms(we),
        "calendars": calendars,
    }, {}


HANDLERS = {
    "calendarList.list": calendar_list_list,
    "calendarList.get": calendar_list_get,
    "calendars.get": calendars_get,
    "colors.get": colors_get,
    "settings.get": settings_get,
    "settings.list": settings_list,
    "events.list": events_list,
    "events.get": events_get,
    "events.instances": events_instances,
    "events.insert": events_insert,
    "events.import": events_import,
    "events.patch": events_patch,
    "events.update": events_update,
    "events.delete": events_delete,
    "events.move": events_move,
    "events.quickAdd": events_quick_add,
    "freebusy.query": freebusy_query,
}


def dispatch(ctx: Ctx) -> Response:
    handler = HANDLERS.get(ctx.method.key)
    if handler is None:
        raise ApiError(501, "notImplemented",
                       f"{ctx.method.id} is not implemented by the emulator.")
    return handler(ctx)
