"""Google's JSON error envelope and the reasons the Calendar API really uses."""

from __future__ import annotations

from typing import Any, TypedDict, Unpack

STATUS_BY_CODE = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    409: "ALREADY_EXISTS",
    412: "FAILED_PRECONDITION",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    501: "UNIMPLEMENTED",
    502: "UNAVAILABLE",
    503: "UNAVAILABLE",
    504: "DEADLINE_EXCEEDED",
}

# Default messages Google sends with a given reason.
DEFAULT_MESSAGES = {
    "notFound": "Not Found",
    "badRequest": "Bad Request",
    "invalid": "Invalid Value",
    "required": "Required",
    "forbidden": "Forbidden",
    "requiredAccessLevel": "You need to have writer access to this calendar.",
    "duplicate": "The requested identifier already exists.",
    "deleted": "Resource has been deleted",
    "conditionNotMet": "Precondition Failed",
    "rateLimitExceeded": "Rate Limit Exceeded",
    "userRateLimitExceeded": "User Rate Limit Exceeded",
    "quotaExceeded": "Calendar usage limits exceeded.",
    "backendError": "Backend Error",
    "internalError": "Internal Error",
    "timeRangeEmpty": "The specified time range is empty.",
    "timeRangeTooLong": "The requested time range is too long.",
    "tooManyCalendarsRequested": "The number of calendars requested is too large.",
    "authError": "Invalid Credentials",
    "insufficientPermissions": "Insufficient Permission",
    "parseError": "Parse Error",
    "notImplemented": "Not Implemented",
    "fullSyncRequired": "Sync token is no longer valid, a full sync is required.",
    # kewisch/gdata-provider#1049 (2025), Google's message for an import the owner is not in
    "participantIsNeitherOrganizerNorAttendee": "The owner of the calendar must either be the "
    "organizer or an attendee of an event that is imported.",
}

CALENDAR_DOMAIN_REASONS = {
    "timeRangeEmpty",
    "timeRangeTooLong",
    "tooManyCalendarsRequested",
    "requiredAccessLevel",
    "fullSyncRequired",
}

AUTH_MESSAGE = (
    "Request had invalid authentication credentials. Expected OAuth 2 access token, login "
    "cookie or other valid authentication credential. See "
    "https://developers.google.com/identity/sign-in/web/devconsole-project."
)


class EnvelopeDetail(TypedDict, total=False):
    """The optional parts of an error envelope; ``None`` means left out (or the default)."""

    top_message: str | None  # ``error.message`` when it differs from the item's message
    location: str | None
    location_type: str | None
    domain: str | None  # default: ``calendar`` for Calendar reasons, else ``global``


def envelope(
    code: int, reason: str, message: str | None = None, **detail: Unpack[EnvelopeDetail]
) -> dict[str, Any]:
    """Build ``{"error": {...}}`` exactly in Google's shape."""
    msg = message if message is not None else DEFAULT_MESSAGES.get(reason, reason)
    item: dict[str, Any] = {
        "domain": detail.get("domain")
        or ("calendar" if reason in CALENDAR_DOMAIN_REASONS else "global"),
        "reason": reason,
        "message": msg,
    }
    if location_type := detail.get("location_type"):
        item["locationType"] = location_type
    if location := detail.get("location"):
        item["location"] = location
    top_message = detail.get("top_message")
    err: dict[str, Any] = {
        "code": code,
        "message": top_message if top_message is not None else msg,
        "errors": [item],
    }
    status = STATUS_BY_CODE.get(code)
    if status:
        err["status"] = status
    return {"error": err}


class ApiError(Exception):
    """Raised by handlers; rendered as a Google error envelope (``body`` if given)."""

    def __init__(
        self,
        code: int,
        reason: str,
        message: str | None = None,
        *,
        headers: dict[str, str] | None = None,
        body: dict[str, Any] | None = None,
        **detail: Unpack[EnvelopeDetail],
    ) -> None:
        super().__init__(f"{code} {reason}: {message}")
        self.code = code
        self.reason = reason
        self.message = message
        self.headers = headers or {}
        self.body = body or envelope(code, reason, message, **detail)


def not_found() -> ApiError:
    return ApiError(404, "notFound")


def bad_request(message: str = "Bad Request", **kw: Any) -> ApiError:
    return ApiError(400, "badRequest", message, **kw)


def invalid(message: str = "Invalid Value", **kw: Any) -> ApiError:
    return ApiError(400, "invalid", message, **kw)


def required(message: str, **kw: Any) -> ApiError:
    return ApiError(400, "required", message, **kw)


def invalid_parameter(name: str, message: str) -> ApiError:
    return ApiError(
        400, "invalidParameter", message, location=name, location_type="parameter"
    )


def time_range_empty(location: str | None = None) -> ApiError:
    return ApiError(
        400,
        "timeRangeEmpty",
        location=location,
        location_type="parameter" if location else None,
    )


def writer_required() -> ApiError:
    return ApiError(403, "requiredAccessLevel")


def reader_required() -> ApiError:
    return ApiError(403, "requiredAccessLevel", "You need to have reader access to this calendar.")


def forbidden(message: str = "Forbidden") -> ApiError:
    return ApiError(403, "forbidden", message)


def auth_error() -> ApiError:
    body = envelope(
        401,
        "authError",
        "Invalid Credentials",
        top_message=AUTH_MESSAGE,
        location="Authorization",
        location_type="header",
    )
    return ApiError(
        401,
        "authError",
        "Invalid Credentials",
        headers={"WWW-Authenticate": 'Bearer realm="https://accounts.google.com/"'},
        body=body,
    )


def insufficient_scopes(required_scopes: list[str]) -> ApiError:
    body = envelope(
        403,
        "insufficientPermissions",
        "Insufficient Permission",
        top_message="Request had insufficient authentication scopes.",
    )
    body["error"]["details"] = [
        {
            "@type": "type.googleapis.com/google.rpc.ErrorInfo",
            "reason": "ACCESS_TOKEN_SCOPE_INSUFFICIENT",
            "domain": "googleapis.com",
            "metadata": {"service": "calendar-json.googleapis.com", "method": "calendar.v3"},
        }
    ]
    scope = " ".join(required_scopes)
    return ApiError(
        403,
        "insufficientPermissions",
        "Insufficient Permission",
        headers={
            "WWW-Authenticate": (
                'Bearer realm="https://accounts.google.com/", error="insufficient_scope", '
                f'scope="{scope}"'
            )
        },
        body=body,
    )
