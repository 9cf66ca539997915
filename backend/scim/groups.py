"""The ``/Groups`` operations (Okta "Push Groups", Entra group provisioning).

Membership lives in ``scim_group_members`` and PATCH changes it with set-wise SQL (insert the
new ids, delete the removed ones) without loading the member list, so a group of 100,000 costs
what a group of ten does. Member ids that are not users of the same connection are ignored
(and listed in the audit entry): a token never links another tenant's users.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

import sqlalchemy as sa
from scim2_models.path import CompareOperator, Comparison, FilterNode, LogicalExpr, LogicalOperator

from backend.domain import audit
from backend.domain.scim_tokens import ScimAuth
from backend.scim import counters, paging
from backend.scim.errors import InvalidValue, PreconditionFailed, ResourceNotFound, Uniqueness
from backend.scim.filter import GROUP_FIELDS, to_sql
from backend.scim.patch import apply, matches, resolve_path
from backend.scim.quirks import PatchOperation, canonical_resource
from backend.scim.resources import etag, group_columns, member_ids
from backend.scim.schema import GROUP_ATTRS
from backend.scim.users import Page
from backend.store.compiled import Tx
from backend.store.models import ScimGroup, ScimGroupMember, ScimUser
from backend.store.models.base import new_id, utcnow

__all__ = ["create", "delete", "get", "list_page", "members_of", "patch", "replace"]

ROW = sa.select(
    ScimGroup.id,
    ScimGroup.seq,
    ScimGroup.version,
    ScimGroup.display_name,
    ScimGroup.external_id,
    ScimGroup.created_at,
    ScimGroup.last_modified,
)
MEMBERS = GROUP_ATTRS.attr("members")


def _select_one(tx: Tx, auth: ScimAuth, group_id: str, *, lock: bool = False) -> Any:
    q = ROW.where(ScimGroup.id == group_id, ScimGroup.connection_id == auth.connection_id)
    if lock:
        q = q.with_for_update()
    row = tx.execute(q).first()
    if row is None:
        raise ResourceNotFound(f"no group with id {group_id!r}")
    return row


def get(tx: Tx, auth: ScimAuth, group_id: str) -> Any:
    return _select_one(tx, auth, group_id)


def members_of(
    tx: Tx, group_ids: Sequence[str], location: Callable[[str], str]
) -> dict[str, list[dict[str, Any]]]:
    """``{group id: [{"value", "$ref", "type"}]}`` for the groups of one page."""
    out: dict[str, list[dict[str, Any]]] = {g: [] for g in group_ids}
    if not group_ids:
        return out
    rows = tx.execute(
        sa.select(ScimGroupMember.group_id, ScimGroupMember.user_id)
        .where(ScimGroupMember.group_id.in_(group_ids))
        .order_by(ScimGroupMember.group_id, ScimGroupMember.user_id)
    )
    for gid, uid in rows:
        out[gid].append({"value": uid, "$ref": location(uid), "type": "User"})
    return out


def _check_version(row: Any, if_match: str | None) -> None:
    if if_match is None or if_match.strip() == "*":
        return
    wanted = {t.strip() for t in if_match.split(",")}
    if etag(row.version) not in wanted and f'"{row.version}"' not in wanted:
        raise PreconditionFailed(f"the group changed: it is now at {etag(row.version)}")


def _taken(tx: Tx, auth: ScimAuth, name_norm: str, but: str | None) -> bool:
    found = tx.scalar(
        sa.select(ScimGroup.id).where(
            ScimGroup.connection_id == auth.connection_id,
            ScimGroup.display_name_norm == name_norm,
        )
    )
    return found is not None and found != but


def _own_users(tx: Tx, auth: ScimAuth, ids: Iterable[str]) -> tuple[set[str], list[str]]:
    wanted = list(dict.fromkeys(ids))
    if not wanted:
        return set(), []
    found: set[str] = set()
    for i in range(0, len(wanted), 500):
        chunk = wanted[i : i + 500]
        found.update(
            tx.scalars(
                sa.select(ScimUser.id).where(
                    ScimUser.connection_id == auth.connection_id, ScimUser.id.in_(chunk)
                )
            )
        )
    return found, [w for w in wanted if w not in found]


def _add_members(tx: Tx, group_id: str, user_ids: set[str]) -> int:
    if not user_ids:
        return 0
    existing = set(
        tx.scalars(
            sa.select(ScimGroupMember.user_id).where(
                ScimGroupMember.group_id == group_id, ScimGroupMember.user_id.in_(user_ids)
            )
        )
    )
    new = [{"group_id": group_id, "user_id": u} for u in user_ids - existing]
    if new:
        tx.execute(sa.insert(ScimGroupMember), new)
    return len(new)


def _remove_members(tx: Tx, group_id: str, user_ids: set[str] | None) -> int:
    q = sa.delete(ScimGroupMember).where(ScimGroupMember.group_id == group_id)
    if user_ids is not None:
        if not user_ids:
            return 0
        q = q.where(ScimGroupMember.user_id.in_(user_ids))
    return int(tx.execute(q).rowcount)  # type: ignore[attr-defined]


def create(tx: Tx, auth: ScimAuth, body: Any) -> Any:
    doc = canonical_resource(body, GROUP_ATTRS, None)
    cols = group_columns(doc)
    if _taken(tx, auth, cols["display_name_norm"], None):
        raise Uniqueness(f"a group named {cols['display_name']!r} already exists")
    now = utcnow()
    group_id = new_id()
    seq = counters.next_seq(tx, auth.connection_id, "group")
    try:
        tx.execute(
            sa.insert(ScimGroup).values(
                id=group_id,
                connection_id=auth.connection_id,
                seq=seq,
                version=1,
                created_at=now,
                last_modified=now,
                **cols,
            )
        )
    except sa.exc.IntegrityError:
        raise Uniqueness(f"a group named {cols['display_name']!r} already exists") from None
    found, ignored = _own_users(tx, auth, member_ids(doc.get("members")))
    _add_members(tx, group_id, found)
    audit.record(
        tx,
        actor=auth.display_prefix,
        action="group.create",
        target_type="group",
        target_id=group_id,
        org_id=auth.org_id,
        connection_id=auth.connection_id,
        display_name=cols["display_name"],
        members=len(found),
        ignored_members=ignored[:20],
    )
    return _select_one(tx, auth, group_id)


def replace(tx: Tx, auth: ScimAuth, group_id: str, body: Any, if_match: str | None) -> Any:
    row = _select_one(tx, auth, group_id, lock=True)
    _check_version(row, if_match)
    doc = canonical_resource(body, GROUP_ATTRS, None)
    cols = group_columns(doc)
    found, ignored = _own_users(tx, auth, member_ids(doc.get("members")))
    _remove_members(tx, row.id, None)
    _add_members(tx, row.id, found)
    _update(tx, auth, row, cols, note={"members": len(found), "ignored_members": ignored})
    return _select_one(tx, auth, row.id)


def _update(tx: Tx, auth: ScimAuth, row: Any, cols: dict[str, Any], note: dict[str, Any]) -> None:
    renamed = cols.get("display_name_norm") and cols["display_name"] != row.display_name
    if renamed and _taken(tx, auth, cols["display_name_norm"], row.id):
        raise Uniqueness(f"a group named {cols['display_name']!r} already exists")
    try:
        tx.execute(
            sa.update(ScimGroup)
            .where(ScimGroup.id == row.id)
            .values(**cols, version=row.version + 1, last_modified=utcnow())
        )
    except sa.exc.IntegrityError:
        raise Uniqueness(f"a group named {cols.get('display_name')!r} already exists") from None
    audit.record(
        tx,
        actor=auth.display_prefix,
        action="group.update",
        target_type="group",
        target_id=row.id,
        org_id=auth.org_id,
        connection_id=auth.connection_id,
        **note,
    )


def patch(
    tx: Tx, auth: ScimAuth, group_id: str, ops: list[PatchOperation], if_match: str | None
) -> Any:
    row = _select_one(tx, auth, group_id, lock=True)
    _check_version(row, if_match)
    attr_ops: list[PatchOperation] = []
    added = removed = 0
    ignored: list[str] = []
    for op in ops:
        if op.path is None and isinstance(op.value, dict):
            rest = {}
            for key, value in op.value.items():
                if isinstance(key, str) and key.lower() == "members":
                    a, r, i = _members_op(tx, auth, row.id, op.op, None, value)
                    added, removed, ignored = added + a, removed + r, ignored + i
                else:
                    rest[key] = value
            if rest:
                attr_ops.append(PatchOperation(op=op.op, path=None, value=rest))
            continue
        target = resolve_path(op.path, GROUP_ATTRS, None) if op.path else None
        if target is not None and target.attr is MEMBERS:
            a, r, i = _members_op(tx, auth, row.id, op.op, target.filter, op.value)
            added, removed, ignored = added + a, removed + r, ignored + i
        else:
            attr_ops.append(op)
    cols: dict[str, Any] = {}
    if attr_ops:
        doc = {"displayName": row.display_name}
        if row.external_id is not None:
            doc["externalId"] = row.external_id
        new = group_columns(apply(doc, attr_ops, GROUP_ATTRS, None))
        if new["display_name"] != row.display_name or new["external_id"] != row.external_id:
            cols = new
    if cols or added or removed:
        note: dict[str, Any] = {"members_added": added, "members_removed": removed}
        if ignored:
            note["ignored_members"] = ignored[:20]
        if cols:
            note["changed"] = sorted(k for k in cols if not k.endswith("_norm"))
        _update(tx, auth, row, cols, note)
    return _select_one(tx, auth, row.id)


def _members_op(
    tx: Tx, auth: ScimAuth, group_id: str, op: str, filt: FilterNode | None, value: Any
) -> tuple[int, int, list[str]]:
    """Apply one PATCH op on ``members``; returns (added, removed, ignored ids)."""
    if op == "remove":
        if filt is not None:
            ids = _ids_in_filter(filt)
            if ids is None:  # a filter other than value eq ...: evaluate it on the members
                current = tx.scalars(
                    sa.select(ScimGroupMember.user_id).where(ScimGroupMember.group_id == group_id)
                )
                assert MEMBERS is not None
                ids = {u for u in current if matches(filt, {"value": u}, MEMBERS)}
            return 0, _remove_members(tx, group_id, ids), []
        if value:  # Entra: remove with a list of {"value": id}
            return 0, _remove_members(tx, group_id, set(member_ids(value))), []
        return 0, _remove_members(tx, group_id, None), []
    if filt is not None:
        raise InvalidValue('add or replace members with a list of {"value": id}, not a filter')
    found, ignored = _own_users(tx, auth, member_ids(value))
    removed = _remove_members(tx, group_id, None) if op == "replace" else 0
    return _add_members(tx, group_id, found), removed, ignored


def _ids_in_filter(node: FilterNode) -> set[str] | None:
    """``value eq "a" or value eq "b"`` -> {"a", "b"}; None for any other filter."""
    terms = (
        node.terms if isinstance(node, LogicalExpr) and node.op == LogicalOperator.or_ else (node,)
    )
    ids = set()
    for t in terms:
        if not (
            isinstance(t, Comparison)
            and t.op == CompareOperator.eq
            and t.attr_path.attr.lower() == "value"
            and isinstance(t.value, str)
        ):
            return None
        ids.add(t.value)
    return ids


def delete(tx: Tx, auth: ScimAuth, group_id: str, if_match: str | None) -> None:
    row = _select_one(tx, auth, group_id, lock=True)
    _check_version(row, if_match)
    tx.execute(sa.delete(ScimGroup).where(ScimGroup.id == row.id))
    counters.removed(tx, auth.connection_id, "group")
    audit.record(
        tx,
        actor=auth.display_prefix,
        action="group.delete",
        target_type="group",
        target_id=row.id,
        org_id=auth.org_id,
        connection_id=auth.connection_id,
        display_name=row.display_name,
    )


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
    where = [ScimGroup.connection_id == auth.connection_id]
    if node is not None:
        where.append(to_sql(node, GROUP_FIELDS, dialect=dialect))
    dense = False
    total: int | None = None
    if node is None:
        n, last = counters.groups(tx, auth.connection_id)
        total, dense = n, n == last
    if count == 0:
        return Page(rows=(), total=total if total is not None else _count(tx, where))
    key = (auth.connection_id, "group", filter_text, start_index)
    plan = paging.plan(cursors, key, start_index=start_index, dense=dense)
    q = ROW.where(*where).order_by(ScimGroup.seq).limit(count)
    q = q.where(ScimGroup.seq > plan.after) if plan.after is not None else q.offset(plan.offset)
    rows = tx.execute(q).all()
    if rows and not dense:
        cursors.put(
            (auth.connection_id, "group", filter_text, start_index + len(rows)), rows[-1].seq
        )
    if total is None:
        total = len(rows) if start_index == 1 and len(rows) < count else _count(tx, where)
    return Page(rows=rows, total=total)


def _count(tx: Tx, where: list[Any]) -> int:
    return int(tx.scalar(sa.select(sa.func.count()).select_from(ScimGroup).where(*where)) or 0)
