"""Google OAuth 2.0 endpoints: /o/oauth2/v2/auth, /token, /revoke."""

from __future__ import annotations

import base64
import hashlib
import html
import json
import time
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode, urlparse

from .state import AccessToken, AuthCode, RefreshToken, random_token

if TYPE_CHECKING:
    from .server import GoogleEmulator

# (status, body, headers); body is a dict (JSON) or str (HTML)
Result = tuple[int, Any, dict[str, str]]

KNOWN_SCOPE_PREFIX = "https://www.googleapis.com/auth/"
OPENID_SCOPES = {"openid", "email", "profile"}
ACCESS_TOKEN_LIFETIME = 3599


def _oauth_error(status: int, error: str, description: str) -> Result:
    return status, {"error": error, "error_description": description}, {}


def _first(q: dict[str, list[str]], key: str) -> str | None:
    v = q.get(key)
    return v[0] if v else None


def _error_page(title: str, detail: str) -> Result:
    page = (f"<!doctype html><html><head><title>{html.escape(title)}</title></head><body>"
            f"<h1>Access blocked: authorization error</h1><p>{html.escape(detail)}</p>"
            f"<p>Error 400: {html.escape(title)}</p></body></html>")
    return 400, page, {"Content-Type": "text/html; charset=utf-8"}


def _redirect(uri: str, params: dict[str, str]) -> Result:
    sep = "&" if urlparse(uri).query else "?"
    return 302, "", {"Location": uri + sep + urlencode(params)}


def valid_scope(scope: str) -> bool:
    return scope in OPENID_SCOPES or (
        scope.startswith(KNOWN_SCOPE_PREFIX) and len(scope) > len(KNOWN_SCOPE_PREFIX)
    ) or scope.startswith("https://www.googleapis.com/auth/userinfo.")


def authorize(emu: GoogleEmulator, query: dict[str, list[str]]) -> Result:
    """GET /o/oauth2/v2/auth."""
    emu.state.remember_secrets(_first(query, "state"))
    client_id = _first(query, "client_id")
    client = emu.state.clients.get(client_id or "")
    if client is None:
        return _error_page("invalid_client", "The OAuth client was not found.")
    redirect_uri = _first(query, "redirect_uri")
    if not redirect_uri or urlparse(redirect_uri).scheme not in ("http", "https"):
        return _error_page("invalid_request", "Missing or invalid redirect_uri.")
    if client.redirect_uris is not None and redirect_uri not in client.redirect_uris:
        return _error_page("redirect_uri_mismatch",
                           "The redirect URI in the request does not match the ones "
                           "authorized for the OAuth client.")
    state = _first(query, "state")
    extra = {"state": state} if state is not None else {}
    if _first(query, "response_type") != "code":
        return _redirect(redirect_uri, {"error": "unsupported_response_type", **extra})
    scope = _first(query, "scope") or ""
    scopes = scope.split()
    if not scopes:
        return _error_page("invalid_request", "Missing required parameter: scope")
    if not all(valid_scope(s) for s in scopes):
        return _redirect(redirect_uri, {"error": "invalid_scope", **extra})
    method = _first(query, "code_challenge_method")
    challenge = _first(query, "code_challenge")
    if method and method not in ("S256", "plain"):
        return _error_page("invalid_request", "Invalid code_challenge_method.")
    if method and not challenge:
        return _error_page("invalid_request", "Missing code_challenge.")
    access_type = _first(query, "access_type") or "online"
    if access_type not in ("online", "offline"):
        return _error_page("invalid_request", f"Invalid access_type: {access_type}")
    prompt = _first(query, "prompt")
    if prompt and not set(prompt.split()) <= {"none", "consent", "select_account"}:
        return _error_page("invalid_request", f"Invalid prompt: {prompt}")
    with emu.state.lock:
        if emu._deny_next:
            emu._deny_next = False
            return _redirect(redirect_uri, {"error": "access_denied", **extra})
        user = emu.auto_consent_user
    if user:
        code = emu.consent(
            client_id or "", user, redirect_uri=redirect_uri, scope=scope, state=state,
            code_challenge=challenge, code_challenge_method=method or "S256",
            access_type=access_type,
            include_granted_scopes=_first(query, "include_granted_scopes") == "true",
        )
        granted = " ".join(emu.state.codes[code].scopes)
        return _redirect(redirect_uri, {"code": code, **extra, "scope": granted})
    return 200, _consent_page(emu, query, scopes), {"Content-Type": "text/html; charset=utf-8"}


