"""Dify's OAuth refreshes, answered from memory when Google's answer cannot have changed.

Dify refreshes a tool's OAuth credential whenever `expires_at - 60 < now` and stores what the
refresh returns. For a node that uses the workspace's default credential the store is lost
(tool_manager.get_tool_runtime updates a row loaded in a closed session and commits another
session: langgenius/dify#32174, fixed by PR #32195), so `expires_at` stays in the past and
*every* tool runtime Dify builds asks for a refresh: about 26 `/token` requests for one
three-tool agent turn, and a revoked grant is retried at every call.

So, per process (each daemon replica keeps its own):
* a refresh of a grant whose last access token is still valid for more than
  `MIN_REMAINING_SECONDS` is answered with that token, without calling Google;
* a grant Google refused (invalid_grant) is refused again from memory for
  `REFUSAL_MEMORY_SECONDS`;
* concurrent refreshes of one grant make one request.
Entries are keyed by an HMAC (with a key that never leaves the process) of client id, client
secret and refresh token; at most `MAX_GRANTS` grants are kept, least recently used dropped.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
import threading
import time
from collections.abc import Callable

from gcal import logs
from gcal.errors import ReauthorizationRequiredError
from gcal.google import oauth
from gcal.google.account_cache import ExpiringLRU

MIN_REMAINING_SECONDS = 300
REFUSAL_MEMORY_SECONDS = 180
MAX_GRANTS = 512
_ACCESS_TOKEN_LIFETIME = 3600  # Google's; the memo never keeps an entry longer
_LOCK_STRIPES = 64

_process_key = secrets.token_bytes(32)
_tokens: ExpiringLRU[str, oauth.TokenSet] = ExpiringLRU(MAX_GRANTS, _ACCESS_TOKEN_LIFETIME)
_grant_of_access_token: ExpiringLRU[str, str] = ExpiringLRU(MAX_GRANTS, _ACCESS_TOKEN_LIFETIME)
_refused: ExpiringLRU[str, bool] = ExpiringLRU(MAX_GRANTS, REFUSAL_MEMORY_SECONDS)
_locks = tuple(threading.Lock() for _ in range(_LOCK_STRIPES))
logger = logging.getLogger(__name__)


def refresh(
    client: oauth.OAuthClient, refresh_token: str, *, clock: Callable[[], float] = time.time
) -> oauth.TokenSet:
    """`oauth.refresh`, unless memory already knows Google's answer."""
    grant = _digest(client.client_id, client.client_secret, refresh_token)
    with _locks[int(grant[:8], 16) % _LOCK_STRIPES]:
        known = _known_answer(grant, clock())
        if known is not None:
            return known
        try:
            tokens = oauth.refresh(client, refresh_token, now=clock())
        except ReauthorizationRequiredError:
            _refused.put(grant, True)
            raise
        _tokens.put(grant, tokens)
        _grant_of_access_token.put(_digest(tokens.access_token), grant)
        return tokens


def forget_access_token(access_token: str) -> None:
    """Google refused this access token (revoked early): the next refresh asks Google."""
    grant = _grant_of_access_token.get(_digest(access_token))
    if grant is not None:
        _tokens.discard(grant)


def clear() -> None:
    for memory in (_tokens, _grant_of_access_token, _refused):
        memory.clear()


def _known_answer(grant: str, now: float) -> oauth.TokenSet | None:
    if _refused.get(grant):
        logs.event(logger, logging.INFO, "oauth.refresh_refused_again", error="invalid_grant")
        raise ReauthorizationRequiredError(error="invalid_grant")
    tokens = _tokens.get(grant)
    if tokens is not None and tokens.expires_at - now > MIN_REMAINING_SECONDS:
        logs.event(logger, logging.INFO, "oauth.refresh_reused",
                   remaining=f"{int(tokens.expires_at - now)}s")
        return tokens
    return None


def _digest(*parts: str) -> str:
    return hmac.new(_process_key, "\0".join(parts).encode(), hashlib.sha256).hexdigest()
