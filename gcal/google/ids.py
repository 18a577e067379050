"""Client-generated event ids, so creating an event can be repeated without duplicates.

Google accepts ids of 5–1024 characters from base32hex (``a-v`` and ``0-9``). An id chosen
before the insert makes the insert idempotent: a retry of the same request meets Google's
409 ``duplicate`` instead of creating a second event.
"""

from __future__ import annotations

import base64
import hashlib
import secrets

# Changing this prefix would change every derived id and break idempotency across versions.
# v2 (account-scoped) replaced v1 (calendar + key only), where two people using the same key
# on a shared calendar got each other's event.
_DERIVATION = b"dify-google-calendar/event-id/v2"


def _base32hex(data: bytes) -> str:
    return base64.b32hexencode(data).decode().rstrip("=").lower()


def new_event_id() -> str:
    """A random id (128 bits) for a create without an idempotency key."""
    return _base32hex(secrets.token_bytes(16))


def event_id_for_key(idempotency_key: str, calendar_id: str, account: str) -> str:
    """The same key from the same account on the same calendar always gives the same id, in
    any process and after re-authorisation. ``account`` is the user's primary calendar id (their
    email address), which stays the same across tokens of one Google account."""
    parts = (_DERIVATION, account.casefold().encode(), calendar_id.encode(),
             idempotency_key.encode())
    return _base32hex(hashlib.sha256(b"\0".join(parts)).digest())


# https://developers.google.com/calendar/api/v3/reference/events#conferenceData.createRequest.requestId
def conference_request_id(event_id: str, revision: str = "") -> str:
    """Google ignores a Meet request whose id it has seen for the event before, so each new
    request needs a new id; retries of one request (same event revision) keep theirs."""
    if not revision:
        return f"meet-{event_id}"
    return f"meet-{event_id}-{hashlib.sha256(revision.encode()).hexdigest()[:16]}"

