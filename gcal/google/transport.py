"""HTTP for the Calendar v3 API: auth header, timeouts, retries, error mapping.

Retry rules
-----------
Retried, with exponential backoff and full jitter, honouring ``Retry-After``, bounded by
``RetryPolicy.max_attempts`` and ``RetryPolicy.total_budget``:

* 429, and 403 with reason ``rateLimitExceeded`` / ``userRateLimitExceeded``;
* 5xx (a 503's ``Retry-After`` is honoured too, RFC 9110 §10.2.3);
* connection failures and timeouts.

Never retried: 400, 401 (except one re-mint through a ``TokenSource``), 403 permission or
``quotaExceeded``, 404, 409, 410, 412.

Writes: a request is *idempotent* when the ``idempotent`` argument says so, or by default
for GET/HEAD/PUT/DELETE/OPTIONS and for PATCH carrying ``If-Match``. A non-idempotent
request (POST, plain PATCH) is not resent once it may have reached Google: not after a
read timeout or dropped connection, and not after a 500/502/504, because Google may already
have acted on it. It is still retried when it certainly did not arrive or was refused
unprocessed (connect failures, 429, rate-limit 403, 503). Creating an event with a
client-generated id is safe to repeat, so that code passes ``idempotent=True``.
A 2xx answer whose body is not a JSON object (a proxy page, a truncated body) is retried
like a 5xx for idempotent requests.

Test-time knobs (never needed in production; read when a transport is built):
``GCAL_RETRY_BASE_DELAY`` (seconds, default 0.5) scales the backoff, and
``GCAL_READ_TIMEOUT`` (seconds, default 8) is the per-attempt read timeout.
"""

from __future__ import annotations

import logging
import math
import os
import random
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from http.cookiejar import DefaultCookiePolicy
from typing import Any, Protocol, runtime_checkable
from urllib.parse import quote

import requests
from requests.adapters import HTTPAdapter
from urllib3.exceptions import ConnectTimeoutError, NewConnectionError

from gcal import __version__, logs
from gcal.errors import (
    GoogleCalendarError,
    InvalidInputError,
    RateLimitError,
    TransportError,
    error_from_response,
)
from gcal.google._endpoints import google_endpoints

USER_AGENT = f"dify-google-calendar/{__version__} (gzip)"

logger = logging.getLogger(__name__)

_IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS"})
_RETRY_UNPROCESSED = frozenset({429, 503})  # Google did not act on the request


@runtime_checkable
class TokenSource(Protocol):
    """Supplies access tokens; ``invalidate`` drops one Google has just rejected."""

    def token(self) -> str: ...

    def invalidate(self) -> None: ...


READ_TIMEOUT = 8.0  # seconds per attempt: Calendar answers in well under a second normally


@dataclass(frozen=True)
class RetryPolicy:
    """At most ``max_attempts`` sends within ``total_budget`` seconds.

    The budget fits every attempt's full read timeout plus the backoff between them
    (4 x 8 s + 0.5 + 1 + 2 s = 35.5 s), so one slow answer cannot use up the other attempts.
    """

    max_attempts: int = 4
    base_delay: float = 0.5
    max_delay: float = 8.0
    total_budget: float = 36.0  # seconds, well inside Dify's tool timeout

    def backoff(self, attempt: int, rand: Callable[[], float] = random.random) -> float:
        """Full-jitter delay before retry number ``attempt`` (1-based)."""
        ceiling = min(self.max_delay, self.base_delay * 2 ** (attempt - 1))
        return ceiling * rand()

    @classmethod
    def from_env(cls) -> RetryPolicy:
        """The default policy, with ``GCAL_RETRY_BASE_DELAY`` applied when set (tests)."""
        return cls(base_delay=_env_seconds("GCAL_RETRY_BASE_DELAY", cls.base_delay))


def default_timeout() -> tuple[float, float]:
    """(connect, read) seconds; ``GCAL_READ_TIMEOUT`` overrides the read part (tests)."""
    return (5.0, _env_seconds("GCAL_READ_TIMEOUT", READ_TIMEOUT))


