"""Provisioned users: the one service that SCIM, the sign-in code and the Dashboard share.

Users are created and edited by the identity provider over SCIM (``backend.scim``); this module
holds what more than one caller needs: deactivation (which ends every session and refresh token
of the user in the same transaction), deletion, the sign-in lookup and the Dashboard's list.
Every change is audited with the caller's ``actor`` (a SCIM token's display prefix, an admin's
email, ``cli``).
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from backend.domain import audit
from backend.domain.errors import NotFound
from backend.store.compiled import Query, Statement, Tx
from backend.store.models import BrowserSession, RefreshToken, ScimCounter, ScimUser
from backend.store.models.base import utcnow

__all__ = [
    "UserInfo",
    "UserPage",
    "deactivate_user",
    "delete_user",
    "find_for_login",
    "get_user",
    "list_users",
    "reactivate_user",
    "record_sign_in",
    "revoke_access",
    "user_info",
]

MAX_PAGE = 200


@dataclass(frozen=True, slots=True)
class UserInfo:
    id: str
    connection_id: str
    org_id: str
    user_name: str
    email: str | None
    display_name: str | None
    given_name: str | None
    family_name: str | None
    locale: str | None
    active: bool
    organization: str | None
    department: str | None
    created_at: datetime
    last_modified: datetime
    last_sign_in_at: datetime | None
    deactivated_at: datetime | None
    version: int  # the SCIM ``meta.version``: every change bumps it

    @property
    def name(self) -> str:
        """What to call the user on a page: display name, else given + family, else userName."""
        if self.display_name:
            return self.display_name
        full = " ".join(p for p in (self.given_name, self.family_name) if p)
        return full or self.user_name


@dataclass(frozen=True, slots=True)
class UserPage:
    users: tuple[UserInfo, ...]
    total: int
    offset: int
    limit: int

    @property
    def has_next(self) -> bool:
        return self.offset + len(self.users) < self.total


def user_info(row: Any) -> UserInfo:
    return UserInfo(
        id=row.id,
        connection_id=row.connection_id,
        org_id=row.org_id,
        user_name=row.user_name,
        email=row.email,
        display_name=row.display_name,
        given_name=row.given_name,
        family_name=row.family_name,
        locale=row.locale,
        active=row.active,
        organization=row.organization,
        department=row.department,
        created_at=row.created_at,
        last_modified=row.last_modified,
        last_sign_in_at=row.last_sign_in_at,
        deactivated_at=row.deactivated_at,
        version=row.version,
    )


def get_user(session: Session, user_id: str) -> UserInfo | None:
    row = session.get(ScimUser, user_id)
    return user_info(row) if row is not None else None


def find_for_login(session: Session, connection_id: str, email: str) -> UserInfo | None:
    """The user of ``connection_id`` whose userName or primary email is ``email`` (any case).

    Active or not: the caller decides what a deactivated user sees. A userName match wins over
    an email match.
    """
    norm = email.strip().lower()
    if not norm:
        return None
    row = session.scalar(
        sa.select(ScimUser).where(
            ScimUser.connection_id == connection_id, ScimUser.user_name_norm == norm
        )
    )
    if row is None:
        row = session.scalar(
            sa.select(ScimUser)
            .where(ScimUser.connection_id == connection_id, ScimUser.email_norm == norm)
            .order_by(ScimUser.seq)
            .limit(1)
        )
    return user_info(row) if row is not None else None


def list_users(
    session: Session,
    org_id: str,
    *,
    query: str | None = None,
    connection_id: str | None = None,
    active: bool | None = None,
    offset: int = 0,
    limit: int = 50,
) -> UserPage:
    """The Dashboard's user list, oldest first; ``query`` searches names, userName and email."""
    limit = max(1, min(limit, MAX_PAGE))
    offset = max(0, offset)
    q = sa.select(ScimUser).where(ScimUser.org_id == org_id)
    if connection_id is not None:
        q = q.where(ScimUser.connection_id == connection_id)
    if active is not None:
        q = q.where(ScimUser.active.is_(active))
    if query and query.strip():
        like = "%" + _escape_like(query.strip().lower()) + "%"
        q = q.where(
            sa.or_(
                ScimUser.user_name_norm.like(like, escape="\\"),
                ScimUser.email_norm.like(like, escape="\\"),
                sa.func.lower(ScimUser.display_name).like(like, escape="\\"),
                sa.func.lower(ScimUser.given_name).like(like, escape="\\"),
                sa.func.lower(ScimUser.family_name).like(like, escape="\\"),
            )
        )
    total = session.scalar(sa.select(sa.func.count()).select_from(q.subquery())) or 0
    rows = session.scalars(q.order_by(ScimUser.created_at, ScimUser.id).offset(offset).limit(limit))
    return UserPage(
        users=tuple(user_info(r) for r in rows), total=int(total), offset=offset, limit=limit
    )


def record_sign_in(session: Session, user_id: str) -> None:
    session.execute(
        sa.update(ScimUser).where(ScimUser.id == user_id).values(last_sign_in_at=utcnow())
    )


