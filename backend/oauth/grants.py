"""The grants and extensions our authorization server registers, each a small Authlib subclass.

- ``CodeGrant``: ``response_type=code`` for public clients. Codes live 60 seconds, are bound to
  the client, the redirect URI and the PKCE challenge, and are claimed atomically on first use;
  presenting a used code again revokes every refresh-token family issued from it (and so, via
  the ``sid`` claim, the access tokens too).
- ``RotatingRefreshGrant``: every refresh returns a new refresh token in the same family; the
  used one is marked rotated. Presenting a rotated (or revoked) token revokes the whole family.
- ``S256Challenge``: PKCE required on every authorization request, ``S256`` only.
- ``IdTokenExtension``: OpenID Connect ID tokens signed with our current key.

Errors carry a ``reason`` (``deactivated``, ``not_provisioned``, ``revoked``) in the JSON body
where the panel can act on it (see ``docs/api.md``).
"""

from __future__ import annotations

import hashlib
import time
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from authlib.oauth2.rfc6749 import InvalidGrantError, InvalidRequestError, grants
from authlib.oauth2.rfc7636 import CodeChallenge
from authlib.oauth2.rfc7636.challenge import compare_s256_code_challenge
from authlib.oidc.core import OpenIDCode, UserInfo
from sqlalchemy.orm import Session

from backend.domain import users
from backend.oauth.models import AuthorizingUser, ClientView, CodeView, GrantUser, RefreshView
from backend.store.models import OAuthCode, RefreshToken
from backend.store.models.base import new_id, utcnow

if TYPE_CHECKING:
    from backend.oauth.server import QuicktureAuthorizationServer

__all__ = [
    "CODE_LIFETIME",
    "ID_TOKEN_LIFETIME",
    "REFRESH_TOKEN_LIFETIME",
    "CodeGrant",
    "IdTokenExtension",
    "ReasonedInvalidGrant",
    "RotatingRefreshGrant",
    "S256Challenge",
    "secret_hash",
]

CODE_LIFETIME = timedelta(seconds=60)
ID_TOKEN_LIFETIME = timedelta(minutes=10)
REFRESH_TOKEN_LIFETIME = timedelta(days=30)


