"""Organizations, their domains, connections to an identity provider, SCIM tokens, local admins,
the audit log, the SCIM request log, login rate limits and integration releases."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from backend.store.models.base import Base, new_id, utcnow

MAX_LIVE_SCIM_TOKENS = 2


class Organization(Base):
    __tablename__ = "organizations"

    id: Mapped[str] = mapped_column(sa.String(32), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(sa.String(200))
    license_active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class OrgDomain(Base):
    """An email domain (lower-case IDNA); a domain belongs to at most one organization."""

    __tablename__ = "org_domains"

    domain: Mapped[str] = mapped_column(sa.String(253), primary_key=True)
    org_id: Mapped[str] = mapped_column(
        sa.ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Connection(Base):
    """An organization's identity provider (Okta). ``id`` is the public Connection ID."""

    __tablename__ = "connections"
    __table_args__ = (
        sa.CheckConstraint(
            f"live_tokens >= 0 AND live_tokens <= {MAX_LIVE_SCIM_TOKENS}", name="live_tokens"
        ),
    )

    id: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    org_id: Mapped[str] = mapped_column(
        sa.ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    provider: Mapped[str] = mapped_column(sa.String(20), default="okta")
    issuer: Mapped[str] = mapped_column(sa.String(500))
    client_id: Mapped[str] = mapped_column(sa.String(200))
    client_secret_enc: Mapped[str | None] = mapped_column(sa.Text)
    # 'oidc' (OIDC details being entered), 'scim' (token made, waiting for Okta),
    # 'assign' (Okta has called us), 'complete' (the admin clicked Complete Setup).
    setup_state: Mapped[str] = mapped_column(sa.String(20), default="oidc")
    # How many SCIM tokens are live: the two-token limit is an UPDATE ... WHERE live_tokens < 2,
    # atomic on both SQLite and PostgreSQL, and the CHECK above backs it.
    live_tokens: Mapped[int] = mapped_column(default=0)
    first_scim_request_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class ScimToken(Base):
    """A SCIM bearer token, kept only as a SHA-256 hash (the token has 256 random bits)."""

    __tablename__ = "scim_tokens"

    id: Mapped[str] = mapped_column(sa.String(32), primary_key=True, default=new_id)
    connection_id: Mapped[str] = mapped_column(
        sa.ForeignKey("connections.id", ondelete="CASCADE"), index=True
    )
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    display_prefix: Mapped[str] = mapped_column(sa.String(32))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str] = mapped_column(sa.String(320), default="")
    last_used_at: Mapped[datetime | None]
    last_used_by: Mapped[str | None] = mapped_column(sa.String(300))


class Admin(Base):
    """A local Dashboard administrator (argon2 password hash) of one organization."""

    __tablename__ = "admins"

    id: Mapped[str] = mapped_column(sa.String(32), primary_key=True, default=new_id)
    org_id: Mapped[str] = mapped_column(
        sa.ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    email: Mapped[str] = mapped_column(sa.String(320), unique=True)
    password_hash: Mapped[str] = mapped_column(sa.String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[datetime | None]


class AuditEntry(Base):
    """Who did what to which target, and when. Never holds a secret."""

    __tablename__ = "audit_log"
    __table_args__ = (sa.Index("ix_audit_log_org_at", "org_id", "id"),)

    id: Mapped[int] = mapped_column(
        sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    at: Mapped[datetime] = mapped_column(default=utcnow)
    org_id: Mapped[str | None] = mapped_column(sa.String(32))
    actor: Mapped[str] = mapped_column(sa.String(320))
    action: Mapped[str] = mapped_column(sa.String(64))
    target_type: Mapped[str] = mapped_column(sa.String(32))
    target_id: Mapped[str] = mapped_column(sa.String(64))
    detail: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)


class ScimRequest(Base):
    """The most recent SCIM requests per connection, for the Dashboard's health page."""

    __tablename__ = "scim_requests"
    __table_args__ = (sa.Index("ix_scim_requests_conn_id", "connection_id", "id"),)

    id: Mapped[int] = mapped_column(
        sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    connection_id: Mapped[str] = mapped_column(sa.ForeignKey("connections.id", ondelete="CASCADE"))
    token_prefix: Mapped[str] = mapped_column(sa.String(32))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    method: Mapped[str] = mapped_column(sa.String(10))
    path: Mapped[str] = mapped_column(sa.String(300))
    status: Mapped[int]
    user_agent: Mapped[str] = mapped_column(sa.String(300), default="")


class RateLimit(Base):
    """A fixed-window counter shared by every backend process (login and password forms)."""

    __tablename__ = "rate_limits"

    key: Mapped[str] = mapped_column(sa.String(200), primary_key=True)
    window_start: Mapped[datetime]
    count: Mapped[int] = mapped_column(default=0)


class Release(Base):
    """A published Avid or Premiere integration file, stored under the data directory."""

    __tablename__ = "releases"
    __table_args__ = (sa.UniqueConstraint("product", "platform", "version"),)

    id: Mapped[str] = mapped_column(sa.String(32), primary_key=True, default=new_id)
    product: Mapped[str] = mapped_column(sa.String(20))  # 'avid' | 'premiere'
    platform: Mapped[str] = mapped_column(sa.String(20))  # 'macos' | 'windows'
    version: Mapped[str] = mapped_column(sa.String(50))
    filename: Mapped[str] = mapped_column(sa.String(255))
    stored_path: Mapped[str] = mapped_column(sa.String(500))
    size: Mapped[int] = mapped_column(sa.BigInteger)
    sha256: Mapped[str] = mapped_column(sa.String(64))
    notes: Mapped[str] = mapped_column(sa.Text, default="")
    published_at: Mapped[datetime] = mapped_column(default=utcnow)
