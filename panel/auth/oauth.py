"""The panel's calls to the backend's authorization server, thin over httpx.

Discovery (cached), the JWKS (cached, refetched once on an unknown ``kid``), the
``authorization_code`` and ``refresh_token`` grants, and revocation (RFC 7009). Network
failures become ``BackendUnreachable``; RFC 6749 error bodies become ``TokenRefused`` (or
``SessionEnded`` for ``invalid_grant`` on a refresh, with the backend's ``reason``).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx

from panel.auth.errors import (
    BackendMisconfigured,
    BackendUnreachable,
    IdTokenInvalid,
    SessionEnded,
    TokenRefused,
)
from panel.auth.idtoken import IdentityClaims, UnknownKey, validate_id_token
from panel.auth.request import CLIENT_ID, AuthRequest, ProviderMetadata

__all__ = ["OAuthClient", "TokenSet"]


@dataclass(frozen=True, slots=True)
class TokenSet:
    """What the token endpoint gave. ``repr`` hides the secrets so a log never shows them."""

    access_token: str
    refresh_token: str | None
    expires_at: float
    identity: IdentityClaims | None

    def __repr__(self) -> str:
        return f"TokenSet(expires_at={self.expires_at!r}, identity={self.identity!r})"


class OAuthClient:
    """Talks to one backend's authorization server. Thread-safe; blocking; off the GUI thread."""

    def __init__(self, http: httpx.Client, backend_url: str, *, clock: Callable[[], float]) -> None:
        self._http = http
        self.backend_url = backend_url.rstrip("/")
        self._clock = clock
        self._lock = threading.Lock()
        self._metadata: ProviderMetadata | None = None
        self._jwks: dict[str, Any] | None = None

    # discovery -------------------------------------------------------------------------------

    def metadata(self) -> ProviderMetadata:
        with self._lock:
            if self._metadata is None:
                data = self._get_json(self.backend_url + "/.well-known/openid-configuration")
                self._metadata = ProviderMetadata.from_json(data, self.backend_url)
            return self._metadata

    def _jwks_document(self, *, refetch: bool = False) -> dict[str, Any]:
        meta = self.metadata()
        with self._lock:
            if self._jwks is None or refetch:
                data = self._get_json(meta.jwks_uri)
                if not isinstance(data, dict) or not isinstance(data.get("keys"), list):
                    raise BackendMisconfigured("the backend's JWKS is not a key set")
                self._jwks = data
            return self._jwks

    # grants ----------------------------------------------------------------------------------

    def exchange_code(self, code: str, request: AuthRequest) -> TokenSet:
        body = self._token_request(
            {
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": request.redirect_uri,
                "client_id": CLIENT_ID,
                "code_verifier": request.code_verifier,
            },
            refreshing=False,
        )
        if not isinstance(body.get("id_token"), str):
            raise IdTokenInvalid("the token endpoint sent no ID token")
        if not isinstance(body.get("refresh_token"), str):
            raise BackendMisconfigured("the token endpoint sent no refresh token")
        return self._token_set(body, nonce=request.nonce)

    def refresh(self, refresh_token: str) -> TokenSet:
        body = self._token_request(
            {"grant_type": "refresh_token", "refresh_token": refresh_token, "client_id": CLIENT_ID},
            refreshing=True,
        )
        token_set = self._token_set(body, nonce=None)
        if token_set.refresh_token is None:  # no rotation this time: keep using the old one
            return TokenSet(
                token_set.access_token, refresh_token, token_set.expires_at, token_set.identity
            )
        return token_set

    def revoke(self, refresh_token: str) -> None:
        """RFC 7009 revocation of the refresh token (and with it, its family)."""
        url = self.metadata().revocation_endpoint
        try:
            response = self._http.post(
                url,
                data={
                    "token": refresh_token,
                    "token_type_hint": "refresh_token",
                    "client_id": CLIENT_ID,
                },
            )
        except httpx.TransportError as exc:
            raise BackendUnreachable(str(exc)) from exc
        if response.status_code >= 500:
            raise BackendUnreachable(f"the revocation endpoint answered {response.status_code}")
        if response.status_code != 200:
            error = _error_body(response)
            raise TokenRefused(str(error.get("error") or response.status_code))

    # internals -------------------------------------------------------------------------------

    def _token_set(self, body: dict[str, Any], *, nonce: str | None) -> TokenSet:
        access = body.get("access_token")
        if not isinstance(access, str) or str(body.get("token_type", "")).lower() != "bearer":
            raise BackendMisconfigured("the token endpoint sent no bearer access token")
        expires_in = body.get("expires_in")
        lifetime = float(expires_in) if isinstance(expires_in, int | float) else 300.0
        id_token = body.get("id_token")
        identity = self._validate(id_token, nonce) if isinstance(id_token, str) else None
        refresh = body.get("refresh_token")
        return TokenSet(
            access_token=access,
            refresh_token=refresh if isinstance(refresh, str) else None,
            expires_at=self._clock() + lifetime,
            identity=identity,
        )

    def _validate(self, id_token: str, nonce: str | None) -> IdentityClaims:
        meta = self.metadata()
        try:
            return validate_id_token(
                id_token, self._jwks_document(), issuer=meta.issuer, client_id=CLIENT_ID,
                nonce=nonce, now=self._clock,
            )  # fmt: skip
        except UnknownKey:  # the backend rotated its signing key since we fetched the JWKS
            return validate_id_token(
                id_token, self._jwks_document(refetch=True), issuer=meta.issuer,
                client_id=CLIENT_ID, nonce=nonce, now=self._clock,
            )  # fmt: skip

    def _token_request(self, form: dict[str, str], *, refreshing: bool) -> dict[str, Any]:
        url = self.metadata().token_endpoint
        try:
            response = self._http.post(url, data=form, headers={"Accept": "application/json"})
        except httpx.TransportError as exc:
            raise BackendUnreachable(str(exc)) from exc
        if response.status_code >= 500:
            raise BackendUnreachable(f"the token endpoint answered {response.status_code}")
        if response.status_code != 200:
            error = _error_body(response)
            code = str(error.get("error") or "invalid_request")
            description = error.get("error_description")
            reason = error.get("reason")
            description = description if isinstance(description, str) else None
            reason = reason if isinstance(reason, str) else None
            if refreshing and code == "invalid_grant":
                raise SessionEnded(reason or "revoked", description)
            raise TokenRefused(code, description, reason)
        try:
            body = response.json()
        except ValueError as exc:
            raise BackendMisconfigured("the token endpoint did not answer JSON") from exc
        if not isinstance(body, dict):
            raise BackendMisconfigured("the token endpoint did not answer a JSON object")
        return body

    def _get_json(self, url: str) -> Any:
        try:
            response = self._http.get(url, headers={"Accept": "application/json"})
        except httpx.TransportError as exc:
            raise BackendUnreachable(str(exc)) from exc
        if response.status_code >= 500:
            raise BackendUnreachable(f"{url} answered {response.status_code}")
        if response.status_code != 200:
            raise BackendMisconfigured(
                f"{url} answered {response.status_code}: is this a Quickture backend?"
            )
        try:
            return response.json()
        except ValueError as exc:
            raise BackendMisconfigured(f"{url} did not answer JSON") from exc


def _error_body(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}