def secret_hash(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


class ReasonedInvalidGrant(InvalidGrantError):
    """``invalid_grant`` with the ``reason`` the panel shows the editor."""

    def __init__(self, description: str, reason: str) -> None:
        super().__init__(description=description)
        self.reason = reason

    def get_body(self) -> list[tuple[str, str]]:
        return [*super().get_body(), ("reason", self.reason)]


def _server(grant: Any) -> QuicktureAuthorizationServer:
    return grant.server


def _active_user(s: Session, user_id: str) -> users.UserInfo:
    user = users.get_user(s, user_id)
    if user is None:
        raise ReasonedInvalidGrant(
            "the account no longer exists: ask IT to re-assign you to Quickture in Okta",
            "not_provisioned",
        )
    if not user.active:
        raise ReasonedInvalidGrant(
            "the account was deactivated: ask IT to assign you to Quickture in Okta",
            "deactivated",
        )
    return user


def revoke_family(s: Session, family_ids: sa.ColumnElement[bool]) -> None:
    s.execute(
        sa.update(RefreshToken)
        .where(family_ids, RefreshToken.revoked_at.is_(None))
        .values(revoked_at=utcnow())
        .execution_options(synchronize_session=False)
    )


class S256Challenge(CodeChallenge):
    DEFAULT_CODE_CHALLENGE_METHOD = "S256"
    SUPPORTED_CODE_CHALLENGE_METHOD = ["S256"]
    CODE_CHALLENGE_METHODS = {"S256": compare_s256_code_challenge}

    def validate_code_challenge(self, grant: Any, redirect_uri: str) -> None:
        data = grant.request.payload.data
        if not data.get("code_challenge"):
            raise InvalidRequestError(
                "PKCE is required: send code_challenge with code_challenge_method=S256"
            )
        if data.get("code_challenge_method") != "S256":
            raise InvalidRequestError("Only code_challenge_method=S256 is supported")
        super().validate_code_challenge(grant, redirect_uri)


class CodeGrant(grants.AuthorizationCodeGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = ["none"]

    def save_authorization_code(self, code: str, request: Any) -> None:
        who: AuthorizingUser = request.user
        client: ClientView = request.client
        data = request.payload.data
        now = utcnow()
        _server(self).db.add(
            OAuthCode(
                code_hash=secret_hash(code),
                client_id=client.client_id,
                user_id=who.user.id,
                redirect_uri=request.payload.redirect_uri,
                scope=request.scope or "",
                nonce=data.get("nonce") or None,
                code_challenge=data["code_challenge"],
                code_challenge_method=data.get("code_challenge_method", "S256"),
                auth_time=who.auth_time,
                created_at=now,
                expires_at=now + CODE_LIFETIME,
            )
        )

    def query_authorization_code(self, code: str, client: ClientView) -> CodeView | None:
        s = _server(self).db
        digest = secret_hash(code)
        row = s.get(OAuthCode, digest)
        if row is None or row.client_id != client.client_id:
            return None
        now = utcnow()
        claimed = s.execute(
            sa.update(OAuthCode)
            .where(OAuthCode.code_hash == digest, OAuthCode.used_at.is_(None))
            .values(used_at=now)
            .execution_options(synchronize_session=False)
        )
        if claimed.rowcount != 1:  # type: ignore[attr-defined]
            revoke_family(s, RefreshToken.code_hash == digest)
            raise ReasonedInvalidGrant(
                "the authorization code was already used; tokens issued from it are revoked",
                "revoked",
            )
        if row.expires_at <= now:
            raise InvalidGrantError(description="the authorization code has expired")
        return CodeView(
            code_hash=row.code_hash,
            client_id=row.client_id,
            user_id=row.user_id,
            redirect_uri=row.redirect_uri,
            scope=row.scope,
            nonce=row.nonce,
            code_challenge=row.code_challenge,
            code_challenge_method=row.code_challenge_method,
            auth_time=row.auth_time,
        )

    def delete_authorization_code(self, authorization_code: CodeView) -> None:
        """Nothing to do: the code was claimed (``used_at``) when it was looked up."""

    def authenticate_user(self, authorization_code: CodeView) -> GrantUser:
        user = _active_user(_server(self).db, authorization_code.user_id)
        return GrantUser(user=user, family_id=new_id(), code_hash=authorization_code.code_hash)


class RotatingRefreshGrant(grants.RefreshTokenGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = ["none"]
    INCLUDE_NEW_REFRESH_TOKEN = True

    def authenticate_refresh_token(self, refresh_token: str) -> RefreshView | None:
        s = _server(self).db
        row = s.scalar(
            sa.select(RefreshToken).where(RefreshToken.token_hash == secret_hash(refresh_token))
        )
        if row is None:
            return None
        _active_user(s, row.user_id)
        now = utcnow()
        if row.revoked_at is not None:
            raise ReasonedInvalidGrant("the refresh token was revoked: sign in again", "revoked")
        claimed = s.execute(
            sa.update(RefreshToken)
            .where(
                RefreshToken.id == row.id,
                RefreshToken.rotated_at.is_(None),
                RefreshToken.revoked_at.is_(None),
            )
            .values(rotated_at=now)
            .execution_options(synchronize_session=False)
        )
        if claimed.rowcount != 1:  # type: ignore[attr-defined]
            # A rotated token came back: someone holds a copy. End the whole family.
            revoke_family(s, RefreshToken.family_id == row.family_id)
            raise ReasonedInvalidGrant(
                "the refresh token was already used; this sign-in is revoked", "revoked"
            )
        if row.expires_at <= now:
            raise InvalidGrantError(description="the refresh token has expired: sign in again")
        return RefreshView(
            id=row.id,
            family_id=row.family_id,
            code_hash=row.code_hash,
            client_id=row.client_id,
            user_id=row.user_id,
            scope=row.scope,
            expires_at=row.expires_at,
        )

    def authenticate_user(self, refresh_token: RefreshView) -> GrantUser:
        user = _active_user(_server(self).db, refresh_token.user_id)
        return GrantUser(
            user=user, family_id=refresh_token.family_id, code_hash=refresh_token.code_hash
        )

    def revoke_old_credential(self, refresh_token: RefreshView) -> None:
        """Nothing to do: the token was marked rotated when it was looked up."""


def user_claims(user: users.UserInfo, scope: str) -> UserInfo:
    claims = UserInfo(
        sub=user.id,
        name=user.name,
        given_name=user.given_name,
        family_name=user.family_name,
        preferred_username=user.user_name,
        email=user.email or user.user_name,
        locale=user.locale,
    )
    out = claims.filter(scope)
    out["sub"] = user.id
    return UserInfo({k: v for k, v in out.items() if v is not None})


class IdTokenExtension(OpenIDCode):
    def __init__(self, server: QuicktureAuthorizationServer) -> None:
        super().__init__(require_nonce=False)
        self._server = server

    def exists_nonce(self, nonce: str, request: Any) -> bool:
        found = self._server.db.scalar(
            sa.select(OAuthCode.code_hash)
            .where(OAuthCode.client_id == request.payload.client_id, OAuthCode.nonce == nonce)
            .limit(1)
        )
        return found is not None

    def resolve_client_private_key(self, client: ClientView) -> Any:
        return self._server.signing_key().private

    def get_client_algorithm(self, client: ClientView) -> str:
        return self._server.signing_key().alg

    def get_encode_header(self, client: ClientView) -> dict[str, str]:
        key = self._server.signing_key()
        return {"alg": key.alg, "kid": key.kid}

    def get_client_claims(self, client: ClientView) -> dict[str, Any]:
        now = int(time.time())
        return {
            "iss": self._server.issuer,
            "aud": [client.client_id],
            "iat": now,
            "exp": now + int(ID_TOKEN_LIFETIME.total_seconds()),
        }

    def generate_user_info(self, user: GrantUser, scope: str) -> UserInfo:
        claims = user_claims(user.user, scope)
        claims["org"] = user.user.org_id
        return claims
