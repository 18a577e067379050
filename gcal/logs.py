"""Logging helpers: a correlation id per call, stable event prefixes, redaction, set-up.

Every line the plugin writes looks like ``[1a2b3c4d] google.retry method=... status=503 ...``:
the bracketed id is the same for every line of one tool call or OAuth step, and the first
word is a stable event name that is easy to grep. Values are ids, counts, statuses and
method names only, never tokens, codes, secrets or personal data (descriptions, attendees).

The id lives in a ``contextvars.ContextVar``: the SDK runs each request in a worker of a
gevent-patched ``ThreadPoolExecutor``, i.e. in its own greenlet, and greenlet (>= 1.0) gives
every greenlet its own context, so concurrent calls never see each other's id.
"""

from __future__ import annotations

import contextvars
import functools
import logging
import re
import secrets
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from gcal.errors import GoogleCalendarError, QuotaExceededError, RateLimitError, TransportError

LOGGER_NAMES = ("gcal", "provider", "tools")
DEFAULT_LEVEL = "INFO"


@dataclass
class CallStats:
    """What one tool call or OAuth step did, for its closing log line."""

    call_id: str
    google_requests: int = 0
    started: float = field(default_factory=time.monotonic)

    def elapsed_ms(self) -> int:
        return round((time.monotonic() - self.started) * 1000)


_current: contextvars.ContextVar[CallStats | None] = contextvars.ContextVar(
    "gcal_call", default=None
)


def new_call_id(seed: str | None = None) -> str:
    """The first 8 characters of Dify's session id when there is one, else a random id."""
    compact = re.sub(r"[^0-9A-Za-z]", "", seed or "")[:8]
    return compact or secrets.token_hex(4)


def current_call() -> CallStats | None:
    return _current.get()


@contextmanager
def call_scope(seed: str | None = None) -> Iterator[CallStats]:
    """Every log line written inside carries one id; nested scopes keep the outer one."""
    outer = _current.get()
    if outer is not None:
        yield outer
        return
    stats = CallStats(new_call_id(seed))
    token = _current.set(stats)
    try:
        yield stats
    finally:
        _current.reset(token)


def in_call_scope[**P, R](function: Callable[P, R]) -> Callable[P, R]:
    """Decorator: every line ``function`` logs carries one new id (OAuth hooks)."""

    @functools.wraps(function)
    def scoped(*args: P.args, **kwargs: P.kwargs) -> R:
        with call_scope():
            return function(*args, **kwargs)

    return scoped


@contextmanager
def tool_call(tool: str, session_id: str | None) -> Iterator[CallStats]:
    """Scope of one tool call: its outcome at DEBUG, a failure at WARNING or ERROR."""
    with call_scope(session_id) as stats:
        try:
            yield stats
        except Exception as exc:
            level, details = _failure(exc)
            event(_tool_logger, level, "tool.failed", tool=tool, **details,
                  google_requests=stats.google_requests, duration_ms=stats.elapsed_ms())
            raise
        event(_tool_logger, logging.DEBUG, "tool.ok", tool=tool,
              google_requests=stats.google_requests, duration_ms=stats.elapsed_ms())


_tool_logger = logging.getLogger("tools")


def google_side(status: int | None, *, network: bool = False) -> bool:
    """A failure the user cannot fix: Google's servers, its rate limits, or the network."""
    return network or (status or 0) >= 500 or status == 429


def _failure(exc: Exception) -> tuple[int, dict[str, object]]:
    """WARNING when the caller can fix it (input, ids, access), ERROR for Google or network.

    Only the class, status, reason and parameter name are logged: messages may quote input.
    """
    if not isinstance(exc, GoogleCalendarError):
        return logging.ERROR, {"error": type(exc).__name__}
    server_side = isinstance(exc, TransportError | RateLimitError | QuotaExceededError) or (
        google_side(exc.status, network=getattr(exc, "error", None) == "network"))
    details = {"error": type(exc).__name__, "status": exc.status, "reason": exc.reason,
               "parameter": getattr(exc, "parameter", None)}
    return (logging.ERROR if server_side else logging.WARNING), details


def count_google_request() -> None:
    stats = _current.get()
    if stats is not None:
        stats.google_requests += 1


def event(logger: logging.Logger, level: int, name: str, **values: object) -> None:
    """One line: ``name key=value ...`` (None values left out)."""
    if logger.isEnabledFor(level):
        logger.log(level, "%s", " ".join([name, *_pairs(values)]))


def _pairs(values: dict[str, object]) -> Iterable[str]:
    for key, value in values.items():
        if value is None:
            continue
        if isinstance(value, float):
            value = f"{value:.3f}s"
        yield f"{key}={value}"


# --- Method ids ------------------------------------------------------------------------

