"""Sign-in state: pending logins toward the identity provider, browser sessions, and the
authorization server's clients, codes, refresh tokens and signing keys.

Every secret value (session id, code, refresh token) is stored as its SHA-256 hash.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from backend.store.models.base import Base, new_id, utcnow


class LoginTransaction(Base):
    """A login in flight at the identity provider: ``state`` bound to one connection and issuer.

    Single use (``used_at``) and short-lived, and in the database so the callback may reach
    another backend process than the one that started it.
    """

    __tablename__ = "login_transactions"

    state_hash: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    connection_id: Mapped[str] = mapped_column(
        sa.ForeignKey("connections.id", ondelete="CASCADE"), index=True
    )
    issuer: Mapped[str] = mapped_column(sa.String(500))
    nonce: Mapped[str] = mapped_column(sa.String(128))
    code_verifier: Mapped[str] = mapped_column(sa.String(128))
    email_hint: Mapped[str | None] = mapped_column(sa.String(320))
    return_to: Mapped[str] = mapped_column(sa.String(2000), default="/")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]


class BrowserSession(Base):
    """A signed-in browser: an SSO user (``user_id``) or a local admin (``admin_id``)."""

    __tablename__ = "browser_sessions"

    id_hash: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    org_id: Mapped[str] = mapped_column(
        sa.ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[str | None] = mapped_column(
        sa.ForeignKey("scim_users.id", ondelete="CASCADE"), index=True
    )
    admin_id: Mapped[str | None] = mapped_column(
        sa.ForeignKey("admins.id", ondelete="CASCADE"), index=True
    )
    csrf_token: Mapped[str] = mapped_column(sa.String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]


class OAuthClient(Base):
    """A client of our authorization server. ``quickture-panel`` is public and loopback."""

    __tablename__ = "oauth_clients"

    client_id: Mapped[str] = mapped_column(sa.String(100), primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    is_public: Mapped[bool] = mapped_column(default=True)
    loopback_redirect: Mapped[bool] = mapped_column(default=False)
    redirect_uris: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    scope: Mapped[str] = mapped_column(sa.String(500), default="openid profile email")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class OAuthCode(Base):
    __tablename__ = "oauth_codes"

    code_hash: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    client_id: Mapped[str] = mapped_column(sa.ForeignKey("oauth_clients.client_id"))
    user_id: Mapped[str] = mapped_column(
        sa.ForeignKey("scim_users.id", ondelete="CASCADE"), index=True
    )
    redirect_uri: Mapped[str] = mapped_column(sa.String(2000))
    scope: Mapped[str] = mapped_column(sa.String(500))
    nonce: Mapped[str | None] = mapped_column(sa.String(500))
    code_challenge: Mapped[str] = mapped_column(sa.String(128))
    code_challenge_method: Mapped[str] = mapped_column(sa.String(10))
    auth_time: Mapped[datetime] = mapped_column(default=utcnow)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]


class RefreshToken(Base):
    """A refresh token. Rotation makes a chain in one ``family_id``; reuse of a rotated one
    revokes the family. ``code_hash`` links the family to the code it came from."""

    __tablename__ = "refresh_tokens"

    id: Mapped[str] = mapped_column(sa.String(32), primary_key=True, default=new_id)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    family_id: Mapped[str] = mapped_column(sa.String(32), index=True)
    code_hash: Mapped[str | None] = mapped_column(sa.String(64), index=True)
    client_id: Mapped[str] = mapped_column(sa.ForeignKey("oauth_clients.client_id"))
    user_id: Mapped[str] = mapped_column(
        sa.ForeignKey("scim_users.id", ondelete="CASCADE"), index=True
    )
    scope: Mapped[str] = mapped_column(sa.String(500))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    rotated_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]


class SigningKey(Base):
    """A key that signs our ID and access tokens; the private half encrypted at rest."""

    __tablename__ = "signing_keys"

    kid: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    alg: Mapped[str] = mapped_column(sa.String(10), default="RS256")
    private_key_enc: Mapped[str] = mapped_column(sa.Text)
    public_jwk: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Signs new tokens until retired; published until ``retired_at`` + the longest token life.
    retired_at: Mapped[datetime | None]


__all__ = [
    "BrowserSession",
    "LoginTransaction",
    "OAuthClient",
    "OAuthCode",
    "RefreshToken",
    "SigningKey",
    "new_id",
]
