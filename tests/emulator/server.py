"""GoogleEmulator: the threaded HTTP server plus the Python API tests use."""

from __future__ import annotations

import copy
import gzip
import hashlib
import json
import socket
import sys
import threading
import time
import traceback
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar
from urllib.parse import parse_qs, unquote, urlsplit

from . import batch, calendar_api, discovery, fields, oauth
from . import events as ev_mod
from .errors import (
    ApiError,
    auth_error,
    envelope,
    insufficient_scopes,
    not_found,
)
from .faults import Fault, FaultSet
from .importing import ImportRules
from .state import (
    ROLE_RANK,
    AccessToken,
    Calendar,
    Membership,
    RefreshToken,
    State,
    User,
    random_id,
    random_token,
)
from .timeutil import fmt_utc_ms, is_valid_zone, now_utc

DEFAULT_SCOPES = [
    "https://www.googleapis.com/auth/calendar.events",
    "https://www.googleapis.com/auth/calendar.calendarlist.readonly",
    "https://www.googleapis.com/auth/calendar.freebusy",
]


class CIDict(dict):
    """dict with case-insensitive keys (stored lower-case)."""

    def __init__(self, items: Any = ()) -> None:
        super().__init__()
        for k, v in dict(items).items() if not isinstance(items, list) else items:
            self[k] = v

    def __setitem__(self, key: str, value: Any) -> None:
        super().__setitem__(key.lower(), value)

    def __getitem__(self, key: str) -> Any:
        return super().__getitem__(key.lower())

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and super().__contains__(key.lower())

    def get(self, key: str, default: Any = None) -> Any:  # type: ignore[override]
        return super().get(key.lower(), default)


@dataclass
class RecordedRequest:
    method: str
    path: str
    raw_path: str
    query: dict[str, list[str]]
    headers: CIDict
    body: Any
    raw_body: bytes = b""
    status: int | None = None
    user: str | None = None
    time: float = field(default_factory=time.time)
    fault: Fault | None = None
    batch_part: bool = False  # one call inside a /batch request (not an HTTP round trip)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    server_version = "ESF"
    sys_version = ""
    timeout = 60
    emu: GoogleEmulator  # set on the subclass

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        self._handle("GET")

    def do_POST(self) -> None:
        self._handle("POST")

    def do_PUT(self) -> None:
        self._handle("PUT")

    def do_PATCH(self) -> None:
        self._handle("PATCH")

    def do_DELETE(self) -> None:
        self._handle("DELETE")

    # ------------------------------------------------------------------ plumbing
    def _read_body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks = []
            while True:
                size = int(self.rfile.readline().strip() or b"0", 16)
                if size == 0:
                    self.rfile.readline()
                    break
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
            return b"".join(chunks)
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _drop(self) -> None:
        self.close_connection = True
        try:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\0\0\0\0\0\0\0")
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def _send(self, status: int, body: Any, headers: dict[str, str]) -> None:
        headers = dict(headers)
        ctype = headers.pop("Content-Type", None)
        if body is None or status in (204, 304):
            data = b""
        elif isinstance(body, bytes):
            data = body
        elif isinstance(body, str):
            data = body.encode()
            ctype = ctype or "text/html; charset=utf-8"
        else:
            data = json.dumps(body, indent=2).encode()
            ctype = ctype or "application/json; charset=UTF-8"
        accept = self.headers.get("Accept-Encoding", "") or ""
        if data and "gzip" in accept.lower():
            data = gzip.compress(data)
            headers["Content-Encoding"] = "gzip"
        self.send_response(status)
        if ctype and data:
            self.send_header("Content-Type", ctype)
        self.send_header("Vary", "Origin, X-Origin, Referer")
        self.send_header("Cache-Control", "private, max-age=0, must-revalidate, no-transform")
        for k, v in headers.items():
            self.send_header(k, v)
        if status not in (204, 304):
            self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if data:
            self.wfile.write(data)

    def _handle(self, verb: str) -> None:
        emu = self.emu
        split = urlsplit(self.path)
        raw_path = split.path
        path = unquote(raw_path)
        query = parse_qs(split.query, keep_blank_values=True)
        raw = self._read_body()
        headers = CIDict(list(self.headers.items()))
        body, body_error = _parse_body(raw, headers.get("Content-Type", ""))
        rec = RecordedRequest(verb, path, raw_path, query, headers, body, raw)
        emu._record(rec)
        if emu.latency:
            time.sleep(emu.latency)
        fault = emu.faults.take(verb, path, raw_path)
        rec.fault = fault
        if fault and not fault.after_processing and self._apply_fault(fault, rec, path):
            return
        status, out, out_headers = emu._process(verb, raw_path, query, body, body_error,
                                                headers, rec)
        if fault and fault.after_processing and self._apply_fault(fault, rec, path):
            return
        rec.status = status
        self._send(status, out, out_headers)

    def _apply_fault(self, fault: Fault, rec: RecordedRequest, path: str) -> bool:
        """Apply a fault; True if it answered (or dropped) the request."""
        if fault.delay:
            time.sleep(fault.delay)
        if fault.drop_connection:
            rec.status = None
            self._drop()
            return True
        if fault.raw_body is None and fault.status is None:
            return False
        status = fault.status or 200
        headers: dict[str, str] = {}
        if fault.retry_after is not None:
            headers["Retry-After"] = str(fault.retry_after)
        if fault.raw_body is not None:
            body: Any = (fault.raw_body if isinstance(fault.raw_body, bytes)
                         else fault.raw_body.encode())
            headers["Content-Type"] = fault.content_type or "text/html; charset=UTF-8"
        elif path in ("/token", "/revoke"):
            body = {"error": fault.reason, "error_description": fault.message or fault.reason}
        else:
            body = envelope(status, fault.reason, fault.message)
        if fault.content_type and "Content-Type" not in headers:
            headers["Content-Type"] = fault.content_type
        rec.status = status
        self._send(status, body, headers)
        return True


