import json

import pytest

from gcal import errors
from gcal.errors import (
    ApiError,
    AuthenticationError,
    BackendError,
    ConflictError,
    GoneError,
    GoogleCalendarError,
    InvalidInputError,
    InvalidRequestError,
    MissingScopesError,
    NotFoundError,
    OAuthError,
    OAuthStateError,
    PermissionDeniedError,
    PreconditionFailedError,
    QuotaExceededError,
    RateLimitError,
    ReadOnlyCalendarError,
    ReauthorizationRequiredError,
    TransportError,
    error_from_response,
    parse_retry_after,
)


def envelope(code: int, reason: str | None, message: str = "Google says no") -> dict:
    error = {"code": code, "message": message}
    if reason:
        error["errors"] = [{"domain": "global", "reason": reason, "message": message}]
    return {"error": error}


def test_invalid_input_message_format():
    error = InvalidInputError("start", "is not a time.", "2026-03-10T15:00")
    assert str(error) == "Invalid `start`: is not a time. Example: 2026-03-10T15:00"
    assert error.parameter == "start"
    assert error.message == str(error)
    assert isinstance(error, GoogleCalendarError)


def test_invalid_input_without_example():
    assert str(InvalidInputError("x", "bad")) == "Invalid `x`: bad."


@pytest.mark.parametrize(
    ("status", "reason", "cls"),
    [
        (400, "invalid", InvalidRequestError),
        (401, "authError", AuthenticationError),
        (403, "insufficientPermissions", PermissionDeniedError),
        (403, "requiredAccessLevel", ReadOnlyCalendarError),
        (403, "forbidden", ReadOnlyCalendarError),
        (403, "forbiddenForNonOrganizer", ReadOnlyCalendarError),
        (403, "rateLimitExceeded", RateLimitError),
        (403, "userRateLimitExceeded", RateLimitError),
        (403, "quotaExceeded", QuotaExceededError),
        (403, "dailyLimitExceeded", QuotaExceededError),
        (404, "notFound", NotFoundError),
        (409, "duplicate", ConflictError),
        (410, "deleted", GoneError),
        (412, "conditionNotMet", PreconditionFailedError),
        (429, "rateLimitExceeded", RateLimitError),
        (429, None, RateLimitError),
        (500, "backendError", BackendError),
        (503, None, BackendError),
        (418, None, ApiError),
        (403, "somethingNew", ApiError),
    ],
)
def test_envelope_mapping(status, reason, cls):
    for body in (envelope(status, reason), json.dumps(envelope(status, reason)).encode()):
        error = error_from_response(status, body, {})
        assert type(error) is cls
        assert error.status == status
        assert error.reason == reason
        assert error.message


def test_falls_back_to_status_code_without_reason():
    assert type(error_from_response(404, None, {})) is NotFoundError
    assert type(error_from_response(404, "Not Found", {})) is NotFoundError
    assert type(error_from_response(412, b"", {})) is PreconditionFailedError


def test_bad_request_keeps_googles_message():
    error = error_from_response(400, envelope(400, "invalid", "Invalid start time."), {})
    assert "Invalid start time." in error.message
    assert error.google_message == "Invalid start time."


def test_actionable_messages():
    assert "Re-authorize" in error_from_response(401, envelope(401, "authError"), {}).message
    assert "read access" in error_from_response(403, envelope(403, "forbidden"), {}).message
    assert "list_calendars / list_events" in error_from_response(404, None, {}).message
    assert "fetch it again" in error_from_response(412, None, {}).message
    scope = error_from_response(403, envelope(403, "insufficientPermissions"), {}).message
    assert "permission" in scope and "Re-authorize" in scope


def test_google_message_is_truncated():
    error = error_from_response(400, envelope(400, "invalid", "x" * 5000), {})
    assert len(error.message) < 400


@pytest.mark.parametrize("status", [502, 503, 404])
def test_html_page_is_a_transport_error(status):
    error = error_from_response(status, b"<html><body>Bad Gateway</body></html>", {})
    assert type(error) is TransportError
    assert error.status == status
    assert "non-JSON" in error.message


def test_garbled_5xx_is_a_transport_error():
    assert type(error_from_response(500, b"\xff\xfe garbage", {})) is TransportError


def test_rate_limit_carries_retry_after():
    error = error_from_response(429, envelope(429, "rateLimitExceeded"), {"retry-after": "7"})
    assert isinstance(error, RateLimitError)
    assert error.retry_after == 7.0


def test_retry_after_http_date():
    headers = {"Retry-After": "Wed, 21 Oct 2015 07:28:10 GMT"}
    assert parse_retry_after(headers, now=1445412480.0) == pytest.approx(10.0)
    assert parse_retry_after(headers, now=1445412500.0) == 0.0


@pytest.mark.parametrize("value", ["", "soon", "-3", "Wed, 99 Foo"])
def test_retry_after_garbage_is_ignored(value):
    assert parse_retry_after({"Retry-After": value}) is None


def test_rate_limit_message_mentions_wait():
    assert "12 seconds" in RateLimitError(retry_after=12.0).message


def test_oauth_hierarchy():
    assert issubclass(ReauthorizationRequiredError, OAuthError)
    assert issubclass(MissingScopesError, OAuthError)
    assert issubclass(OAuthStateError, OAuthError)
    assert issubclass(OAuthError, GoogleCalendarError)
    assert issubclass(TransportError, GoogleCalendarError)
    assert not issubclass(TransportError, ApiError)


def test_reauthorization_message_mentions_testing_limit():
    message = ReauthorizationRequiredError().message
    assert "Re-authorize" in message
    assert "7 days" in message
    assert "Testing" in message


def test_missing_scopes_names_human_permissions():
    error = MissingScopesError(["https://www.googleapis.com/auth/calendar.freebusy"])
    assert error.missing == ["https://www.googleapis.com/auth/calendar.freebusy"]
    assert "availability" in error.message
    assert "tick every box" in error.message


def test_repr_is_safe_and_useful():
    error = error_from_response(404, None, {})
    assert "NotFoundError" in repr(error)
    assert "404" in repr(error)


def test_every_class_has_a_default_message():
    for name in dir(errors):
        cls = getattr(errors, name)
        if isinstance(cls, type) and issubclass(cls, GoogleCalendarError):
            if cls in (InvalidInputError, MissingScopesError):
                continue
            assert cls().message.endswith(".")


@pytest.mark.parametrize(
    ("reason", "wording"),
    [("quotaExceeded", "usage limits exceeded for this account"),
     ("dailyLimitExceeded", "API quota of this OAuth client")],
)
def test_account_limit_and_project_quota_read_differently(reason, wording):
    body = {"error": {"code": 403, "message": "x", "errors": [{"reason": reason}]}}
    error = errors.error_from_response(403, json.dumps(body))
    assert isinstance(error, errors.QuotaExceededError)
    assert wording in error.message
