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
_DERIVATION = b"dify-google-calendar/event-id/v1"


def _base32hex(data: bytes) -> str:
    return base64.b32hexencode(data).decode().rstrip("=").lower()


def new_event_id() -> str:
    """A random id (128 bits) for a create without an idempotency key."""
    return _base32hex(secrets.token_bytes(16))


def event_id_for_key(idempotency_key: str, calendar_id: str) -> str:
    """The same key on the same calendar always gives the same id, in any process."""
    digest = hashlib.sha256(
        b"\0".join((_DERIVATION, calendar_id.encode(), idempotency_key.encode()))
    ).digest()
    return _base32hex(digest)


def conference_request_id(event_id: str) -> str:
    """Google deduplicates Meet creation by request id: stable per event, so retries reuse it."""
    return f"meet-{event_id}"