def _stable_id(*parts: str) -> str:
    digest = hashlib.sha256("|".join(parts).encode()).digest()
    return "".join("0123456789abcdefghijklmnopqrstuv"[b % 32] for b in digest[:26])


def _parse_body(raw: bytes, ctype: str) -> tuple[Any, bool]:
    if not raw:
        return None, False
    ctype = ctype.lower()
    if "application/x-www-form-urlencoded" in ctype:
        form = parse_qs(raw.decode("utf-8", "replace"), keep_blank_values=True)
        return {k: v[0] if len(v) == 1 else v for k, v in form.items()}, False
    try:
        return json.loads(raw), False
    except (ValueError, UnicodeDecodeError):
        return raw.decode("utf-8", "replace"), True


def _form(body: Any, query: dict[str, list[str]]) -> dict[str, list[str]]:
    out = {k: list(v) for k, v in query.items()}
    if isinstance(body, dict):
        for k, v in body.items():
            out[k] = [str(x) for x in v] if isinstance(v, list) else [str(v)]
    return out


class QuietHTTPServer(ThreadingHTTPServer):
    """A client that hangs up before its answer is written (a timed-out or cancelled request)
    is not an emulator error: no traceback for it, which on a busy machine buried the real
    failure under hundreds of BrokenPipeError tracebacks. Anything else is still reported."""

    daemon_threads = True

    def handle_error(self, request, client_address) -> None:
        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)