def _env_seconds(name: str, default: float) -> float:
    try:
        value = float(os.environ.get(name, ""))
    except ValueError:
        return default
    return value if math.isfinite(value) and 0 < value <= 60 else default


def calendar_path(*segments: str, parameter: str = "id") -> str:
    """``calendar_path("calendars", cid, "events")`` → ``/calendars/<cid>/events``.

    Every segment is percent-encoded with nothing considered safe, so ``#``, ``@``, ``/``
    and ``?`` in ids can never change the URL's structure.
    """
    encoded = []
    for segment in segments:
        if not isinstance(segment, str) or not segment.strip():
            raise InvalidInputError(parameter, "must not be empty", "primary")
        if segment in (".", ".."):
            # requests turns %2E back into "." and servers collapse dot segments.
            raise InvalidInputError(parameter, f"{segment!r} is not a valid id", "primary")
        encoded.append(quote(segment, safe=""))
    return "/" + "/".join(encoded)


_session: requests.Session | None = None
_session_lock = threading.Lock()


def shared_session() -> requests.Session:
    """The process-wide keep-alive Session, sized for many concurrent greenlets."""
    global _session
    with _session_lock:
        if _session is None:
            _session = _new_session()
        return _session


def _new_session() -> requests.Session:
    session = requests.Session()
    adapter = HTTPAdapter(pool_connections=4, pool_maxsize=32, max_retries=0)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    session.headers.update({"User-Agent": USER_AGENT, "Accept-Encoding": "gzip"})
    # One session serves every user of the plugin: never share cookies between them.
    session.cookies.set_policy(DefaultCookiePolicy(allowed_domains=[]))
    return session


class _StaticToken:
    def __init__(self, value: str) -> None:
        self._value = value

    def token(self) -> str:
        return self._value

    def invalidate(self) -> None:
        pass

    def __repr__(self) -> str:
        return "_StaticToken(<hidden>)"


@dataclass(frozen=True)
class _Outgoing:
    method: str
    url: str
    params: dict | None
    json: dict | None
    data: bytes | None
    headers: Mapping[str, str] | None