def _consent_page(emu: GoogleEmulator, query: dict[str, list[str]], scopes: list[str]) -> str:
    hidden = "".join(
        f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v[0])}">'
        for k, v in query.items()
    )
    boxes = "".join(
        f'<label><input type="checkbox" name="granted" value="{html.escape(s)}" checked> '
        f"{html.escape(s)}</label><br>"
        for s in scopes
    )
    users = sorted(emu.state.users)
    opts = "".join(f'<option value="{html.escape(u)}">{html.escape(u)}</option>' for u in users)
    return (
        "<!doctype html><html><head><title>Sign in - Google Accounts (emulator)</title></head>"
        "<body><h1>Google Calendar emulator wants to access your account</h1>"
        f'<form method="post" action="/o/oauth2/v2/auth/consent">{hidden}'
        f'<p>Account: <select name="login_email">{opts}</select></p>{boxes}'
        '<button name="decision" value="allow">Allow</button> '
        '<button name="decision" value="deny">Cancel</button></form></body></html>'
    )


def consent_submit(emu: GoogleEmulator, form: dict[str, list[str]]) -> Result:
    """POST /o/oauth2/v2/auth/consent (the emulator's own consent form)."""
    redirect_uri = _first(form, "redirect_uri") or ""
    state = _first(form, "state")
    extra = {"state": state} if state is not None else {}
    if _first(form, "decision") != "allow":
        return _redirect(redirect_uri, {"error": "access_denied", **extra})
    granted = form.get("granted", [])
    scope = _first(form, "scope") or ""
    code = emu.consent(
        _first(form, "client_id") or "", _first(form, "login_email") or "",
        redirect_uri=redirect_uri, scope=scope, state=state,
        code_challenge=_first(form, "code_challenge"),
        code_challenge_method=_first(form, "code_challenge_method") or "S256",
        granted_scopes=granted, access_type=_first(form, "access_type") or "online",
        include_granted_scopes=_first(form, "include_granted_scopes") == "true",
    )
    granted_now = " ".join(emu.state.codes[code].scopes)
    return _redirect(redirect_uri, {"code": code, **extra, "scope": granted_now})


def _client_auth(
    emu: GoogleEmulator, form: dict[str, list[str]], headers: Any
) -> tuple[str | None, Result | None]:
    cid, secret = _first(form, "client_id"), _first(form, "client_secret")
    auth = headers.get("Authorization") or ""
    if auth.startswith("Basic "):
        try:
            cid, _, secret = base64.b64decode(auth[6:]).decode().partition(":")
        except (ValueError, UnicodeDecodeError):
            return None, _oauth_error(401, "invalid_client", "Unauthorized")
    client = emu.state.clients.get(cid or "")
    if client is None:
        return None, _oauth_error(401, "invalid_client", "The OAuth client was not found.")
    if secret != client.client_secret:
        return None, _oauth_error(401, "invalid_client", "Unauthorized")
    return cid, None


