"""The ``/Users`` operations over the database, each scoped to the token's connection.

Reads use SQLAlchemy Core selects (no ORM identity map on the hot path). Writes take the row
with ``SELECT ... FOR UPDATE`` (PostgreSQL; SQLite's write transactions are already exclusive),
so concurrent PATCHes never lose an update. ``active: false``, by PATCH or PUT, goes through
``backend.domain.users.deactivate_user``, which ends the user's sessions and refresh tokens in
the same transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from scim2_models.path import CompareOperator, Comparison, FilterNode

from backend.domain import audit
from backend.domain import users as user_service
from backend.domain.scim_tokens import AuthenticatedLookup, ScimAuth
from backend.scim import counters, paging
from backend.scim.errors import PreconditionFailed, Uniqueness
from backend.scim.filter import USER_FIELDS, to_sql
from backend.scim.patch import apply, sets_only
from backend.scim.quirks import PatchOperation, canonical_resource
from backend.scim.resources import (
    USER_COLUMNS,
    active_of,
    etag,
    norm,
    user_columns,
    user_document,
)
from backend.scim.schema import CORE_USER, ENTERPRISE_USER_ATTRS, USER_ATTRS
from backend.store.compiled import Query, Statement, Tx, connection_of
from backend.store.models import ScimUser
from backend.store.models.base import new_id, utcnow

__all__ = [
    "Page",
    "create",
    "delete",
    "get_authenticated",
    "list_page",
    "lookup_authenticated",
    "lookup_value",
    "patch",
    "replace",
]

ROW = sa.select(
    ScimUser.id,
    ScimUser.seq,
    ScimUser.version,
    ScimUser.user_name,
    ScimUser.external_id,
    ScimUser.given_name,
    ScimUser.family_name,
    ScimUser.formatted_name,
    ScimUser.display_name,
    ScimUser.locale,
    ScimUser.emails,
    ScimUser.active,
    ScimUser.organization,
    ScimUser.department,
    ScimUser.created_at,
    ScimUser.last_modified,
)


@dataclass(frozen=True, slots=True)
class Page:
    rows: Sequence[Any]
    total: int


# The row's times are only rendered (meta.created, meta.lastModified): read as stored.
_RENDERED = frozenset({"created_at", "last_modified"})
_BY_USER_NAME = Query(
    ROW.where(
        ScimUser.connection_id == sa.bindparam("c"), ScimUser.user_name_norm == sa.bindparam("u")
    ),
    as_text=_RENDERED,
)
_PAGE = Query(
    ROW.where(ScimUser.connection_id == sa.bindparam("c"), ScimUser.seq > sa.bindparam("after"))
    .order_by(ScimUser.seq)
    .limit(sa.bindparam("lim")),
    as_text=_RENDERED,
)


# The same two look-ups with the bearer token's check in the same statement.
_COLUMNS = list(ROW.selected_columns)
_BY_ID = ScimUser.id == sa.bindparam("id")
_AUTH_GET = AuthenticatedLookup(ScimUser.__table__, _COLUMNS, _BY_ID, as_text=_RENDERED)
_AUTH_BY_USER_NAME = AuthenticatedLookup(
    ScimUser.__table__, _COLUMNS, ScimUser.user_name_norm == sa.bindparam("u"), as_text=_RENDERED
)
_AUTH_LOCK = AuthenticatedLookup(ScimUser.__table__, _COLUMNS, _BY_ID, lock=True, as_text=_RENDERED)


def get_authenticated(tx: Tx, token: str, user_id: str) -> tuple[ScimAuth | None, Any]:
    """``(auth, row)`` for a valid token (row None: no such user in its connection), else
    ``(None, None)``; one statement."""
    return _AUTH_GET.first(tx, token, id=user_id)


def lock_authenticated(tx: Tx, token: str, user_id: str) -> tuple[ScimAuth | None, Any]:
    """``get_authenticated`` before an update (or delete) of the row: the row locked for the
    rest of the transaction."""
    return _AUTH_LOCK.first(tx, token, id=user_id)


def lookup_authenticated(tx: Tx, token: str, user_name: str, *, start_index: int,
                         count: int) -> tuple[ScimAuth | None, Page]:  # fmt: skip
    """``userName eq "..."`` as a page, with the token's check, in one statement."""
    auth, row = _AUTH_BY_USER_NAME.first(tx, token, u=norm(user_name))
    return auth, _lookup_page([] if row is None else [row], start_index, count)


def _lookup_page(found: list[Any], start_index: int, count: int) -> Page:
    """A ``userName eq`` result (at most one user) as the page ``start_index``/``count`` ask."""
    return Page(rows=found[:count] if start_index == 1 else [], total=len(found))


