"""SCIM bearer tokens: made here, shown once, kept only as a hash.

A token is ``qtscim_`` and 43 URL-safe characters (256 random bits); the prefix lets secret
scanners recognise a leaked one. At most two are live per connection so an admin can rotate
without downtime: the limit is one conditional UPDATE of the connection's counter, which both
SQLite and PostgreSQL apply atomically, so two concurrent requests cannot make a third.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections import namedtuple
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from backend.domain import audit
from backend.domain.errors import LimitReached, NotFound
from backend.store.compiled import Query, Tx, batch_memo
from backend.store.models import Connection, ScimToken
from backend.store.models.base import utcnow
from backend.store.models.core import MAX_LIVE_SCIM_TOKENS

__all__ = [
    "MAX_LIVE_SCIM_TOKENS",
    "TOKEN_PREFIX",
    "NewScimToken",
    "AuthenticatedLookup",
    "ScimAuth",
    "ScimTokenInfo",
    "authenticate",
    "create_token",
    "delete_token",
    "hash_token",
    "list_tokens",
    "touch",
]

TOKEN_PREFIX = "qtscim_"
DISPLAY_CHARS = 6
LAST_USED_RESOLUTION = timedelta(minutes=1)


@dataclass(frozen=True, slots=True)
class ScimTokenInfo:
    id: str
    connection_id: str
    display_prefix: str
    created_at: datetime
    created_by: str
    last_used_at: datetime | None
    last_used_by: str | None


@dataclass(frozen=True, slots=True)
class NewScimToken:
    info: ScimTokenInfo
    token: str  # the only time the secret exists outside the admin's clipboard


@dataclass(frozen=True, slots=True)
class ScimAuth:
    """Who a SCIM request is: the token's connection and organization."""

    token_id: str
    display_prefix: str
    connection_id: str
    org_id: str
    last_used_at: datetime | None


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(session: Session, connection_id: str, *, actor: str,
                 org_id: str | None = None) -> NewScimToken:  # fmt: skip
    conn = session.get(Connection, connection_id)
    if conn is None or (org_id is not None and conn.org_id != org_id):
        raise NotFound(f"no connection with Connection ID {connection_id!r}")
    claimed = session.execute(
        sa.update(Connection)
        .where(Connection.id == connection_id, Connection.live_tokens < MAX_LIVE_SCIM_TOKENS)
        .values(live_tokens=Connection.live_tokens + 1)
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        raise LimitReached(
            f"this connection already has {MAX_LIVE_SCIM_TOKENS} SCIM tokens: "
            "delete one of them first, then generate a new one"
        )
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = ScimToken(
        connection_id=connection_id,
        token_hash=hash_token(token),
        display_prefix=token[: len(TOKEN_PREFIX) + DISPLAY_CHARS],
        created_by=actor,
    )
    session.add(row)
    session.flush()
    session.expire(conn, ["live_tokens"])
    audit.record(
        session, actor=actor, action="scim_token.create", target_type="scim_token",
        target_id=row.id, org_id=conn.org_id, connection_id=connection_id,
        display_prefix=row.display_prefix,
    )  # fmt: skip
    return NewScimToken(info=_info(row), token=token)


def delete_token(session: Session, token_id: str, *, actor: str,
                 org_id: str | None = None) -> ScimTokenInfo:  # fmt: skip
    row = session.get(ScimToken, token_id)
    conn = session.get(Connection, row.connection_id) if row is not None else None
    if row is None or conn is None or (org_id is not None and conn.org_id != org_id):
        raise NotFound(
            f"no SCIM token with id {token_id!r} (see `quickture-backend scim-token list`)"
        )
    info = _info(row)
    session.delete(row)
    session.execute(
        sa.update(Connection)
        .where(Connection.id == row.connection_id)
        .values(live_tokens=Connection.live_tokens - 1)
        .execution_options(synchronize_session=False)
    )
    session.expire(conn, ["live_tokens"])
    audit.record(
        session, actor=actor, action="scim_token.delete", target_type="scim_token",
        target_id=token_id, org_id=conn.org_id, connection_id=conn.id,
        display_prefix=info.display_prefix,
    )  # fmt: skip
    return info


def list_tokens(session: Session, connection_id: str) -> list[ScimTokenInfo]:
    rows = session.scalars(
        sa.select(ScimToken)
        .where(ScimToken.connection_id == connection_id)
        .order_by(ScimToken.created_at)
    )
    return [_info(r) for r in rows]


# Precompiled: every SCIM request runs it, and SQLAlchemy's execution layer would cost more
# than the rest of a SCIM read.
_AUTH_COLUMNS = (ScimToken.id, ScimToken.token_hash, ScimToken.display_prefix,
                 ScimToken.connection_id, ScimToken.last_used_at, Connection.org_id)  # fmt: skip
_TOKENS = ScimToken.__table__.join(Connection.__table__, Connection.id == ScimToken.connection_id)
_BY_DIGEST = ScimToken.token_hash == sa.bindparam("digest")
_LOOKUP = Query(sa.select(*_AUTH_COLUMNS).select_from(_TOKENS).where(_BY_DIGEST))


def _plausible(token: str) -> bool:
    return token.startswith(TOKEN_PREFIX) and len(token) <= 200


def _auth(row: Sequence[Any], digest: str) -> ScimAuth | None:
    """The token's columns (in ``_AUTH_COLUMNS`` order) as who the request is, if they match."""
    token_id, token_hash, display_prefix, connection_id, last_used_at, org_id = row[:6]
    if not hmac.compare_digest(token_hash, digest):
        return None
    return ScimAuth(
        token_id=token_id,
        display_prefix=display_prefix,
        connection_id=connection_id,
        org_id=org_id,
        last_used_at=last_used_at,
    )


def authenticate(tx: Tx, token: str) -> ScimAuth | None:
    """The connection a bearer token speaks for, or None (unknown or deleted token).

    Inside a group-commit batch the verdict is read once per token: no token or connection
    can be deleted while the batch holds the write lock (``compiled.batch_memo``)."""
    if not _plausible(token):
        return None
    digest = hash_token(token)
    memo = batch_memo(tx)
    key = ("scim_token", digest)
    if memo is not None and key in memo:
        return memo[key]
    row = _LOOKUP.first(tx, digest=digest)
    auth = None if row is None else _auth(row, digest)
    if memo is not None:
        memo[key] = auth
    return auth


class AuthenticatedLookup:
    """The token check and a look-up of at most one row of the token's connection, in one
    statement: Okta's hottest requests (a user by id, by ``userName``, an update of one user)
    are then one SQLite call instead of two. ``match`` is the row's condition besides the
    connection (with its ``bindparam``s).

    For a read the row comes from a LEFT JOIN, so a valid token without the row is
    ``(auth, None)`` and an invalid one ``(None, None)``. With ``lock`` (before an update) the
    row is locked (``FOR UPDATE OF`` it on PostgreSQL, which refuses that on an outer join's
    nullable side): an inner join, and when it finds nothing, ``authenticate`` tells the two
    answers apart. ``as_text``: as ``Query``'s, for the row's columns."""

    def __init__(self, table: sa.FromClause, columns: Sequence[Any], match: Any, *,
                 lock: bool = False, as_text: frozenset[str] = frozenset()) -> None:  # fmt: skip
        on = sa.and_(table.c.connection_id == ScimToken.connection_id, match)
        joined = _TOKENS.join(table, on) if lock else _TOKENS.outerjoin(table, on)
        stmt = (
            sa.select(*(c.label(f"auth_{c.key}") for c in _AUTH_COLUMNS), *columns)
            .select_from(joined)
            .where(_BY_DIGEST)
        )
        self._query = Query(stmt.with_for_update(of=table) if lock else stmt, as_text=as_text)
        self._lock = lock
        self.row_type: Any = namedtuple("Row", [c.key for c in columns])  # type: ignore[misc]

    def first(self, tx: Tx, token: str, **params: Any) -> tuple[ScimAuth | None, Any]:
        if not _plausible(token):
            return None, None
        digest = hash_token(token)
        rows = self._query.values(tx, digest=digest, **params)
        if not rows:
            # No such token; with the lock's inner join, perhaps only no such row.
            return (authenticate(tx, token) if self._lock else None), None
        row = rows[0]
        auth = _auth(row, digest)
        if auth is None:
            return None, None
        width = len(_AUTH_COLUMNS)
        return auth, None if row[width] is None else self.row_type(*row[width:])


def touch(tx: Tx, auth: ScimAuth, user_agent: str) -> bool:
    """Record the token's use at most once a minute; True when it wrote."""
    now = utcnow()
    if auth.last_used_at is not None and now - auth.last_used_at < LAST_USED_RESOLUTION:
        return False
    tx.execute(
        sa.update(ScimToken)
        .where(ScimToken.id == auth.token_id)
        .values(last_used_at=now, last_used_by=user_agent[:300])
    )
    tx.execute(
        sa.update(Connection)
        .where(Connection.id == auth.connection_id, Connection.first_scim_request_at.is_(None))
        .values(first_scim_request_at=now)
    )
    return True


def _info(row: ScimToken) -> ScimTokenInfo:
    return ScimTokenInfo(
        id=row.id,
        connection_id=row.connection_id,
        display_prefix=row.display_prefix,
        created_at=row.created_at,
        created_by=row.created_by,
        last_used_at=row.last_used_at,
        last_used_by=row.last_used_by,
    )