def _s256(verifier: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip(
        "="
    )


def token(emu: GoogleEmulator, form: dict[str, list[str]], headers: Any) -> Result:
    """POST /token."""
    emu.state.remember_secrets(*(_first(form, key) for key in (
        "client_secret", "code", "code_verifier", "refresh_token")))
    grant_type = _first(form, "grant_type")
    if grant_type not in ("authorization_code", "refresh_token"):
        return _oauth_error(
            400, "unsupported_grant_type", f"Invalid grant_type: {grant_type or ''}"
        )
    cid, err = _client_auth(emu, form, headers)
    if err:
        return err
    st = emu.state
    now = time.time()
    if grant_type == "authorization_code":
        code = st.codes.get(_first(form, "code") or "")
        if code is None:
            return _oauth_error(400, "invalid_grant", "Malformed auth code.")
        if code.used or code.expires_at < now:
            return _oauth_error(400, "invalid_grant", "Bad Request")
        if code.client_id != cid:
            return _oauth_error(400, "invalid_grant", "Unauthorized")
        if _first(form, "redirect_uri") != code.redirect_uri:
            return _oauth_error(400, "redirect_uri_mismatch", "Bad Request")
        verifier = _first(form, "code_verifier")
        if code.code_challenge:
            if not verifier:
                return _oauth_error(400, "invalid_grant", "Missing code verifier.")
            expected = _s256(verifier) if code.code_challenge_method == "S256" else verifier
            if expected != code.code_challenge:
                return _oauth_error(400, "invalid_grant", "Invalid code verifier.")
        code.used = True
        refresh = None
        if code.access_type == "offline":
            refresh = emu._new_refresh_token(code.email, code.client_id, code.scopes)
        access = emu._new_access_token(code.email, code.scopes, ACCESS_TOKEN_LIFETIME + 1,
                                       client_id=cid, refresh_token=refresh)
        body: dict[str, Any] = {
            "access_token": access,
            "expires_in": ACCESS_TOKEN_LIFETIME,
        }
        if refresh:
            body["refresh_token"] = refresh
        body["scope"] = " ".join(code.scopes)
        body["token_type"] = "Bearer"
        if "openid" in code.scopes:
            body["id_token"] = _id_token(code.email, cid or "")
        return 200, body, {}
    rt: RefreshToken | None = st.refresh_tokens.get(_first(form, "refresh_token") or "")
    if rt is None or rt.revoked:
        return _oauth_error(400, "invalid_grant", "Token has been expired or revoked.")
    if rt.client_id != cid:
        return _oauth_error(401, "unauthorized_client", "Unauthorized")
    access = emu._new_access_token(rt.email, rt.scopes, ACCESS_TOKEN_LIFETIME + 1,
                                   client_id=cid, refresh_token=rt.token)
    return 200, {
        "access_token": access,
        "expires_in": ACCESS_TOKEN_LIFETIME,
        "scope": " ".join(rt.scopes),
        "token_type": "Bearer",
    }, {}


def _id_token(email: str, client_id: str) -> str:
    def b64(d: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(d).encode()).decode().rstrip("=")

    now = int(time.time())
    claims = {"iss": "https://accounts.google.com", "aud": client_id, "sub": str(abs(hash(email))),
              "email": email, "email_verified": True, "iat": now, "exp": now + 3600}
    return f"{b64({'alg': 'RS256', 'typ': 'JWT'})}.{b64(claims)}.emulator-signature"


def revoke(emu: GoogleEmulator, form: dict[str, list[str]]) -> Result:
    """POST /revoke: revoking either token of a grant revokes the whole grant."""
    tok = _first(form, "token") or ""
    st = emu.state
    st.remember_secrets(tok)
    at: AccessToken | None = st.access_tokens.get(tok)
    rt = st.refresh_tokens.get(tok)
    if at is None and rt is None:
        return _oauth_error(400, "invalid_token", "Bad Request")
    if (at and at.revoked and not at.refresh_token) or (rt and rt.revoked):
        return _oauth_error(400, "invalid_token", "Token expired or revoked")
    refresh = rt.token if rt else (at.refresh_token if at else None)
    if at:
        at.revoked = True
    if refresh and refresh in st.refresh_tokens:
        st.refresh_tokens[refresh].revoked = True
        for a in st.access_tokens.values():
            if a.refresh_token == refresh:
                a.revoked = True
    return 200, {}, {}


def earlier_grants(emu: GoogleEmulator, client_id: str, email: str) -> list[str]:
    """Scopes the user granted this client before and has not revoked. With
    ``include_granted_scopes=true`` "the new access token will also cover any scopes to which
    the user previously granted the application access"
    (https://developers.google.com/identity/protocols/oauth2/web-server#incrementalAuth)."""
    found: list[str] = []
    for grant in emu.state.refresh_tokens.values():
        if grant.client_id == client_id and grant.email == email and not grant.revoked:
            found += [scope for scope in grant.scopes if scope not in found]
    return found


def new_code(
    emu: GoogleEmulator, client_id: str, email: str, redirect_uri: str, scopes: list[str],
    code_challenge: str | None, method: str | None, access_type: str,
) -> str:
    code = random_token("4/0A", 70)
    emu.state.codes[code] = AuthCode(
        code=code, client_id=client_id, email=email, redirect_uri=redirect_uri, scopes=scopes,
        code_challenge=code_challenge, code_challenge_method=method if code_challenge else None,
        access_type=access_type, expires_at=time.time() + 600,
    )
    return code
