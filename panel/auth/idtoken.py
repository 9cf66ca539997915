"""ID token validation (OpenID Connect Core 3.1.3.7) with joserfc: pure, no I/O.

RS256 only; signature by a key of the backend's JWKS; ``iss`` is the backend, ``aud`` is
``quickture-panel``, ``nonce`` is this sign-in's (when one is expected), ``exp`` in the future.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from joserfc import jwt
from joserfc.errors import InvalidKeyIdError, JoseError
from joserfc.jwk import KeySet

from panel.auth.errors import IdTokenInvalid

__all__ = ["ALGORITHMS", "IdentityClaims", "UnknownKey", "validate_id_token"]

ALGORITHMS = ["RS256"]
LEEWAY_SECONDS = 60


class UnknownKey(IdTokenInvalid):
    """The token names a ``kid`` the JWKS does not have (the caller may refetch once)."""


@dataclass(frozen=True, slots=True)
class IdentityClaims:
    sub: str
    email: str | None
    name: str | None


def validate_id_token(
    id_token: str,
    jwks: Mapping[str, Any],
    *,
    issuer: str,
    client_id: str,
    nonce: str | None,
    now: Callable[[], float],
) -> IdentityClaims:
    try:
        keys = KeySet.import_key_set(dict(jwks))  # type: ignore[arg-type]
    except (JoseError, ValueError, TypeError, KeyError) as exc:
        raise IdTokenInvalid(f"the backend's JWKS is unusable: {exc}") from exc
    try:
        token = jwt.decode(id_token, keys, algorithms=ALGORITHMS)
    except InvalidKeyIdError as exc:
        raise UnknownKey(str(exc)) from exc
    except JoseError as exc:
        raise IdTokenInvalid(f"the ID token's signature is not valid: {exc}") from exc
    except (ValueError, TypeError) as exc:
        raise IdTokenInvalid(f"the ID token is malformed: {exc}") from exc
    claims: dict[str, Any] = dict(token.claims)
    options: dict[str, Any] = {
        "iss": {"essential": True, "value": issuer},
        "aud": {"essential": True, "value": client_id},
        "sub": {"essential": True},
        "exp": {"essential": True},
    }
    if nonce is not None:
        options["nonce"] = {"essential": True, "value": nonce}
    registry = jwt.JWTClaimsRegistry(now=lambda: int(now()), leeway=LEEWAY_SECONDS, **options)
    try:
        registry.validate(claims)
    except JoseError as exc:
        raise IdTokenInvalid(f"the ID token's claims are not valid: {exc}") from exc
    return IdentityClaims(
        sub=str(claims["sub"]),
        email=claims.get("email") if isinstance(claims.get("email"), str) else None,
        name=claims.get("name") if isinstance(claims.get("name"), str) else None,
    )
