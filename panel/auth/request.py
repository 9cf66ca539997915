"""The authorization request and its callback, as pure functions (no sockets, no Qt).

``new_auth_request`` makes a fresh PKCE verifier, ``state`` and ``nonce`` and builds the
authorize URL with Authlib; ``parse_callback`` reads the query the browser brings back to the
loopback receiver, checking ``state`` before anything else.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from authlib.oauth2.rfc6749.parameters import prepare_grant_uri

from panel.auth.errors import AuthorizationDenied, BackendMisconfigured
from panel.auth.pkce import new_nonce, new_state, new_verifier, s256_challenge

__all__ = [
    "CLIENT_ID",
    "SCOPE",
    "AuthRequest",
    "CallbackResult",
    "ProviderMetadata",
    "StateMismatch",
    "new_auth_request",
    "parse_callback",
]

CLIENT_ID = "quickture-panel"
SCOPE = "openid profile email offline_access"


@dataclass(frozen=True, slots=True)
class ProviderMetadata:
    """The parts of ``/.well-known/openid-configuration`` the panel uses."""

    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    revocation_endpoint: str
    jwks_uri: str

    @classmethod
    def from_json(cls, data: object, expected_issuer: str) -> ProviderMetadata:
        if not isinstance(data, dict):
            raise BackendMisconfigured("the OpenID configuration is not a JSON object")
        fields = {}
        for name in (
            "issuer",
            "authorization_endpoint",
            "token_endpoint",
            "revocation_endpoint",
            "jwks_uri",
        ):
            value = data.get(name)
            if not isinstance(value, str) or urlsplit(value).scheme not in ("http", "https"):
                raise BackendMisconfigured(f"the OpenID configuration has no usable {name}")
            fields[name] = value
        if fields["issuer"].rstrip("/") != expected_issuer.rstrip("/"):
            raise BackendMisconfigured(
                f"the backend says its issuer is {fields['issuer']}, not {expected_issuer}"
            )
        return cls(**fields)


@dataclass(frozen=True, slots=True)
class AuthRequest:
    """One sign-in attempt: what went into the authorize URL and what must come back."""

    url: str
    redirect_uri: str
    state: str
    nonce: str
    code_verifier: str


@dataclass(frozen=True, slots=True)
class CallbackResult:
    code: str
    iss: str | None


class StateMismatch(Exception):
    """A request reached the callback without this sign-in's ``state``: not ours, ignore it."""


def new_auth_request(
    metadata: ProviderMetadata, redirect_uri: str, *, state: str | None = None
) -> AuthRequest:
    state = state or new_state()
    nonce, verifier = new_nonce(), new_verifier()
    url = prepare_grant_uri(
        metadata.authorization_endpoint,
        client_id=CLIENT_ID,
        response_type="code",
        redirect_uri=redirect_uri,
        scope=SCOPE,
        state=state,
        nonce=nonce,
        code_challenge=s256_challenge(verifier),
        code_challenge_method="S256",
    )
    return AuthRequest(
        url=str(url), redirect_uri=redirect_uri, state=state, nonce=nonce, code_verifier=verifier
    )


def parse_callback(query: Mapping[str, str], expected_state: str) -> CallbackResult:
    """The code from a callback query, or ``AuthorizationDenied``.

    Raises ``StateMismatch`` first of all when ``state`` is missing or wrong, whatever else
    the query says: such a request was not started by this sign-in.
    """
    state = query.get("state", "")
    if not secrets.compare_digest(state.encode(), expected_state.encode()):
        raise StateMismatch()
    if "error" in query:
        raise AuthorizationDenied(query["error"], query.get("error_description") or None)
    code = query.get("code", "")
    if not code:
        raise AuthorizationDenied("invalid_request", "the callback carried no code")
    return CallbackResult(code=code, iss=query.get("iss") or None)