_NOW = {"type_": ScimUser.last_modified.type}
_REVOKE_TOKENS = Statement(
    sa.update(RefreshToken)
    .where(RefreshToken.user_id == sa.bindparam("uid"), RefreshToken.revoked_at.is_(None))
    .values(revoked_at=sa.bindparam("now", **_NOW))
)
_REVOKE_SESSIONS = Statement(
    sa.update(BrowserSession)
    .where(BrowserSession.user_id == sa.bindparam("uid"), BrowserSession.revoked_at.is_(None))
    .values(revoked_at=sa.bindparam("now", **_NOW))
)
_SET_ACTIVE_UPDATE = (
    sa.update(ScimUser)
    .where(ScimUser.id == sa.bindparam("uid"), ScimUser.active != sa.bindparam("active"))
    .values(active=sa.bindparam("active"), deactivated_at=sa.bindparam("gone", **_NOW),
            version=ScimUser.version + 1, last_modified=sa.bindparam("now", **_NOW))
)  # fmt: skip
# What a UserInfo holds, no more (the row's JSON list, its password hash...).
_INFO = [ScimUser.__table__.c[f.name] for f in fields(UserInfo)]
_SET_ACTIVE = Query(_SET_ACTIVE_UPDATE.returning(*_INFO))
_SET_ACTIVE_IN_ORG = Query(
    _SET_ACTIVE_UPDATE.where(ScimUser.org_id == sa.bindparam("org")).returning(*_INFO)
)
_ROW = Query(sa.select(*_INFO).where(ScimUser.id == sa.bindparam("uid")))


def revoke_access(tx: Tx, user_id: str) -> tuple[int, int]:
    """Revoke every live refresh token and browser session of the user (in the caller's
    transaction); returns how many of each."""
    now = utcnow()
    tokens = _REVOKE_TOKENS.run(tx, uid=user_id, now=now)
    sessions = _REVOKE_SESSIONS.run(tx, uid=user_id, now=now)
    return tokens, sessions


def _set_active(tx: Tx, user_id: str, active: bool, org_id: str | None) -> tuple[Any, bool]:
    """Flip ``active``: the row as it is now, and whether it changed. One ``UPDATE ...
    RETURNING`` when it does (precompiled: SCIM deactivates on its hot path)."""
    now = utcnow()
    params = {"uid": user_id, "active": active, "now": now, "gone": None if active else now}
    if org_id is None:
        row = _SET_ACTIVE.first(tx, **params)
    else:
        row = _SET_ACTIVE_IN_ORG.first(tx, org=org_id, **params)
    if row is not None:
        if isinstance(tx, Session):
            tx.expire_all()  # an ORM copy of the row, if any, is stale now
        return row, True
    row = _ROW.first(tx, uid=user_id)  # already so, or not there (or not in that org)
    if row is None or (org_id is not None and row.org_id != org_id):
        raise NotFound(f"no user with id {user_id!r}")
    return row, False


def deactivate_user(tx: Tx, user_id: str, *, actor: str, org_id: str | None = None) -> UserInfo:
    """``active = false``: keep the user, end its access now (tokens and sessions revoked)."""
    row, _ = _set_active(tx, user_id, False, org_id)
    tokens, sessions = revoke_access(tx, row.id)
    audit.record(
        tx, actor=actor, action="user.deactivate", target_type="user", target_id=row.id,
        org_id=row.org_id, connection_id=row.connection_id, user_name=row.user_name,
        refresh_tokens_revoked=tokens, sessions_revoked=sessions,
    )  # fmt: skip
    return user_info(row)


def reactivate_user(tx: Tx, user_id: str, *, actor: str, org_id: str | None = None) -> UserInfo:
    row, changed = _set_active(tx, user_id, True, org_id)
    if changed:
        audit.record(
            tx, actor=actor, action="user.reactivate", target_type="user",
            target_id=row.id, org_id=row.org_id, connection_id=row.connection_id,
            user_name=row.user_name,
        )  # fmt: skip
    return user_info(row)


def delete_user(tx: Tx, user_id: str, *, actor: str, org_id: str | None = None) -> UserInfo:
    """Remove the user; its sessions, codes, refresh tokens and memberships go by cascade."""
    row = _ROW.first(tx, uid=user_id)
    if row is None or (org_id is not None and row.org_id != org_id):
        raise NotFound(f"no user with id {user_id!r}")
    info = user_info(row)
    if isinstance(tx, Session):
        tx.flush()  # pending ORM changes first; an ORM copy of the row is gone after this
    tx.execute(sa.delete(ScimUser).where(ScimUser.id == row.id))
    tx.execute(
        sa.update(ScimCounter)
        .where(ScimCounter.connection_id == row.connection_id)
        .values(users=ScimCounter.users - 1)
    )
    if isinstance(tx, Session):
        tx.expire_all()
    audit.record(
        tx, actor=actor, action="user.delete", target_type="user", target_id=info.id,
        org_id=info.org_id, connection_id=info.connection_id, user_name=info.user_name,
    )  # fmt: skip
    return info


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