class CalendarTransport:
    """Sends Calendar v3 requests for one user (one token)."""

    def __init__(
        self,
        token: str | TokenSource,
        *,
        session: requests.Session | None = None,
        timeout: tuple[float, float] | None = None,
        retry: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._renewable = not isinstance(token, str)
        self._tokens: TokenSource = _StaticToken(token) if isinstance(token, str) else token
        self._session = session or shared_session()
        self._timeout = timeout or default_timeout()
        self._retry = retry or RetryPolicy.from_env()
        self._sleep = sleep
        self._clock = clock

    def __repr__(self) -> str:
        return f"CalendarTransport(token=<hidden>, timeout={self._timeout!r})"

    def get(self, path: str, **kwargs: Any) -> dict | None:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> dict | None:
        return self.request("POST", path, **kwargs)

    def patch(self, path: str, **kwargs: Any) -> dict | None:
        return self.request("PATCH", path, **kwargs)

    def put(self, path: str, **kwargs: Any) -> dict | None:
        return self.request("PUT", path, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> dict | None:
        return self.request("DELETE", path, **kwargs)

    def request(
        self,
        method: str,
        path: str,
        *,
        params: dict | None = None,
        json: dict | None = None,
        headers: dict | None = None,
        idempotent: bool | None = None,
    ) -> dict | None:
        """Send one API call (with retries); the decoded JSON body, or None for 204."""
        if not path.startswith("/"):
            raise ValueError(f"path must start with '/', got {path!r}")
        method = method.upper()
        if idempotent is None:
            idempotent = _idempotent_by_default(method, headers)
        outgoing = _Outgoing(method, google_endpoints().calendar_base + path, params, json,
                             None, headers)
        return self._exchange(outgoing, idempotent, _decode, path)

    def batch(self, payload: bytes, content_type: str) -> BatchReply:
        """POST a multipart/mixed batch. Retried as a whole when its answer is lost: its parts
        are safe to repeat (imports keyed by iCalUID, lookups, updates, deletes), and the reply
        says whether an earlier send may have been applied (`after_lost_answer`), so a
        `duplicate` answer can be read as our own first try."""
        outgoing = _Outgoing("POST", google_endpoints().batch_url, None, None, payload,
                             {"Content-Type": content_type})
        return self._exchange(outgoing, True, _multipart, "/batch")

    def _exchange(
        self, outgoing: _Outgoing, idempotent: bool, decode: Callable[[Any], Any], path: str
    ) -> Any:
        started = self._clock()
        deadline = started + self._retry.total_budget
        report = _AttemptReporter(outgoing.method, path, outgoing.json,
                                  lambda: self._clock() - started)
        attempt = 0
        reminted = False
        landed = False  # an earlier attempt may have been applied, its answer lost
        while True:
            attempt += 1
            try:
                response = self._send(outgoing, deadline)
            except requests.RequestException as exc:
                error: GoogleCalendarError = _transport_error(exc)
                if not (idempotent or _never_sent(exc)):
                    report.gave_up(error, attempt)
                    raise maybe_applied(error) from None
                landed = landed or not _never_sent(exc)
                wait = None
            else:
                if response.status_code == 401 and self._renewable and not reminted:
                    report.token_rejected(attempt)
                    self._tokens.invalidate()
                    reminted = True
                    attempt -= 1
                    continue
                if 200 <= response.status_code < 300:
                    try:
                        return decode(response, landed)
                    except TransportError as malformed:  # 2xx, but not what was asked for
                        if not idempotent:
                            raise
                        error = malformed
                else:
                    error = error_from_response(
                        response.status_code, response.content, response.headers
                    )
                    if not retryable(response.status_code, error, idempotent):
                        error.attempts = attempt  # a 412/410 after a resend may be our own
                        report.gave_up(error, attempt)
                        raise error
                wait = error.retry_after
                landed = landed or may_have_landed(error)
            self._pause_or_raise(error, attempt, wait, deadline, report)

    def _send(self, outgoing: _Outgoing, deadline: float) -> requests.Response:
        connect, read = self._timeout
        remaining = deadline - self._clock()
        merged = dict(outgoing.headers or {})
        merged["Authorization"] = f"Bearer {self._tokens.token()}"
        logs.count_google_request()
        return self._session.request(
            outgoing.method,
            outgoing.url,
            params=_query(outgoing.params),
            json=outgoing.json,
            data=outgoing.data,
            headers=merged,
            timeout=(connect, min(read, max(remaining, 1.0))),
            allow_redirects=False,
        )

    def _pause_or_raise(
        self,
        error: GoogleCalendarError,
        attempt: int,
        wait: float | None,
        deadline: float,
        report: _AttemptReporter,
    ) -> None:
        if attempt >= self._retry.max_attempts:
            report.gave_up(error, attempt, exhausted=True)
            raise error
        delay = self._retry.backoff(attempt) if wait is None else wait
        if delay > deadline - self._clock():
            report.gave_up(error, attempt, exhausted=True)
            raise error
        report.retrying(error, attempt, delay)
        self._sleep(delay)


class _AttemptReporter:
    """Log lines for one API call: each retry, and the failure that ends it."""

    def __init__(
        self, method: str, path: str, body: dict | None, elapsed: Callable[[], float]
    ) -> None:
        self._method = method
        self._path = path
        self._body = body
        self._elapsed = elapsed

    def retrying(self, error: GoogleCalendarError, attempt: int, delay: float) -> None:
        self._log(logging.WARNING, "google.retry", error, attempt, wait=float(delay))

    def token_rejected(self, attempt: int) -> None:
        logs.event(logger, logging.INFO, "google.token_renewed", status=401,
                   method=logs.method_id(self._method, self._path), attempt=attempt)

    def gave_up(
        self, error: GoogleCalendarError, attempt: int, *, exhausted: bool = False
    ) -> None:
        if self._method != "GET" and may_have_landed(error):
            self._log(logging.WARNING, "google.write_unconfirmed", error, attempt)
        elif exhausted:
            self._log(logging.WARNING, "google.gave_up", error, attempt)
        else:  # a definite answer the caller handles (404 on delete is even a success)
            self._log(logging.INFO, "google.failed", error, attempt)

    def _log(self, level: int, name: str, error: GoogleCalendarError, attempt: int,
             **extra: object) -> None:
        logs.event(
            logger, level, name,
            method=logs.method_id(self._method, self._path),
            status=error.status or "network",
            reason=error.reason,
            event_id=logs.event_id_in(self._path) or (self._body or {}).get("id"),
            attempt=attempt,
            **extra,
            elapsed=float(self._elapsed()),
        )


def may_have_landed(error: GoogleCalendarError) -> bool:
    """The request may have reached Google and been applied, its answer lost."""
    status = error.status or 0
    return isinstance(error, TransportError) or (status >= 500 and status != 503)


def _idempotent_by_default(method: str, headers: Mapping[str, str] | None) -> bool:
    if method in _IDEMPOTENT_METHODS:
        return True
    has_if_match = any(key.lower() == "if-match" for key in (headers or {}))
    return method == "PATCH" and has_if_match


def retryable(status: int, error: GoogleCalendarError | None, idempotent: bool) -> bool:
    if isinstance(error, RateLimitError) or status in _RETRY_UNPROCESSED:
        return True
    return idempotent and status >= 500


def _never_sent(exc: requests.RequestException) -> bool:
    """True when the request certainly did not reach the server (safe to resend)."""
    if isinstance(exc, requests.ConnectTimeout):
        return True
    cause = exc.args[0] if exc.args else None
    reason = getattr(cause, "reason", None)  # urllib3's MaxRetryError wraps the real failure
    return isinstance(reason, NewConnectionError | ConnectTimeoutError)


def _transport_error(exc: requests.RequestException) -> TransportError:
    # Built from the exception *type* only: its text may carry the URL, and its request
    # object the Authorization header, so the original is not chained either.
    if isinstance(exc, requests.Timeout):
        problem = "timed out"
    elif isinstance(exc, requests.ConnectionError):
        problem = "failed (connection error)"
    else:
        problem = f"failed ({type(exc).__name__})"
    return TransportError(
        f"The request to Google Calendar {problem}. Check the network and try again."
    )


_GENERIC_CHECK = ("Google may have applied this change anyway: check (e.g. with list_events "
                  "or get_event) before trying again, so nothing is done twice.")


def maybe_applied(error: GoogleCalendarError, check: str = _GENERIC_CHECK) -> TransportError:
    """A write that may have reached Google must not be blindly repeated by the caller."""
    cause = error.message
    for advice in (" Check the network and try again.", " Try again in a moment."):
        cause = cause.removesuffix(advice)
    return TransportError(f"{cause} {check}", status=error.status)


def _decode(response: requests.Response, _landed: bool = False) -> dict | None:
    if response.status_code == 204 or not response.content.strip():
        return None
    try:
        body = response.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        raise TransportError(
            f"Google Calendar returned a malformed response (HTTP {response.status_code}, "
            "not a JSON object). Try again in a moment.",
            status=response.status_code,
        )
    return body


@dataclass(frozen=True)
class BatchReply:
    content_type: str
    body: bytes
    after_lost_answer: bool  # an earlier send may have been applied, its answer lost


def _multipart(response: requests.Response, landed: bool) -> BatchReply:
    content_type = response.headers.get("Content-Type", "")
    if not content_type.lower().startswith("multipart/"):
        raise TransportError(
            f"Google Calendar answered a batch request with {content_type or 'no'} content "
            "instead of multipart. Try again in a moment.", status=response.status_code,
        )
    return BatchReply(content_type, response.content, landed)


def _query(params: dict | None) -> dict | None:
    """Google expects lowercase booleans and no empty parameters."""
    if not params:
        return None
    return {key: _query_value(value) for key, value in params.items() if value is not None}


def _query_value(value: Any) -> Any:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        return [_query_value(item) for item in value]
    return value

