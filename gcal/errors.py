"""The one exception hierarchy of the core.

Every message is written for the person (or model) reading the tool result: it
says what went wrong and what to do next. Messages never contain tokens or
secrets; nothing here ever sees request headers.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Mapping
from email.utils import parsedate_to_datetime
from typing import Any

from gcal.scopes import SCOPE_DESCRIPTIONS

_GOOGLE_MESSAGE_LIMIT = 300


class GoogleCalendarError(Exception):
    """Base class. ``message`` is actionable and safe to show to a model."""

    attempts: int = 1  # how many times the transport sent the request that failed
    retry_after: float | None = None  # seconds Google asked us to wait (Retry-After)

    default_message = "The Google Calendar request failed."

    def __init__(
        self, message: str | None = None, *, status: int | None = None, reason: str | None = None
    ) -> None:
        self.message = message or self.default_message
        self.status = status
        self.reason = reason
        super().__init__(self.message)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r}, status={self.status!r})"


class InvalidInputError(GoogleCalendarError):
    """A tool parameter is unusable; raised before any request is made."""

    def __init__(self, parameter: str, problem: str, example: str | None = None) -> None:
        self.parameter = parameter
        self.problem = problem.rstrip(". ")
        self.example = example
        message = f"Invalid `{parameter}`: {self.problem}."
        if example:
            message += f" Example: {example}"
        super().__init__(message)


# --- Calendar API errors ---------------------------------------------------------------


# An event id the user passed that Google does not know: wording shared by every tool.
EVENT_ID_EXAMPLE = "the id in [brackets] in list_events"


def event_not_found(event_id: str, calendar_id: str) -> InvalidInputError:
    return InvalidInputError("event_id", missing_event_problem(event_id, calendar_id),
                             EVENT_ID_EXAMPLE)


def missing_event_problem(event_id: str, calendar_id: str) -> str:
    """Google's 404 for an event: most often a line of a several-calendar listing passed
    without its calendar, so the default (primary) calendar was asked."""
    return (f"{event_id!r} was not found on calendar {calendar_id}; for an event on another "
            "calendar pass its calendar_id (the listing's legend gives the ID of c1, c2…)")


class ApiError(GoogleCalendarError):
    """Google answered with an error envelope."""

    def __init__(
        self,
        message: str | None = None,
        *,
        status: int | None = None,
        reason: str | None = None,
        google_message: str | None = None,
    ) -> None:
        self.google_message = google_message
        super().__init__(message, status=status, reason=reason)


class AuthenticationError(ApiError):
    default_message = (
        "Google rejected the access token (expired or revoked). Re-authorize the Google "
        "Calendar plugin in Dify (Plugins → Google Calendar → authorization) and try again."
    )


class PermissionDeniedError(ApiError):
    default_message = (
        "The Google authorization is missing a permission (scope) this action needs. "
        "Re-authorize the plugin and grant all requested permissions (tick every box)."
    )


class ReadOnlyCalendarError(ApiError):
    default_message = (
        "You only have read access to this calendar (or are not the event's organizer), "
        "so it cannot be changed. Use a calendar you own or can edit; list_calendars "
        "shows your access role for each."
    )


class NotFoundError(ApiError):
    default_message = (
        "The calendar or event was not found. Check the id with list_calendars / list_events."
    )


class _AskedToWait(ApiError):
    """An answer that may carry ``Retry-After`` (429, and 503 per RFC 9110 §10.2.3)."""

    waiting_message = ""

    def __init__(self, message: str | None = None, *, retry_after: float | None = None, **kw):
        self.retry_after = retry_after
        if message is None and retry_after is not None:
            message = (f"{self.waiting_message} "
                       f"Try again in about {max(1, round(retry_after))} seconds.")
        super().__init__(message, **kw)


class RateLimitError(_AskedToWait):
    default_message = "Google Calendar rate limit reached. Wait a little and try again."
    waiting_message = "Google Calendar rate limit reached."


class QuotaExceededError(ApiError):
    default_message = (
        "The Google Calendar API quota of this OAuth client is exhausted. Try again later "
        "(daily quotas reset at midnight Pacific time) or raise the quota in Google Cloud "
        "Console."
    )


# Calendar's own `quotaExceeded` is an account limit (too many events or invitations created),
# not the project's API quota (`dailyLimitExceeded`).
USAGE_LIMIT_MESSAGE = (
    "Google Calendar usage limits exceeded for this account (too many events or invitations "
    "created recently). Wait a few hours before creating more, or invite fewer guests."
)


class ConflictError(ApiError):
    default_message = (
        "Google reported a conflict: the item already exists (for example an event with the "
        "same id). Fetch it instead of creating it again."
    )


class GoneError(ApiError):
    default_message = "The calendar or event has been deleted."


class PreconditionFailedError(ApiError):
    default_message = (
        "The event was changed by someone else since it was read; fetch it again and retry."
    )


class InvalidRequestError(ApiError):
    default_message = "Google Calendar rejected the request as invalid."


class BackendError(_AskedToWait):
    default_message = (
        "Google Calendar had a temporary server problem. Try again in a moment."
    )
    waiting_message = "Google Calendar is temporarily unavailable."


# --- Other failures --------------------------------------------------------------------


class TransportError(GoogleCalendarError):
    """No usable answer: connection failure, timeout, or a malformed (non-JSON) response."""

    default_message = "Could not reach Google Calendar. Check the network and try again."


class OAuthError(GoogleCalendarError):
    """Google's OAuth endpoints refused a request."""

    default_message = "Google authorization failed. Start the authorization again."

    def __init__(self, message: str | None = None, *, error: str | None = None, **kw) -> None:
        self.error = error
        super().__init__(message, reason=error, **kw)


