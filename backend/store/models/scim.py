"""SCIM-provisioned users and groups, each scoped to the connection whose token created them.

Paging runs on keysets, not OFFSET: each user and group gets ``seq``, the next number of its
connection's counter (``scim_counters``), which also keeps the live user and group counts so a
page never needs a full COUNT.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from backend.store.models.base import Base, new_id, utcnow


class ScimUser(Base):
    """A user that the organization's identity provider provisioned over SCIM.

    ``user_name_norm`` and ``email_norm`` are lower-cased copies for case-insensitive lookups and
    the per-connection uniqueness of ``userName``. ``emails`` keeps the list as sent (minus
    anything we do not store); ``email`` is its primary (or first) value.
    """

    __tablename__ = "scim_users"
    __table_args__ = (
        sa.UniqueConstraint("connection_id", "user_name_norm"),
        sa.Index("ix_scim_users_conn_email", "connection_id", "email_norm"),
        sa.Index("ix_scim_users_conn_external", "connection_id", "external_id"),
        sa.UniqueConstraint("connection_id", "seq"),
    )

    id: Mapped[str] = mapped_column(sa.String(32), primary_key=True, default=new_id)
    connection_id: Mapped[str] = mapped_column(sa.ForeignKey("connections.id", ondelete="CASCADE"))
    org_id: Mapped[str] = mapped_column(
        sa.ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    seq: Mapped[int] = mapped_column(sa.BigInteger)
    user_name: Mapped[str] = mapped_column(sa.String(320))
    user_name_norm: Mapped[str] = mapped_column(sa.String(320))
    external_id: Mapped[str | None] = mapped_column(sa.String(255))
    given_name: Mapped[str | None] = mapped_column(sa.String(200))
    family_name: Mapped[str | None] = mapped_column(sa.String(200))
    formatted_name: Mapped[str | None] = mapped_column(sa.String(400))
    display_name: Mapped[str | None] = mapped_column(sa.String(400))
    locale: Mapped[str | None] = mapped_column(sa.String(50))
    email: Mapped[str | None] = mapped_column(sa.String(320))
    email_norm: Mapped[str | None] = mapped_column(sa.String(320))
    email_type: Mapped[str | None] = mapped_column(sa.String(50))
    emails: Mapped[list[dict[str, Any]]] = mapped_column(sa.JSON, default=list)
    active: Mapped[bool] = mapped_column(default=True)
    organization: Mapped[str | None] = mapped_column(sa.String(200))
    department: Mapped[str | None] = mapped_column(sa.String(200))
    password_hash: Mapped[str | None] = mapped_column(sa.String(200))
    version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_modified: Mapped[datetime] = mapped_column(default=utcnow)
    deactivated_at: Mapped[datetime | None]
    last_sign_in_at: Mapped[datetime | None]


class ScimGroup(Base):
    __tablename__ = "scim_groups"
    __table_args__ = (
        sa.UniqueConstraint("connection_id", "display_name_norm"),
        sa.UniqueConstraint("connection_id", "seq"),
    )

    id: Mapped[str] = mapped_column(sa.String(32), primary_key=True, default=new_id)
    connection_id: Mapped[str] = mapped_column(
        sa.ForeignKey("connections.id", ondelete="CASCADE"), index=True
    )
    seq: Mapped[int] = mapped_column(sa.BigInteger)
    display_name: Mapped[str] = mapped_column(sa.String(400))
    display_name_norm: Mapped[str] = mapped_column(sa.String(400))
    external_id: Mapped[str | None] = mapped_column(sa.String(255))
    version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_modified: Mapped[datetime] = mapped_column(default=utcnow)


class ScimGroupMember(Base):
    __tablename__ = "scim_group_members"

    group_id: Mapped[str] = mapped_column(
        sa.ForeignKey("scim_groups.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[str] = mapped_column(
        sa.ForeignKey("scim_users.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class ScimCounter(Base):
    """Per connection: how many users and groups it has, and the last ``seq`` handed out.

    Bumped in the same transaction as the insert or delete it counts.
    """

    __tablename__ = "scim_counters"

    connection_id: Mapped[str] = mapped_column(
        sa.ForeignKey("connections.id", ondelete="CASCADE"), primary_key=True
    )
    users: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    groups: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    user_seq: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    group_seq: Mapped[int] = mapped_column(sa.BigInteger, default=0)