def _check_version(row: Any, if_match: str | None) -> None:
    if if_match is None or if_match.strip() == "*":
        return
    wanted = {t.strip() for t in if_match.split(",")}
    if etag(row.version) not in wanted and f'"{row.version}"' not in wanted:
        raise PreconditionFailed(
            f"the user changed since that version: it is now at {etag(row.version)}"
        )


_WRITABLE = (*USER_COLUMNS, "version", "last_modified")
_INSERT = Statement(
    sa.insert(ScimUser).values(
        {
            c: sa.bindparam(c, type_=ScimUser.__table__.c[c].type)
            for c in (
                "id",
                "connection_id",
                "org_id",
                "seq",
                "created_at",
                "deactivated_at",
                *_WRITABLE,
            )
        }
    )
)
# Columns computed from another, not in the row a request reads: set with their source.
_DERIVED = {"user_name": ("user_name_norm",), "emails": ("email", "email_norm", "email_type")}


def _with_derived(changed: list[str]) -> tuple[str, ...]:
    return tuple(sorted({*changed, *(d for c in changed for d in _DERIVED.get(c, ()))}))


_UPDATES: dict[tuple[str, ...], tuple[Statement, tuple[str, ...]]] = {}
_UPDATE_SHAPES = 256  # distinct sets of changed columns kept compiled; past that, all columns


def _update(changed: tuple[str, ...]) -> tuple[Statement, tuple[str, ...]]:
    """An UPDATE of just the columns a request changed (and the version and time), with the
    columns it sets: SQLite then leaves alone every index on the others, and writes fewer
    pages at the commit."""
    found = _UPDATES.get(changed)
    if found is None:
        full = len(_UPDATES) >= _UPDATE_SHAPES
        columns = _WRITABLE if full else (*changed, "version", "last_modified")
        stmt = Statement(
            sa.update(ScimUser)
            .where(ScimUser.id == sa.bindparam("uid"))
            .values({c: sa.bindparam(c, type_=ScimUser.__table__.c[c].type) for c in columns})
        )
        found = (stmt, columns)
        if not full:
            _UPDATES[changed] = found
    return found


def _unique(tx: Tx, stmt: Statement, params: dict[str, Any], user_name: str) -> None:
    """Run the INSERT/UPDATE; a taken userName is the unique index's verdict (no look-up
    before: the index decides anyway, also between two concurrent requests), and the caller's
    transaction or savepoint undoes what the request did before it."""
    try:
        stmt.run(tx, **params)
    except connection_of(tx).dialect.dbapi.IntegrityError as exc:  # type: ignore[union-attr]
        if "user_name_norm" not in str(exc):  # SQLite and PostgreSQL both name the column
            raise
        raise Uniqueness(f"a user with userName {user_name!r} already exists") from None


def create(tx: Tx, auth: ScimAuth, body: Any) -> Any:
    doc = canonical_resource(body, USER_ATTRS, ENTERPRISE_USER_ATTRS)
    cols = user_columns(doc)
    now = utcnow()
    user_id = new_id()
    seq = counters.next_seq(tx, auth.connection_id, "user")
    params = dict(cols, id=user_id, connection_id=auth.connection_id, org_id=auth.org_id, seq=seq,
                  version=1, created_at=now, last_modified=now,
                  deactivated_at=None if cols["active"] else now)  # fmt: skip
    _unique(tx, _INSERT, params, cols["user_name"])
    audit.record(
        tx,
        actor=auth.display_prefix,
        action="user.create",
        target_type="user",
        target_id=user_id,
        org_id=auth.org_id,
        connection_id=auth.connection_id,
        user_name=cols["user_name"],
    )
    return _AUTH_GET.row_type(**{f: params[f] for f in _AUTH_GET.row_type._fields})  # as stored


def replace(tx: Tx, auth: ScimAuth, row: Any, body: Any, if_match: str | None) -> Any:
    """PUT of ``row`` (from ``lock_authenticated``): the user as the request leaves it."""
    _check_version(row, if_match)
    doc = canonical_resource(body, USER_ATTRS, ENTERPRISE_USER_ATTRS)
    doc.setdefault("active", row.active)  # a PUT without "active" does not reactivate
    return _store(tx, auth, row, doc)


