"""Access tokens: short-lived JWTs (RFC 9068 style) signed with our current key.

Claims: ``iss`` (our base URL), ``sub`` (the SCIM user id), ``aud`` (``<BASE>/api/v1``), ``org``,
``scope``, ``client_id``, ``sid`` (the refresh-token family, so revoking the family revokes its
access tokens), ``exp``, ``iat``, ``jti``. Checking the signature and the claims here is pure;
whether the account is still active is the bearer check's job (``backend.api.bearer``).

Errors::

    AccessTokenError        carries ``reason``: "expired" or "invalid"
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from joserfc import jwt
from joserfc.errors import ExpiredTokenError, JoseError
from joserfc.jwk import GuestProtocol, RSAKey
from joserfc.jws import JWSRegistry

from backend.oauth.keys import ALG, SigningKeyInfo

__all__ = [
    "ACCESS_TOKEN_LIFETIME",
    "AccessClaims",
    "AccessTokenError",
    "audience_for",
    "decode_access_token",
    "encode_access_token",
]

ACCESS_TOKEN_LIFETIME = timedelta(minutes=10)
LEEWAY_SECONDS = 30
TOKEN_TYPE = "at+jwt"
_REGISTRY = JWSRegistry(algorithms=[ALG])


class AccessTokenError(Exception):
    def __init__(self, reason: str, description: str) -> None:
        super().__init__(description)
        self.reason = reason
        self.description = description


@dataclass(frozen=True, slots=True)
class AccessClaims:
    sub: str
    org: str
    scope: str
    client_id: str
    sid: str | None
    jti: str
    iat: int
    exp: int


def audience_for(base_url: str) -> str:
    return base_url.rstrip("/") + "/api/v1"


def encode_access_token(
    key: SigningKeyInfo,
    *,
    issuer: str,
    sub: str,
    org: str,
    scope: str,
    client_id: str,
    sid: str | None,
    lifetime: timedelta = ACCESS_TOKEN_LIFETIME,
    now: int | None = None,
) -> tuple[str, int]:
    """The signed token and its lifetime in seconds."""
    iat = int(time.time()) if now is None else now
    seconds = int(lifetime.total_seconds())
    claims: dict[str, Any] = {
        "iss": issuer,
        "sub": sub,
        "aud": audience_for(issuer),
        "org": org,
        "scope": scope,
        "client_id": client_id,
        "iat": iat,
        "exp": iat + seconds,
        "jti": secrets.token_urlsafe(16),
    }
    if sid:
        claims["sid"] = sid
    header = {"alg": key.alg, "kid": key.kid, "typ": TOKEN_TYPE}
    return jwt.encode(header, claims, key.private, [key.alg]), seconds


def decode_access_token(
    token: str,
    *,
    issuer: str,
    public_key: Callable[[str], RSAKey | None],
    now: int | None = None,
) -> AccessClaims:
    """Check signature, type, issuer, audience and expiry; raise ``AccessTokenError``."""
    if not token or len(token) > 8192 or token.count(".") != 2:
        raise AccessTokenError("invalid", "the access token is malformed")

    def resolve(obj: GuestProtocol) -> RSAKey:
        kid = obj.headers().get("kid")
        found = public_key(kid) if isinstance(kid, str) else None
        if found is None:
            raise AccessTokenError("invalid", "the access token was signed with an unknown key")
        return found

    try:
        decoded = jwt.decode(token, resolve, registry=_REGISTRY)
    except AccessTokenError:
        raise
    except (JoseError, ValueError) as exc:
        raise AccessTokenError("invalid", "the access token's signature is not valid") from exc
    if decoded.header.get("typ") != TOKEN_TYPE:
        raise AccessTokenError("invalid", "this is not an access token")
    registry = jwt.JWTClaimsRegistry(
        now=now,
        leeway=LEEWAY_SECONDS,
        iss={"essential": True, "value": issuer},
        aud={"essential": True, "value": audience_for(issuer)},
        sub={"essential": True},
        exp={"essential": True},
        iat={"essential": True},
        jti={"essential": True},
    )
    claims = decoded.claims
    try:
        registry.validate(claims)
    except ExpiredTokenError as exc:
        raise AccessTokenError("expired", "the access token has expired") from exc
    except JoseError as exc:
        raise AccessTokenError("invalid", f"the access token is not valid: {exc}") from exc
    org, scope, client_id = claims.get("org"), claims.get("scope", ""), claims.get("client_id")
    sid = claims.get("sid")
    if not isinstance(org, str) or not isinstance(scope, str) or not isinstance(client_id, str):
        raise AccessTokenError("invalid", "the access token lacks its organization or scope")
    return AccessClaims(
        sub=claims["sub"],
        org=org,
        scope=scope,
        client_id=client_id,
        sid=sid if isinstance(sid, str) else None,
        jti=claims["jti"],
        iat=int(claims["iat"]),
        exp=int(claims["exp"]),
    )