class GoogleEmulator:
    """A stateful fake of Google OAuth 2.0 + Calendar v3 on 127.0.0.1."""

    created: ClassVar[list[GoogleEmulator]] = []  # every emulator of this test session

    def __init__(self, latency: float = 0.0, import_rules: ImportRules | None = None) -> None:
        self.latency = latency
        self.default_import_rules = import_rules or ImportRules.from_environment()
        self.import_rules = self.default_import_rules  # docs/google-behaviour.md
        self.sync_tokens_valid_from: str | None = None  # older sync tokens are expired (410)
        self.state = State()
        GoogleEmulator.created.append(self)
        self.faults = FaultSet()
        self.page_quirks = False
        self.auto_consent_user: str | None = None
        self.now_override: datetime | None = None
        self._deny_next = False
        self.internal_errors: list[str] = []  # tracebacks of emulator bugs (answered 500)
        self._requests: list[RecordedRequest] = []
        self._req_lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # ------------------------------------------------------------------ lifecycle
    def start(self, port: int = 0, host: str = "127.0.0.1") -> GoogleEmulator:
        handler = type("Handler", (_Handler,), {"emu": self})
        server = QuietHTTPServer((host, port), handler)
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> GoogleEmulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        assert self._server is not None, "emulator not started"
        return self._server.server_address[1]

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def base_url(self) -> str:
        return f"http://{self.host}"

    def now(self) -> datetime:
        return self.now_override or now_utc()

    def reset(self) -> None:
        with self.state.lock:
            self.state.clear()
        self.faults.clear()
        self.clear_requests()
        self.page_quirks = False
        self.import_rules = self.default_import_rules
        self.sync_tokens_valid_from = None
        self.auto_consent_user = None
        self.now_override = None
        self.internal_errors.clear()
        self._deny_next = False

    # ------------------------------------------------------------------ seeding
    def add_user(self, email: str, time_zone: str = "UTC", name: str | None = None) -> str:
        if not is_valid_zone(time_zone):
            raise ValueError(f"unknown time zone {time_zone!r}")
        with self.state.lock:
            st = self.state
            st.users[email] = User(email, time_zone, name)
            existing = st.calendars.get(email)
            if existing is not None:  # idempotent: update the zone, keep the events
                existing.time_zone = time_zone
                existing.primary = True
                return email
            st.calendars[email] = Calendar(
                id=email, owner=email, summary=email, time_zone=time_zone,
                etag=st.new_etag(), primary=True,
                default_reminders=[{"method": "popup", "minutes": 10}],
            )
            st.memberships[(email, email)] = Membership(email, email, "owner", etag=st.new_etag())
        return email

    def add_calendar(
        self,
        owner: str,
        summary: str,
        time_zone: str = "UTC",
        calendar_id: str | None = None,
        *,
        description: str | None = None,
        hidden: bool = False,
        selected: bool = True,
        color_id: str = "14",
        summary_override: str | None = None,
        default_reminders: list[dict[str, Any]] | None = None,
    ) -> str:
        if not is_valid_zone(time_zone):
            raise ValueError(f"unknown time zone {time_zone!r}")
        with self.state.lock:
            st = self.state
            cid = calendar_id or f"{random_id(52)}@group.calendar.google.com"
            if cid in st.calendars:
                raise ValueError(f"calendar {cid!r} already exists")
            st.calendars[cid] = Calendar(
                id=cid, owner=owner, summary=summary, time_zone=time_zone,
                description=description, etag=st.new_etag(),
                default_reminders=list(default_reminders or []),
            )
            st.memberships[(owner, cid)] = Membership(
                cid, owner, "owner", hidden=hidden, selected=selected, color_id=color_id,
                summary_override=summary_override, etag=st.new_etag(),
            )
        return cid

    def share_calendar(
        self,
        calendar_id: str,
        email: str,
        role: str = "reader",
        hidden: bool = False,
        selected: bool = True,
        *,
        summary_override: str | None = None,
        color_id: str = "14",
    ) -> None:
        if role not in ROLE_RANK:
            raise ValueError(f"bad role {role!r}")
        with self.state.lock:
            if calendar_id not in self.state.calendars:
                raise ValueError(f"unknown calendar {calendar_id!r}")
            self.state.memberships[(email, calendar_id)] = Membership(
                calendar_id, email, role, hidden=hidden, selected=selected,
                summary_override=summary_override, color_id=color_id,
                etag=self.state.new_etag(),
            )

    def subscribe_holidays(
        self,
        email: str,
        holidays: dict[str, str],
        observances: dict[str, str] | None = None,
        *,
        calendar_id: str = "en.usa#holiday@group.v.calendar.google.com",
        summary: str = "Holidays in United States",
        selected: bool = True,
        time_zone: str = "UTC",
    ) -> str:
        """Subscribe ``email`` to one of Google's regional holiday calendars.

        Like Google: the user has reader access; every entry is an all-day, transparent
        (so free/busy never shows it), public event; a public holiday's description is
        "Public holiday", an observance's "Observance" plus a hint how to hide them (the
        calendars' public ICS feeds, quoted in
        https://github.com/mitica/public-holidays-js/issues/22). ``holidays`` and
        ``observances`` map ISO dates to names.
        """
        self.publish_holidays(holidays, observances, calendar_id=calendar_id, summary=summary,
                              time_zone=time_zone)
        self.share_calendar(calendar_id, email, "reader", selected=selected)
        return calendar_id

    def publish_holidays(
        self,
        holidays: dict[str, str],
        observances: dict[str, str] | None = None,
        *,
        calendar_id: str = "en.usa#holiday@group.v.calendar.google.com",
        summary: str = "Holidays in United States",
        time_zone: str = "UTC",
    ) -> str:
        """One of Google's regional holiday calendars, in nobody's list yet. Like Google's,
        it is public: anyone may read its events (its public ICS feed is
        calendar.google.com/calendar/ical/<id>/public/basic.ics)."""
        with self.state.lock:
            exists = calendar_id in self.state.calendars
        if not exists:
            self.add_calendar(calendar_id, summary, time_zone, calendar_id=calendar_id)
            kinds = [(holidays, "Public holiday"),
                     (observances or {}, "Observance\nTo hide observances, go to Google "
                                         f"Calendar Settings > {summary}")]
            for days, description in kinds:
                for day, name in days.items():
                    end = (date.fromisoformat(day) + timedelta(days=1)).isoformat()
                    self.add_event(calendar_id, {
                        "id": _stable_id(calendar_id, day, name),  # like Google's: per day
                        "summary": name, "description": description,
                        "start": {"date": day}, "end": {"date": end},
                        "transparency": "transparent", "visibility": "public",
                    }, propagate=False)
        return calendar_id

    def share_free_busy(self, owner: str, viewer: str) -> None:
        """``owner`` shares only their free/busy with ``viewer``: the calendar is in the
        viewer's list with accessRole freeBusyReader and freebusy.query answers for it. The
        emulator refuses events.list of it as of any calendar without reader access (the
        plugin reads only status events there and takes a refusal as "nothing shown")."""
        self.share_calendar(owner, viewer, "freeBusyReader")

    def list_free_busy_reader_zones(self, shown: bool) -> None:
        """Emulator switch: whether a freeBusyReader calendar-list entry carries timeZone."""
        with self.state.lock:
            self.state.free_busy_reader_zone = shown

    def set_freebusy_private(self, email: str, private: bool = True) -> None:
        with self.state.lock:
            if private:
                self.state.freebusy_private.add(email)
            else:
                self.state.freebusy_private.discard(email)

    def add_event(
        self,
        calendar_id: str,
        body: dict[str, Any],
        *,
        as_user: str | None = None,
        propagate: bool = True,
    ) -> dict[str, Any]:
        """Store an event as if created through the API (validated like events.insert).

        Seeding may also set ``organizer``/``creator``/``iCalUID``/``status`` and
        ``recurringEventId``+``originalStartTime`` (an exception instance). With
        ``propagate`` the event is also copied to attendees' primary calendars.
        """
        with self.state.lock:
            cal = self.state.calendars.get(calendar_id)
            if cal is None:
                raise ValueError(f"unknown calendar {calendar_id!r}")
            body = copy.deepcopy(body)
            eid = body.get("id")
            if eid is not None and eid in cal.events:
                raise ValueError(f"event {eid!r} already exists in {calendar_id!r}")
            ev_mod.validate_event(body)
            calendar_api.conference(1, body, None)
            stored = calendar_api.build_new_event(
                self.state, cal, body, as_user or cal.owner, fmt_utc_ms(self.now()), eid
            )
            if "hangoutLink" in body:
                stored["hangoutLink"] = body["hangoutLink"]
            cal.events[stored["id"]] = stored
            if propagate:
                calendar_api.propagate(self.state, cal, stored)
            return copy.deepcopy(stored)

    def get_stored_event(self, calendar_id: str, event_id: str) -> dict[str, Any] | None:
        with self.state.lock:
            cal = self.state.calendars.get(calendar_id)
            ev = cal.events.get(event_id) if cal else None
            return copy.deepcopy(ev) if ev else None

    def stored_events(self, calendar_id: str) -> list[dict[str, Any]]:
        with self.state.lock:
            cal = self.state.calendars.get(calendar_id)
            return copy.deepcopy(list(cal.events.values())) if cal else []

    # ------------------------------------------------------------------ OAuth
    def register_client(
        self, client_id: str, client_secret: str, redirect_uris: list[str] | None = None
    ) -> None:
        from .state import Client

        with self.state.lock:
            self.state.clients[client_id] = Client(client_id, client_secret, redirect_uris)

    def _new_access_token(
        self, email: str, scopes: list[str], expires_in: float, *, client_id: str | None = None,
        refresh_token: str | None = None,
    ) -> str:
        tok = random_token("ya29.a0", 120)
        self.state.access_tokens[tok] = AccessToken(
            tok, email, list(scopes), time.time() + expires_in, client_id, refresh_token
        )
        return tok

    def _new_refresh_token(self, email: str, client_id: str, scopes: list[str]) -> str:
        tok = random_token("1//0", 100)
        self.state.refresh_tokens[tok] = RefreshToken(tok, email, client_id, list(scopes))
        return tok

    def issue_token(
        self, email: str, scopes: list[str] | None = None, expires_in: float = 3600
    ) -> str:
        with self.state.lock:
            if email not in self.state.users:
                raise ValueError(f"unknown user {email!r}")
            return self._new_access_token(email, scopes or DEFAULT_SCOPES, expires_in)

    def issue_refresh_token(
        self, email: str, client_id: str, scopes: list[str] | None = None
    ) -> str:
        with self.state.lock:
            if email not in self.state.users:
                raise ValueError(f"unknown user {email!r}")
            return self._new_refresh_token(email, client_id, scopes or DEFAULT_SCOPES)

    def consent(
        self,
        client_id: str,
        email: str,
        *,
        redirect_uri: str,
        scope: str | list[str],
        state: str | None = None,
        code_challenge: str | None = None,
        code_challenge_method: str = "S256",
        granted_scopes: list[str] | None = None,
        access_type: str = "offline",
        include_granted_scopes: bool = False,
    ) -> str:
        """Simulate the user clicking Allow; returns the authorization code. With
        ``include_granted_scopes`` the code also carries the user's earlier grants to the
        client (Google's incremental authorization)."""
        requested = scope.split() if isinstance(scope, str) else list(scope)
        granted = list(granted_scopes) if granted_scopes is not None else requested
        with self.state.lock:
            self.state.remember_secrets(state)
            if client_id not in self.state.clients:
                raise ValueError(f"unknown client {client_id!r}")
            if email not in self.state.users:
                raise ValueError(f"unknown user {email!r}")
            if include_granted_scopes:
                granted += [s for s in oauth.earlier_grants(self, client_id, email)
                            if s not in granted]
            return oauth.new_code(self, client_id, email, redirect_uri, granted,
                                  code_challenge, code_challenge_method, access_type)

    def deny_next_consent(self) -> None:
        with self.state.lock:
            self._deny_next = True

    def revoke_user_tokens(self, email: str) -> None:
        with self.state.lock:
            for t in self.state.refresh_tokens.values():
                if t.email == email:
                    t.revoked = True
            for a in self.state.access_tokens.values():
                if a.email == email:
                    a.revoked = True

    def expire_access_token(self, token: str) -> None:
        with self.state.lock:
            self.state.access_tokens[token].expires_at = time.time() - 1

    # ------------------------------------------------------------------ faults / log
    def inject_fault(self, fault: Fault) -> Fault:
        return self.faults.add(fault)

    def clear_faults(self) -> None:
        self.faults.clear()

    def _record(self, rec: RecordedRequest) -> None:
        with self._req_lock:
            self._requests.append(rec)

    @property
    def requests(self) -> list[RecordedRequest]:
        with self._req_lock:
            return list(self._requests)

    def clear_requests(self) -> None:
        with self._req_lock:
            self._requests.clear()

    # ------------------------------------------------------------------ processing
    def _process(
        self,
        verb: str,
        raw_path: str,
        query: dict[str, list[str]],
        body: Any,
        body_error: bool,
        headers: CIDict,
        rec: RecordedRequest,
    ) -> tuple[int, Any, dict[str, str]]:
        try:
            if raw_path == batch.BATCH_PATH and verb == "POST":
                return batch.handle(self, rec.raw_body, headers)
            if raw_path.startswith(discovery.SERVICE_PREFIX):
                return self._calendar(rec, body_error)
            with self.state.lock:
                if raw_path == "/o/oauth2/v2/auth" and verb == "GET":
                    return oauth.authorize(self, query)
                if raw_path == "/o/oauth2/v2/auth/consent" and verb == "POST":
                    return oauth.consent_submit(self, _form(body, query))
                if raw_path == "/token" and verb == "POST":
                    return oauth.token(self, _form(body, query), headers)
                if raw_path == "/revoke" and verb in ("POST", "GET"):
                    return oauth.revoke(self, _form(body, query))
            raise not_found()
        except ApiError as exc:
            return exc.code, exc.body, exc.headers
        except Exception:  # an emulator bug: answer like Google's 500 and keep the trace
            trace = traceback.format_exc()
            self.internal_errors.append(trace)
            print(trace, file=sys.stderr)
            return 500, envelope(500, "backendError"), {}

    def _calendar(self, rec: RecordedRequest, body_error: bool) -> tuple[int, Any, dict[str, str]]:
        """A Calendar v3 call; ``rec`` holds the request as ``_process`` got it."""
        query, body, headers = rec.query, rec.body, rec.headers
        routed = discovery.route(rec.method, rec.raw_path)
        if routed is None:
            raise not_found()
        method, path_params = routed
        auth = headers.get("Authorization") or ""
        token = auth[7:].strip() if auth.lower().startswith("bearer ") else None
        token = token or (query.get("oauth_token") or query.get("access_token") or [None])[0]
        with self.state.lock:
            at = self.state.access_tokens.get(token or "")
            if at is None or at.revoked or at.expires_at <= time.time():
                raise auth_error()
            rec.user = at.email
            scopes = list(at.scopes)
        if not set(scopes) & set(method.scopes):
            raise insufficient_scopes(method.scopes)
        params = discovery.validate_params(method, path_params, query)
        if method.request_ref:
            if body_error:
                raise ApiError(400, "parseError", "Parse Error")
            discovery.validate_body(method, body if body is not None else {})
        selector = fields.parse(params["fields"]) if params.get("fields") else None
        with self.state.lock:
            ctx = calendar_api.Ctx(self, self.state, at.email, method, params, body, headers)
            status, out, out_headers = calendar_api.dispatch(ctx)
        if selector is not None and status == 200 and isinstance(out, dict):
            out = fields.apply(out, selector)
        return status, out, out_headers