class ReauthorizationRequiredError(OAuthError):
    default_message = (
        "Google no longer accepts the stored authorization (invalid_grant: revoked or "
        "expired). Re-authorize the Google Calendar plugin in Dify. An OAuth app left in "
        "\"Testing\" in Google Cloud Console loses its refresh tokens after 7 days: publish "
        "it (\"In production\")."
    )


class MissingScopesError(OAuthError):
    """The user unticked some permissions on Google's consent screen."""

    def __init__(self, missing: Iterable[str]) -> None:
        self.missing = list(missing)
        self.permissions = [_describe_scope(scope) for scope in self.missing]
        listed = "; ".join(f"\"{p}\"" for p in self.permissions)
        super().__init__(
            f"Google did not grant every permission the plugin needs. Missing: {listed}. "
            "Connect the plugin again and tick every box on Google's consent screen.",
            error="insufficient_scope",
        )


class OAuthStateError(OAuthError):
    default_message = (
        "The authorization response could not be verified (its state is forged, expired, or "
        "from another OAuth client or Dify install). Start the authorization again from Dify and "
        "finish it within 5 minutes (Dify's own limit for the sign-in)."
    )


def _describe_scope(scope: str) -> str:
    return SCOPE_DESCRIPTIONS.get(scope, scope)


# --- Mapping Google's error envelope ---------------------------------------------------

_RATE_LIMIT_REASONS = frozenset({"rateLimitExceeded", "userRateLimitExceeded"})
_QUOTA_REASONS = frozenset({"quotaExceeded", "dailyLimitExceeded"})
_READ_ONLY_REASONS = frozenset({"requiredAccessLevel", "forbidden", "forbiddenForNonOrganizer"})
_SCOPE_REASONS = frozenset({"insufficientPermissions", "ACCESS_TOKEN_SCOPE_INSUFFICIENT"})

_BY_STATUS: dict[int, type[ApiError]] = {
    400: InvalidRequestError,
    401: AuthenticationError,
    404: NotFoundError,
    409: ConflictError,
    410: GoneError,
    412: PreconditionFailedError,
    429: RateLimitError,
}


