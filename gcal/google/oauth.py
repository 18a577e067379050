"""Google OAuth 2.0: authorization URL, stateless state + PKCE, code exchange, refresh.

The ``state`` is verifiable without storage (Dify keeps none for us): it carries a
timestamp and nonce and is signed with the client secret over the client id and the
``redirect_uri`` (so a state made for one Dify install does not pass another's callback). The
PKCE verifier is re-derived from the state and the client secret at the callback.

What this does *not* stop: Dify passes the plugin nothing that identifies the browser flow, so a
(code, state) pair an attacker obtained by consenting with their own Google account, replayed
through a victim's callback of the same install within the state's 5 minutes, passes every
check here (PKCE included: the verifier comes from the state the attacker holds). Only Dify
can close that, by binding the callback to the flow that started it (its ``context_id`` cookie
and a state it keeps); docs/reliability.md, "Security".
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import hmac
import logging
import secrets
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

import requests

from gcal import logs
from gcal.errors import (
    MissingScopesError,
    OAuthError,
    OAuthStateError,
    ReauthorizationRequiredError,
)
from gcal.google._endpoints import google_endpoints
from gcal.google.account_cache import ExpiringLRU
from gcal.google.transport import shared_session
from gcal.scopes import SCOPES

TOKEN_TIMEOUT = (5.0, 15.0)
# Dify guards its OAuth callback with a `context_id` cookie that lives 300 s
# (api/controllers/console/workspace/tool_providers.py: set_cookie("context_id", ...,
# max_age=OAuthProxyService.__MAX_AGE__), 5 * 60 in api/services/plugin/oauth_service.py);
# a longer state would only let users pass our check after Dify already refused them.
STATE_MAX_AGE = 300
_STATE_VERSION = "v2"  # v2: the signature covers the redirect_uri
_STATE_SIG_BYTES = 16
_CLOCK_SKEW = 60
_TRANSIENT_DELAYS = (0.3, 1.0)  # sleeps between the 3 attempts of an idempotent call
_sleep: Callable[[float], None] = time.sleep

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class OAuthClient:
    client_id: str
    client_secret: str = field(repr=False)

    def __repr__(self) -> str:
        return f"OAuthClient(client_id={self.client_id!r}, client_secret=<hidden>)"


@dataclass(frozen=True)
class TokenSet:
    access_token: str
    refresh_token: str | None
    expires_at: int
    scope: tuple[str, ...] = ()

    def __repr__(self) -> str:
        refresh = "<hidden>" if self.refresh_token else None
        return (
            f"TokenSet(access_token=<hidden>, refresh_token={refresh}, "
            f"expires_at={self.expires_at}, scope={self.scope!r})"
        )


# --- Authorization URL, state and PKCE -------------------------------------------------


def authorization_url(client: OAuthClient, redirect_uri: str, *, now: float | None = None) -> str:
    state = make_state(client, redirect_uri, now=now)
    logs.event(logger, logging.INFO, "oauth.authorize_url",
               client=logs.client_hint(client.client_id))
    query = {
        "client_id": client.client_id,
        "redirect_uri": redirect_uri,
        "response_type": "code",
        "scope": " ".join(SCOPES),
        "access_type": "offline",
        "prompt": "consent",
        # No include_granted_scopes: with a client shared by several plugins, the token would
        # carry every scope the user ever granted that client. Least privilege.
        "state": state,
        "code_challenge": _s256(code_verifier_for(client, state)),
        "code_challenge_method": "S256",
    }
    return f"{google_endpoints().auth_url}?{urlencode(query)}"


def make_state(client: OAuthClient, redirect_uri: str, *, now: float | None = None) -> str:
    """``base64url("v2.<ts>.<nonce>") + "." + signature``, bound to the client id and the
    redirect URI."""
    timestamp = str(int(_now(now)))
    nonce = secrets.token_urlsafe(12)
    payload = _b64encode(f"{_STATE_VERSION}.{timestamp}.{nonce}".encode())
    return f"{payload}.{_state_signature(client, redirect_uri, timestamp, nonce)}"


def verify_state(
    client: OAuthClient, state: str, redirect_uri: str, *, now: float | None = None,
    max_age: int = STATE_MAX_AGE,
) -> None:
    """Raise OAuthStateError unless ``state`` was made by ``make_state`` for this client and
    this redirect URI, at most ``max_age`` seconds ago."""
    timestamp, nonce, signature = _split_state(state)
    expected = _state_signature(client, redirect_uri, timestamp, nonce)
    if not hmac.compare_digest(signature.encode(), expected.encode()):
        raise OAuthStateError(error="bad_signature")
    age = _now(now) - int(timestamp)
    if age > max_age:
        raise OAuthStateError(
            f"The authorization took longer than {max_age // 60} minutes and expired. "
            "Start the authorization again from Dify.",
            error="expired",
        )
    if age < -_CLOCK_SKEW:
        raise OAuthStateError(error="from_the_future")


def code_verifier_for(client: OAuthClient, state: str) -> str:
    """PKCE verifier derived from the state: 43 URL-safe characters, no storage needed.

    It keeps a code intercepted on its way to the callback useless to whoever lacks the client
    secret; it is no defence against a code injected together with its own state (see the
    module docstring)."""
    digest = hmac.new(client.client_secret.encode(), f"pkce|{state}".encode(), "sha256")
    return _b64encode(digest.digest())


def _state_signature(client: OAuthClient, redirect_uri: str, timestamp: str, nonce: str) -> str:
    message = f"{client.client_id}|{redirect_uri}|{timestamp}|{nonce}".encode()
    digest = hmac.new(client.client_secret.encode(), message, "sha256").digest()
    return _b64encode(digest[:_STATE_SIG_BYTES])


def _split_state(state: Any) -> tuple[str, str, str]:
    if not isinstance(state, str) or state.count(".") != 1:
        raise OAuthStateError(error="malformed")
    payload, signature = state.split(".")
    try:
        decoded = _b64decode(payload).decode("ascii")
    except (ValueError, binascii.Error):
        raise OAuthStateError(error="malformed") from None
    parts = decoded.split(".")
    if len(parts) != 3 or parts[0] != _STATE_VERSION or not parts[1].isdigit() or not parts[2]:
        raise OAuthStateError(error="malformed")
    return parts[1], parts[2], signature


def _s256(verifier: str) -> str:
    return _b64encode(hashlib.sha256(verifier.encode("ascii")).digest())


def _b64encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


# --- Token endpoint --------------------------------------------------------------------


def _logged(step: str) -> Callable[[Callable[..., TokenSet]], Callable[..., TokenSet]]:
    """One log line per exchange / refresh: what Google granted, or why it failed."""

    def decorate(function: Callable[..., TokenSet]) -> Callable[..., TokenSet]:
        @functools.wraps(function)
        def logged(*args: Any, **kwargs: Any) -> TokenSet:
            try:
                tokens = function(*args, **kwargs)
            except OAuthError as exc:
                _log_oauth_failure(step, exc)
                raise
            expires = datetime.fromtimestamp(tokens.expires_at, UTC)
            logs.event(logger, logging.INFO, f"oauth.{step}_ok",
                       scopes=logs.scope_names(tokens.scope),
                       expires=expires.strftime("%Y-%m-%dT%H:%M:%SZ"))
            return tokens

        return logged

    return decorate


def _log_oauth_failure(step: str, exc: OAuthError) -> None:
    if isinstance(exc, OAuthStateError):
        logs.event(logger, logging.WARNING, "oauth.state_rejected", reason=exc.error)
        return
    missing = getattr(exc, "missing", None)
    server_side = logs.google_side(exc.status, network=exc.error == "network")
    logs.event(logger, logging.ERROR if server_side else logging.WARNING,
               f"oauth.{step}_failed", error=exc.error, status=exc.status,
               missing=logs.scope_names(missing) if missing else None)



@_logged("exchange")
def exchange_code(
    client: OAuthClient,
    redirect_uri: str,
    callback_params: Mapping[str, str],
    *,
    session: requests.Session | None = None,
    now: float | None = None,
) -> TokenSet:
    """Check the callback, trade the code for tokens, and check the granted scopes.

    The state is checked first: a forged callback learns nothing, not even that its `error`
    was read. Tokens of an exchange the plugin then refuses are revoked at once."""
    state = callback_params.get("state") or ""
    verify_state(client, state, redirect_uri, now=now)
    _raise_for_callback_error(callback_params)
    code = callback_params.get("code")
    if not code:
        raise OAuthError(
            "Google's response contains no authorization code. Start the authorization again.",
            error="missing_code",
        )
    body = _token_request(
        {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect_uri,
            "client_id": client.client_id,
            "client_secret": client.client_secret,
            "code_verifier": code_verifier_for(client, state),
        },
        session=session,
        idempotent=False,  # a code works once: resending after Google used it would fail
        secrets_=(client.client_secret, code),
    )
    tokens = _token_set(body, refresh_token=None, now=now)
    try:
        require_scopes(tokens)
        if not tokens.refresh_token:
            raise OAuthError(
                "Google returned no refresh token, so the connection could not last. Remove "
                "the app's access at https://myaccount.google.com/permissions and connect "
                "again.",
                error="missing_refresh_token",
            )
    except OAuthError:
        revoke(tokens, session=session)
        raise
    return tokens


def revoke(tokens: TokenSet, *, session: requests.Session | None = None) -> bool:
    """Revoke a grant the plugin will not keep (revoking either token revokes the grant:
    https://developers.google.com/identity/protocols/oauth2/web-server#tokenrevoke). Best
    effort, one attempt: the refusal the user sees matters more."""
    token = tokens.refresh_token or tokens.access_token
    try:
        response = (session or shared_session()).post(
            google_endpoints().revoke_url, data={"token": token},
            headers={"Content-Type": "application/x-www-form-urlencoded"},
            timeout=TOKEN_TIMEOUT, allow_redirects=False)
    except requests.RequestException:
        revoked = False
    else:
        revoked = response.status_code == 200
    logs.event(logger, logging.INFO if revoked else logging.WARNING, "oauth.revoke",
               revoked=revoked)
    return revoked


BROAD_CALENDAR_SCOPE = "https://www.googleapis.com/auth/calendar"


def require_scopes(tokens: TokenSet) -> None:
    """Google's granular consent lets users untick boxes; name what is missing.

    A manual refresh token minted with the broad `calendar` scope (the OAuth Playground's
    usual choice) covers all three; the plugin never asks for it itself.
    """
    if BROAD_CALENDAR_SCOPE in tokens.scope:
        return
    missing = [scope for scope in SCOPES if scope not in tokens.scope]
    if missing:
        raise MissingScopesError(missing)


@_logged("refresh")
def refresh(
    client: OAuthClient,
    refresh_token: str,
    *,
    session: requests.Session | None = None,
    now: float | None = None,
) -> TokenSet:
    """A fresh access token; the old refresh token is kept when Google sends none."""
    if not refresh_token:
        raise ReauthorizationRequiredError(
            "No refresh token is stored. Re-authorize the Google Calendar plugin in Dify."
        )
    body = _token_request(
        {
            "grant_type": "refresh_token",
            "refresh_token": refresh_token,
            "client_id": client.client_id,
            "client_secret": client.client_secret,
        },
        session=session,
        idempotent=True,
        secrets_=(client.client_secret, refresh_token),
        on_invalid_grant=ReauthorizationRequiredError,
    )
    return _token_set(body, refresh_token=refresh_token, now=now)


def _raise_for_callback_error(params: Mapping[str, str]) -> None:
    error = params.get("error")
    if not error:
        return
    if error == "access_denied":
        raise OAuthError(
            "You declined access on Google's consent screen, so the plugin was not connected. "
            "Connect again and allow access to use Google Calendar.",
            error=error,
        )
    description = params.get("error_description")
    detail = f" ({description[:200]})" if description else ""
    raise OAuthError(
        f"Google reported an authorization error: {error[:100]}{detail}. "
        "Start the authorization again.",
        error=error,
    )


def _token_request(
    form: dict[str, str],
    *,
    session: requests.Session | None,
    idempotent: bool,
    secrets_: tuple[str, ...],
    on_invalid_grant: type[OAuthError] | None = None,
) -> dict:
    """POST to the token endpoint; retried on transient failures when safe."""
    session = session or shared_session()
    attempts = len(_TRANSIENT_DELAYS) + 1
    for attempt in range(attempts):
        last = attempt == attempts - 1
        status: int | str = "network"
        try:
            response = session.post(
                google_endpoints().token_url,
                data=form,
                headers={"Accept": "application/json"},
                timeout=TOKEN_TIMEOUT,
                allow_redirects=False,
            )
        except (requests.ConnectionError, requests.Timeout) as exc:
            if last or not (idempotent or isinstance(exc, requests.ConnectTimeout)):
                raise _unreachable() from None
        else:
            status = response.status_code
            transient = status >= 500 or status == 429
            if not transient or last or not (idempotent or response.status_code == 503):
                return _token_body(response, secrets_, on_invalid_grant)
        logs.event(logger, logging.WARNING, "oauth.token_retry", grant=form["grant_type"],
                   status=status, attempt=attempt + 1, wait=_TRANSIENT_DELAYS[attempt])
        _sleep(_TRANSIENT_DELAYS[attempt])
    raise AssertionError("unreachable")  # pragma: no cover


def _token_body(
    response: requests.Response,
    secrets_: tuple[str, ...],
    on_invalid_grant: type[OAuthError] | None,
) -> dict:
    body = _json_object(response)
    if response.ok and body and body.get("access_token"):
        return body
    error, description = _oauth_error_fields(response)
    raise _token_error(response.status_code, error, _scrub(description, secrets_), on_invalid_grant)


def _token_error(
    status: int,
    error: str | None,
    description: str | None,
    on_invalid_grant: type[OAuthError] | None,
) -> OAuthError:
    detail = f" ({description})" if description else ""
    if error == "invalid_grant":
        if on_invalid_grant is not None:
            return on_invalid_grant(error=error, status=status)
        return OAuthError(
            "Google rejected the authorization code (it expired or was already used)"
            f"{detail}. Start the authorization again.",
            error=error,
            status=status,
        )
    if error in ("invalid_client", "unauthorized_client"):
        return OAuthError(
            f"Google rejected the OAuth client ({error}{detail}). Check that the client ID "
            "and client secret configured for the plugin are correct and belong to the same "
            "Google Cloud OAuth client (type: Web application).",
            error=error,
            status=status,
        )
    if error == "redirect_uri_mismatch":
        return OAuthError(
            "The redirect URI does not match the one registered for the OAuth client. Add "
            "Dify's callback URL to \"Authorized redirect URIs\" in Google Cloud Console.",
            error=error,
            status=status,
        )
    if status >= 500 or status == 429:
        return OAuthError(
            f"Google's sign-in service is temporarily unavailable (HTTP {status}). "
            "Try again in a moment.",
            error=error,
            status=status,
        )
    what = error or f"HTTP {status}"
    return OAuthError(
        f"Google's token endpoint refused the request: {what}{detail}.",
        error=error,
        status=status,
    )


def _token_set(body: dict, *, refresh_token: str | None, now: float | None) -> TokenSet:
    try:
        expires_in = int(body.get("expires_in", 3600))
    except (TypeError, ValueError):
        expires_in = 3600
    scope = body.get("scope")
    # RFC 6749 §5.1: an omitted scope means "as requested".
    granted = tuple(scope.split()) if isinstance(scope, str) else SCOPES
    return TokenSet(
        access_token=str(body["access_token"]),
        refresh_token=body.get("refresh_token") or refresh_token,
        expires_at=int(_now(now)) + expires_in,
        scope=granted,
    )


def _json_object(response: requests.Response) -> dict | None:
    try:
        body = response.json()
    except ValueError:
        return None
    return body if isinstance(body, dict) else None


def _oauth_error_fields(response: requests.Response) -> tuple[str | None, str | None]:
    body = _json_object(response) or {}
    error = body.get("error")
    description = body.get("error_description")
    if isinstance(error, dict):  # some Google endpoints use the API envelope
        description = error.get("message")
        error = error.get("status")
    error = error[:100] if isinstance(error, str) else None
    description = description[:200] if isinstance(description, str) else None
    return error, description


def _scrub(text: str | None, secrets_: tuple[str, ...]) -> str | None:
    if not text:
        return text
    for secret in secrets_:
        if secret:
            text = text.replace(secret, "<hidden>")
    return text


def _unreachable() -> OAuthError:
    return OAuthError(
        "Could not reach Google's sign-in service (timeout or connection error). "
        "Try again in a moment.",
        error="network",
    )


def _now(now: float | None) -> float:
    return time.time() if now is None else now


# --- Access tokens minted from a stored refresh token ----------------------------------

_EXPIRY_MARGIN = 60
MAX_CACHED_TOKENS = 1000
_TOKEN_LIFETIME = 3600.0  # Google's access tokens last an hour; none is kept longer


class _TokenCache:
    """Process-wide access tokens, keyed by a hash of (client id, secret, refresh token).

    One process serves every user of a workspace, so the map is bounded like the calendar-list
    cache (least recently used account out first, nothing older than a token's lifetime), and
    a refresh lock lives only while someone refreshes or waits: a failed refresh leaves nothing.
    """

    def __init__(self, max_items: int = MAX_CACHED_TOKENS) -> None:
        self._tokens: ExpiringLRU[str, TokenSet] = ExpiringLRU(max_items, _TOKEN_LIFETIME)
        self._locks: dict[str, tuple[threading.Lock, list[int]]] = {}
        self._guard = threading.Lock()

    @contextmanager
    def refreshing(self, key: str) -> Iterator[None]:
        """One refresh per account at a time."""
        with self._guard:
            lock, users = self._locks.setdefault(key, (threading.Lock(), [0]))
            users[0] += 1
        try:
            with lock:
                yield
        finally:
            with self._guard:
                users[0] -= 1
                if not users[0]:
                    del self._locks[key]

    def valid(self, key: str, now: float) -> TokenSet | None:
        tokens = self._tokens.get(key)
        if tokens and tokens.expires_at - _EXPIRY_MARGIN > now:
            return tokens
        return None

    def store(self, key: str, tokens: TokenSet) -> None:
        self._tokens.put(key, tokens)

    def drop(self, key: str, access_token: str | None) -> None:
        with self._guard:
            current = self._tokens.get(key)
            if current and (access_token is None or current.access_token == access_token):
                self._tokens.discard(key)

    def clear(self) -> None:
        with self._guard:
            self._tokens.clear()
            self._locks.clear()

    def __len__(self) -> int:
        return len(self._tokens)


_cache = _TokenCache()


class RefreshingTokenSource:
    """TokenSource for the manual credential (client id, secret and refresh token)."""

    def __init__(
        self,
        client: OAuthClient,
        refresh_token: str,
        *,
        session: requests.Session | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._client = client
        self._refresh_token = refresh_token
        self._session = session
        self._clock = clock
        # The secret is part of the key: a wrong secret must never ride on a cached token.
        material = f"{client.client_id}\0{client.client_secret}\0{refresh_token}"
        self._key = hashlib.sha256(material.encode()).hexdigest()
        self._last: str | None = None

    def __repr__(self) -> str:
        return f"RefreshingTokenSource(client_id={self._client.client_id!r}, token=<hidden>)"

    def token(self) -> str:
        tokens = _cache.valid(self._key, self._clock())
        if tokens is None:
            with _cache.refreshing(self._key):
                tokens = _cache.valid(self._key, self._clock())
                if tokens is None:
                    tokens = refresh(
                        self._client, self._refresh_token, session=self._session,
                        now=self._clock(),
                    )
                    _cache.store(self._key, tokens)
        self._last = tokens.access_token
        return tokens.access_token

    def invalidate(self) -> None:
        # Only drop the token we handed out: another caller may have refreshed already.
        _cache.drop(self._key, self._last)