# (HTTP method, path pattern relative to /calendar/v3) -> the discovery document's method id.
# Source: calendar.v3.json in google-api-python-client (checked by tests/unit/test_logs.py).
METHOD_TEMPLATES = (
    ("GET", "/users/me/calendarList", "calendar.calendarList.list"),
    ("GET", "/users/me/calendarList/{}", "calendar.calendarList.get"),
    ("GET", "/users/me/settings", "calendar.settings.list"),
    ("GET", "/users/me/settings/{}", "calendar.settings.get"),
    ("GET", "/colors", "calendar.colors.get"),
    ("POST", "/freeBusy", "calendar.freebusy.query"),
    ("GET", "/calendars/{}", "calendar.calendars.get"),
    ("GET", "/calendars/{}/events", "calendar.events.list"),
    ("POST", "/calendars/{}/events", "calendar.events.insert"),
    ("POST", "/calendars/{}/events/import", "calendar.events.import"),
    ("POST", "/calendars/{}/events/quickAdd", "calendar.events.quickAdd"),
    ("GET", "/calendars/{}/events/{}", "calendar.events.get"),
    ("PATCH", "/calendars/{}/events/{}", "calendar.events.patch"),
    ("PUT", "/calendars/{}/events/{}", "calendar.events.update"),
    ("DELETE", "/calendars/{}/events/{}", "calendar.events.delete"),
    ("GET", "/calendars/{}/events/{}/instances", "calendar.events.instances"),
    ("POST", "/calendars/{}/events/{}/move", "calendar.events.move"),
)
_METHOD_IDS = tuple(
    (verb, re.compile("^" + template.replace("{}", "[^/]+") + "$"), method_id)
    for verb, template, method_id in METHOD_TEMPLATES
)


def method_id(http_method: str, path: str) -> str:
    """``GET /calendars/x/events`` -> ``calendar.events.list`` (no ids in the result)."""
    path = path.split("?", 1)[0]
    for verb, pattern, name in _METHOD_IDS:
        if verb == http_method.upper() and pattern.match(path):
            return name
    return f"calendar.{http_method.upper()}"


def event_id_in(path: str) -> str | None:
    """The event id an ``/events/{id}`` path acts on (ids are not personal data)."""
    match = re.match(r"^/calendars/[^/]+/events/([^/?]+)", path)
    if match and match.group(1) not in ("import", "quickAdd"):
        return match.group(1)
    return None


def client_hint(client_id: str) -> str:
    """Enough of an OAuth client id to tell clients apart: ``…abc123``."""
    short = client_id.removesuffix(".apps.googleusercontent.com")
    return "…" + short[-6:] if len(short) > 6 else short


def scope_names(scopes: Iterable[str]) -> str:
    return ",".join(scope.rsplit("/", 1)[-1] for scope in scopes) or "none"


# --- Routing and redaction -------------------------------------------------------------

_TOKEN_SHAPES = re.compile(
    r"(?i)\b(bearer\s+)[^\s\"',]+"
    r"|\b((?:access_token|refresh_token|id_token|code|code_verifier|client_secret|state|token)"
    r"[\"']?\s*[=:]\s*[\"']?)[^\s\"'&,]+"
    r"|\bya29\.[\w.-]+|\b1//[\w.-]+|\bGOCSPX-[\w-]+"
)


def redact(text: str) -> str:
    """Mask anything shaped like a token, code or secret (a last line of defence)."""
    return _TOKEN_SHAPES.sub(lambda m: (m.group(1) or m.group(2) or "") + "<redacted>", text)


class CallContextFilter(logging.Filter):
    """Prefixes the call id and redacts token-shaped text; set on the plugin's log handler."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "gcal_prefixed", False):  # a record may meet the handler twice
            return True
        message = redact(record.getMessage())
        stats = _current.get()
        record.msg = f"[{stats.call_id}] {message}" if stats else message
        record.args = None
        record.gcal_prefixed = True
        return True


def parse_level(name: str | None) -> tuple[int, bool]:
    """(level, valid): an unknown name falls back to INFO."""
    level = logging.getLevelName((name or DEFAULT_LEVEL).strip().upper())
    if isinstance(level, int):
        return level, True
    return logging.INFO, False


def configure(handler: logging.Handler, level_name: str | None) -> int:
    """Route the plugin's loggers through ``handler`` at ``LOG_LEVEL``; idempotent."""
    level, valid = parse_level(level_name)
    handler.setLevel(level)  # the SDK's own loggers share this handler: same threshold
    if not any(isinstance(f, CallContextFilter) for f in handler.filters):
        handler.addFilter(CallContextFilter())
    for name in LOGGER_NAMES:
        logger = logging.getLogger(name)
        logger.setLevel(level)
        logger.propagate = False
        if handler not in logger.handlers:
            logger.addHandler(handler)
    if not valid:
        event(logging.getLogger("gcal"), logging.WARNING, "logging.config",
              problem="unknown LOG_LEVEL, using INFO")
    return level
