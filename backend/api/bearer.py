"""The bearer-token check every ``/api/v1`` call makes (see ``docs/api.md``).

A valid signature and an unexpired token are not enough: each call also reads the account, so
an editor whom Okta deactivated, whose connection was deleted, or whose sign-in was revoked
loses access at the next call, even with an access token that has minutes left.

Errors::

    BearerError   401, carries ``reason``: expired | invalid | revoked | deactivated |
                  not_provisioned
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from starlette.requests import Request
from starlette.responses import JSONResponse

from backend.domain import users
from backend.oauth.keys import KeyStore
from backend.oauth.tokens import AccessClaims, AccessTokenError, decode_access_token
from backend.runtime import Runtime
from backend.store.models import Connection, RefreshToken

__all__ = ["BearerAuth", "BearerError", "Principal"]


class BearerError(Exception):
    def __init__(self, reason: str, description: str) -> None:
        super().__init__(description)
        self.reason = reason
        self.description = description


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling: the (active) user and the token's claims."""

    user: users.UserInfo
    claims: AccessClaims

    @property
    def scopes(self) -> frozenset[str]:
        return frozenset(self.claims.scope.split())


class BearerAuth:
    """``authenticate(request)`` (sync: it reads the database) and ``refuse(error)``."""

    def __init__(self, rt: Runtime, keys: KeyStore | None = None) -> None:
        self.rt = rt
        self.keys = keys if keys is not None else KeyStore(rt.box)

    def authenticate(self, request: Request) -> Principal:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise BearerError("invalid", "send the access token as Authorization: Bearer <token>")
        return self.check_token(token.strip())

    def check_token(self, token: str) -> Principal:
        with self.rt.db.read() as s:
            try:
                claims = decode_access_token(
                    token,
                    issuer=self.rt.settings.base_url,
                    public_key=lambda kid: self.keys.public_key(s, kid),
                )
            except AccessTokenError as exc:
                raise BearerError(exc.reason, exc.description) from exc
            user = users.get_user(s, claims.sub)
            if user is None or s.get(Connection, user.connection_id) is None:
                raise BearerError(
                    "not_provisioned",
                    "this account no longer exists: ask IT to re-assign you to Quickture in Okta",
                )
            if user.org_id != claims.org:
                raise BearerError("invalid", "the access token does not match the account")
            if not user.active:
                raise BearerError(
                    "deactivated",
                    "this account was deactivated: ask IT to assign you to Quickture in Okta",
                )
            if claims.sid is not None and self._family_revoked(s, claims.sid):
                raise BearerError("revoked", "this sign-in was revoked: sign in again")
        return Principal(user=user, claims=claims)

    @staticmethod
    def _family_revoked(s: sa.orm.Session, family_id: str) -> bool:
        found = s.scalar(
            sa.select(RefreshToken.id)
            .where(RefreshToken.family_id == family_id, RefreshToken.revoked_at.is_not(None))
            .limit(1)
        )
        return found is not None

    @staticmethod
    def refuse(error: BearerError) -> JSONResponse:
        """The 401 answer for ``error`` (RFC 6750 plus our ``reason``)."""
        description = error.description.replace('"', "'")
        return JSONResponse(
            {"error": "invalid_token", "reason": error.reason, "error_description": description},
            status_code=401,
            headers={
                "WWW-Authenticate": f'Bearer error="invalid_token", '
                f'error_description="{description}"',
                "Cache-Control": "no-store",
            },
        )
