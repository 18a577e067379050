"""Dify glue for connecting a Google account: OAuth hooks and manual-credential validation."""

from collections.abc import Mapping
from typing import Any

from dify_plugin import ToolProvider
from dify_plugin.entities.oauth import ToolOAuthCredentials
from dify_plugin.errors.tool import ToolProviderCredentialValidationError, ToolProviderOAuthError
from werkzeug import Request

from gcal import logs
from gcal.errors import GoogleCalendarError, ReauthorizationRequiredError
from gcal.google import oauth, refresh_memo
from gcal.google.credentials_check import (
    check_manual_credentials,
    clean_credential,
    stale_oauth_credentials,
)


def _oauth_client(system_credentials: Mapping[str, Any]) -> oauth.OAuthClient:
    client_id = str(system_credentials.get("client_id") or "").strip()
    client_secret = str(system_credentials.get("client_secret") or "").strip()
    if not client_id or not client_secret:
        raise ToolProviderOAuthError(
            "The OAuth client is not configured: set the Google client ID and client secret "
            "in the plugin's OAuth settings."
        )
    return oauth.OAuthClient(client_id, client_secret)


def _tool_credentials(tokens: oauth.TokenSet) -> ToolOAuthCredentials:
    return ToolOAuthCredentials(
        credentials={"access_token": tokens.access_token, "refresh_token": tokens.refresh_token},
        expires_at=tokens.expires_at,
    )


class GoogleCalendarProvider(ToolProvider):
    @logs.in_call_scope
    def _oauth_get_authorization_url(
        self, redirect_uri: str, system_credentials: Mapping[str, Any]
    ) -> str:
        return oauth.authorization_url(_oauth_client(system_credentials), redirect_uri)

    @logs.in_call_scope
    def _oauth_get_credentials(
        self, redirect_uri: str, system_credentials: Mapping[str, Any], request: Request
    ) -> ToolOAuthCredentials:
        client = _oauth_client(system_credentials)
        try:
            tokens = oauth.exchange_code(client, redirect_uri, dict(request.args.items()))
        except GoogleCalendarError as exc:
            raise ToolProviderOAuthError(exc.message) from None
        return _tool_credentials(tokens)

    @logs.in_call_scope
    def _oauth_refresh_credentials(
        self,
        redirect_uri: str,
        system_credentials: Mapping[str, Any],
        credentials: Mapping[str, Any],
    ) -> ToolOAuthCredentials:
        client = _oauth_client(system_credentials)
        refresh_token = clean_credential(credentials.get("refresh_token"))
        if not refresh_token:
            raise ToolProviderOAuthError(
                "This connection has no refresh token. Remove it and connect the account again."
            )
        try:
            tokens = refresh_memo.refresh(client, refresh_token)  # Dify may ask on every call
        except ReauthorizationRequiredError:
            # Keep the tools visible and let every call say how to reconnect (see
            # gcal.google.credentials_check.stale_oauth_credentials); transient failures still
            # raise.
            stale, expires_at = stale_oauth_credentials(refresh_token)
            return ToolOAuthCredentials(credentials=stale, expires_at=expires_at)
        except GoogleCalendarError as exc:
            raise ToolProviderOAuthError(exc.message) from None
        return _tool_credentials(tokens)

    @logs.in_call_scope
    def _validate_credentials(self, credentials: dict[str, Any]) -> None:
        try:
            check_manual_credentials(credentials)
        except GoogleCalendarError as exc:
            raise ToolProviderCredentialValidationError(exc.message) from None