def is_rate_limit_reason(reason: str | None) -> bool:
    return reason in _RATE_LIMIT_REASONS


def error_from_response(
    status: int, body: bytes | str | dict | None, headers: Mapping[str, str] | None = None
) -> ApiError | TransportError:
    """Turn a non-2xx Calendar API response into the matching exception (not raised)."""
    if 300 <= status < 400:
        return TransportError(
            f"Google Calendar answered with an unexpected redirect (HTTP {status}). "
            "Check the network or proxy configuration.",
            status=status,
        )
    envelope = _decode_envelope(body)
    if envelope is None and _looks_unusable(status, body):
        return TransportError(
            f"Google Calendar returned an unexpected non-JSON response (HTTP {status}), "
            "typically a proxy or gateway page. Try again in a moment.",
            status=status,
        )
    reason, google_message = _reason_and_message(envelope or {})
    retry_after = parse_retry_after(headers)
    cls = _class_for(status, reason)
    message = _message_for(cls, status, google_message)
    if issubclass(cls, _AskedToWait):
        return cls(message, retry_after=retry_after, status=status, reason=reason,
                   google_message=google_message)
    if cls is QuotaExceededError and reason == "quotaExceeded":
        message = USAGE_LIMIT_MESSAGE
    return cls(message, status=status, reason=reason, google_message=google_message)


def _class_for(status: int, reason: str | None) -> type[ApiError]:
    if reason in _RATE_LIMIT_REASONS:
        return RateLimitError
    if status == 403:
        if reason in _QUOTA_REASONS:
            return QuotaExceededError
        if reason in _SCOPE_REASONS:
            return PermissionDeniedError
        if reason in _READ_ONLY_REASONS:
            return ReadOnlyCalendarError
        return ApiError
    if status >= 500:
        return BackendError
    return _BY_STATUS.get(status, ApiError)


def _message_for(cls: type[ApiError], status: int, google_message: str | None) -> str | None:
    if cls is InvalidRequestError and google_message:
        return f"Google Calendar rejected the request: {google_message}"
    if cls is ApiError:
        detail = f": {google_message}" if google_message else "."
        return f"Google Calendar refused the request (HTTP {status}){detail}"
    return None  # the class's own actionable default


def _decode_envelope(body: bytes | str | dict | None) -> dict | None:
    if isinstance(body, dict):
        return body
    if not body:
        return None
    try:
        decoded = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return None
    return decoded if isinstance(decoded, dict) else None


def _looks_unusable(status: int, body: bytes | str | dict | None) -> bool:
    """An HTML page (proxy, captive portal) or a server error with a garbled body."""
    if isinstance(body, dict) or not body:
        return False
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    text = text.strip()
    return bool(text) and (status >= 500 or text.startswith("<"))


def _reason_and_message(envelope: dict) -> tuple[str | None, str | None]:
    error: Any = envelope.get("error")
    if not isinstance(error, dict):
        return None, None
    reason = None
    details = error.get("errors")
    if isinstance(details, list) and details and isinstance(details[0], dict):
        reason = details[0].get("reason")
    message = error.get("message")
    if isinstance(message, str) and message.strip():
        message = message.strip()[:_GOOGLE_MESSAGE_LIMIT]
    else:
        message = None
    return (reason if isinstance(reason, str) else None), message


def parse_retry_after(
    headers: Mapping[str, str] | None, *, now: float | None = None
) -> float | None:
    """Seconds to wait according to ``Retry-After`` (delta-seconds or an HTTP date)."""
    value = _header(headers, "Retry-After")
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None or when.tzinfo is None:
        return None
    current = time.time() if now is None else now
    return max(0.0, when.timestamp() - current)


def _header(headers: Mapping[str, str] | None, name: str) -> str | None:
    if not headers:
        return None
    wanted = name.lower()
    for key, value in headers.items():
        if key.lower() == wanted:
            return value
    return None