def patch(tx: Tx, auth: ScimAuth, row: Any, ops: list[PatchOperation], if_match: str | None) -> Any:
    _check_version(row, if_match)
    if sets_only(ops, USER_ATTRS, ENTERPRISE_USER_ATTRS, "active"):
        # A deactivation (or reactivation): nothing else to rebuild, validate and compare.
        flag = apply({"active": row.active}, ops, USER_ATTRS, ENTERPRISE_USER_ATTRS)
        return _set_active(tx, auth, row, active_of(flag))
    doc = apply(user_document(row), ops, USER_ATTRS, ENTERPRISE_USER_ATTRS)
    return _store(tx, auth, row, doc)


def _store(tx: Tx, auth: ScimAuth, row: Any, doc: dict[str, Any]) -> Any:
    cols = user_columns(doc)
    active = cols.pop("active")
    current = {k: getattr(row, k) for k in cols if hasattr(row, k)}
    changed = sorted(k for k, v in cols.items() if k in current and current[k] != v)
    if changed:
        params = dict(cols, active=row.active, version=row.version + 1, last_modified=utcnow())
        stmt, columns = _update(_with_derived(changed))
        _unique(tx, stmt, {c: params[c] for c in columns} | {"uid": row.id}, cols["user_name"])
        audit.record(
            tx,
            actor=auth.display_prefix,
            action="user.update",
            target_type="user",
            target_id=row.id,
            org_id=auth.org_id,
            connection_id=auth.connection_id,
            changed=[c for c in changed if not c.endswith("_norm")],
        )
        # The row as the UPDATE left it, without reading it back.
        row = row._replace(**{f: params[f] for f in row._fields if f in params and f != "id"})
    return _set_active(tx, auth, row, active)


def _set_active(tx: Tx, auth: ScimAuth, row: Any, active: bool) -> Any:
    """Deactivate or reactivate (access revoked, audited) if ``active`` is a change."""
    if active != row.active:
        change = user_service.reactivate_user if active else user_service.deactivate_user
        now = change(tx, row.id, actor=auth.display_prefix, org_id=auth.org_id)
        row = row._replace(active=now.active, version=now.version,
                           last_modified=now.last_modified)  # fmt: skip
    return row


def delete(tx: Tx, auth: ScimAuth, row: Any, if_match: str | None) -> None:
    _check_version(row, if_match)
    user_service.delete_user(tx, row.id, actor=auth.display_prefix, org_id=auth.org_id)


def list_page(
    tx: Tx,
    auth: ScimAuth,
    cursors: paging.Cursors,
    *,
    node: FilterNode | None,
    filter_text: str,
    start_index: int,
    count: int,
    dialect: str,
) -> Page:
    user_name = lookup_value(node)
    if user_name is not None:  # Okta's lookup before every create: one indexed row
        found = _BY_USER_NAME.all(tx, c=auth.connection_id, u=norm(user_name))
        return _lookup_page(found, start_index, count)
    where = [ScimUser.connection_id == auth.connection_id]
    if node is not None:
        where.append(to_sql(node, USER_FIELDS, dialect=dialect))
    dense = False
    total: int | None = None
    if node is None:
        users, last_seq = counters.users(tx, auth.connection_id)
        total, dense = users, users == last_seq
    if count == 0:
        if total is None:
            total = _count(tx, where)
        return Page(rows=(), total=total)
    key = (auth.connection_id, "user", filter_text, start_index)
    plan = paging.plan(cursors, key, start_index=start_index, dense=dense)
    rows: Sequence[Any]
    if node is None and plan.after is not None:
        rows = _PAGE.all(tx, c=auth.connection_id, after=plan.after, lim=count)
    else:
        q = ROW.where(*where).order_by(ScimUser.seq).limit(count)
        q = q.where(ScimUser.seq > plan.after) if plan.after is not None else q.offset(plan.offset)
        rows = tx.execute(q).all()
    if rows and not dense:
        cursors.put(
            (auth.connection_id, "user", filter_text, start_index + len(rows)), rows[-1].seq
        )
    if total is None:
        total = len(rows) if start_index == 1 and len(rows) < count else _count(tx, where)
    return Page(rows=rows, total=total)


def lookup_value(node: FilterNode | None) -> str | None:
    """The userName of a ``userName eq "..."`` filter (one row through the unique index,
    whatever the tenant's size), else None."""
    if (
        isinstance(node, Comparison)
        and node.op == CompareOperator.eq
        and isinstance(node.value, str)
        and node.attr_path.attr.lower() == "username"
        and node.attr_path.sub_attr is None
        and (node.attr_path.uri is None or node.attr_path.uri.lower() == CORE_USER.lower())
    ):
        return node.value
    return None


def _count(tx: Tx, where: list[Any]) -> int:
    return int(tx.scalar(sa.select(sa.func.count()).select_from(ScimUser).where(*where)) or 0)
