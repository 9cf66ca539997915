"""PATCH (RFC 7644 §3.5.2) applied to a resource document: a pure function, no database.

``apply(doc, operations, schema, extension)`` returns the edited copy. Paths are parsed by
scim2-models (``attrPath``, ``valuePath[subAttr]``, URN-qualified names). Semantics:

- ``add``: a single value is set; a complex one is merged; a multi-valued one is appended to.
- ``replace``: like ``add`` except that a multi-valued attribute is replaced as a whole; with a
  value filter, the matching values are replaced (or their sub-attribute set).
- ``remove``: needs a path; with a value filter, removes the matching values. Removing what is
  not there succeeds (Okta and Entra retry).
- A value filter that selects nothing, on ``add``/``replace`` with a sub-attribute and a filter
  made of ``eq`` tests (Entra's ``emails[type eq "work"].value``), creates the value the filter
  describes; otherwise it is ``noTarget``.
- Paths to attributes we do not keep are ignored (see ``quirks``); ``id``, ``meta`` and
  ``schemas`` are read-only (``mutability``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from scim2_models import Path
from scim2_models.path import (
    AttrPath,
    CompareOperator,
    Comparison,
    FilterNode,
    LogicalExpr,
    LogicalOperator,
    Not,
    Present,
    ValuePath,
)

from backend.scim.errors import InvalidPath, InvalidValue, MutabilityError, NoTarget
from backend.scim.quirks import PatchOperation, canonical_value
from backend.scim.resources import norm
from backend.scim.schema import Attr, Schema

__all__ = ["Target", "apply", "matches", "resolve_path", "sets_only"]

EXTERNAL_ID = Attr("externalId", case_exact=True)
READ_ONLY = frozenset({"id", "meta", "schemas"})
IGNORED_READ_ONLY = frozenset({"groups"})


@dataclass(frozen=True, slots=True)
class Target:
    """Where a path points: an attribute (of the extension when ``ext``), perhaps one of its
    sub-attributes, perhaps only the values a filter selects. ``attr is None``: the whole
    extension object."""

    ext: str | None
    attr: Attr | None
    sub: Attr | None = None
    filter: FilterNode | None = None


def resolve_path(path: str, schema: Schema, extension: Schema | None) -> Target | None:
    """The target of ``path``, or None for an attribute we do not keep."""
    if extension is not None and path.strip().lower() == extension.id.lower():
        return Target(ext=extension.id, attr=None)
    try:
        node = Path(path).ast
    except Exception:  # the parser's errors: all the client's malformed path
        raise InvalidPath(f"{path!r} is not a valid PATCH path") from None
    if isinstance(node, AttrPath):
        attr_path, filt, sub_name = node, None, node.sub_attr
    elif isinstance(node, ValuePath):
        attr_path, filt, sub_name = node.attr_path, node.val_filter, node.sub_attr
        if attr_path.sub_attr:
            raise InvalidPath(f"{path!r}: a value filter applies to a multi-valued attribute")
    else:
        raise InvalidPath(f"{path!r} is a filter, not a PATCH path")
    ext: str | None = None
    owner = schema
    if attr_path.uri:
        uri = attr_path.uri.lower()
        if extension is not None and uri == extension.id.lower():
            ext, owner = extension.id, extension
        elif uri != schema.id.lower():
            return None  # another extension: not ours to keep
    name = attr_path.attr
    if ext is None and name.lower() in READ_ONLY:
        raise MutabilityError(f"{name} is read-only")
    if ext is None and name.lower() in IGNORED_READ_ONLY:
        return None
    attr = EXTERNAL_ID if ext is None and name.lower() == "externalid" else owner.attr(name)
    if attr is None:
        return None
    if attr.mutability == "readOnly":
        raise MutabilityError(f"{attr.name} is read-only")
    sub: Attr | None = None
    if sub_name:
        sub = attr.child(sub_name)
        if sub is None:
            if attr.type != "complex":
                raise InvalidPath(f"{attr.name} has no sub-attribute {sub_name}")
            return None
    if filt is not None and not attr.multi:
        raise InvalidPath(f"{attr.name} is not multi-valued: it takes no value filter")
    return Target(ext=ext, attr=attr, sub=sub, filter=filt)


def sets_only(operations: Sequence[PatchOperation], schema: Schema, extension: Schema | None,
              name: str) -> bool:  # fmt: skip
    """Whether ``apply`` could change nothing but the core attribute ``name``: every operation
    adds or replaces it alone (Okta's ``{"op": "replace", "value": {"active": false}}``,
    Entra's ``{"op": "Replace", "path": "active", "value": "False"}``), or is one ``apply``
    skips. A path that does not parse is for ``apply`` to refuse."""
    wanted = name.lower()
    for op in operations:
        if op.op == "remove":
            return False
        if op.path is None:
            if not isinstance(op.value, dict):
                return False
            for key in op.value:
                if isinstance(key, str) and key.lower() not in READ_ONLY and key.lower() != wanted:
                    return False
            continue
        target = resolve_path(op.path, schema, extension)
        if target is None:
            continue
        attr = target.attr
        if target.ext or attr is None or attr.name.lower() != wanted or target.sub or target.filter:
            return False
    return True


def _copy(value: Any) -> Any:
    """A copy of a JSON document's containers (its scalars are immutable): ``deepcopy`` without
    the memo and the dispatch, several times cheaper on every PATCH."""
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copy(v) for v in value]
    return value


def apply(
    doc: dict[str, Any],
    operations: Sequence[PatchOperation],
    schema: Schema,
    extension: Schema | None,
) -> dict[str, Any]:
    out = _copy(doc)
    for op in operations:
        if op.path is None:
            if op.op == "remove":
                raise NoTarget("a PATCH remove needs a path")
            if not isinstance(op.value, dict):
                raise InvalidValue(f"a PATCH {op.op} without a path needs an object as value")
            for key, value in op.value.items():
                if not isinstance(key, str) or key.lower() in READ_ONLY:
                    continue  # Okta echoes "id" in no-path replaces; it is not a change
                target = resolve_path(key, schema, extension)
                if target is not None:
                    _set(out, target, op.op, value)
            continue
        target = resolve_path(op.path, schema, extension)
        if target is None:
            continue
        if target.attr is None and op.op != "remove":
            assert extension is not None
            if not isinstance(op.value, dict):
                raise InvalidValue(f"{extension.id} takes an object")
            for key, value in op.value.items():
                attr = extension.attr(key) if isinstance(key, str) else None
                if attr is not None:
                    _set(out, Target(ext=extension.id, attr=attr), op.op, value)
            continue
        if op.op == "remove":
            _remove(out, target, op.value)
        else:
            _set(out, target, op.op, op.value)
    return out


def _container(doc: dict[str, Any], target: Target, *, create: bool) -> dict[str, Any] | None:
    if target.ext is None:
        return doc
    ext = doc.get(target.ext)
    if ext is None and create:
        ext = doc[target.ext] = {}
    return ext if isinstance(ext, dict) else None


def _set(doc: dict[str, Any], target: Target, op: str, value: Any) -> None:
    holder = _container(doc, target, create=True)
    assert holder is not None
    attr = target.attr
    assert attr is not None
    if target.sub is not None and target.filter is None:
        if attr.multi:
            items = holder.get(attr.name) or []
            v = canonical_value(target.sub, value)
            if not items:
                holder[attr.name] = [{target.sub.name: v}]
            for item in items:
                item[target.sub.name] = v
            return
        parent = holder.get(attr.name)
        if not isinstance(parent, dict):
            parent = holder[attr.name] = {}
        parent[target.sub.name] = canonical_value(target.sub, value)
        return
    if target.filter is not None:
        items = holder.get(attr.name) or []
        selected = [item for item in items if matches(target.filter, item, attr)]
        if not selected:
            created = _from_filter(target.filter, attr)
            if created is None:
                raise NoTarget(f"no value of {attr.name} matches the filter")
            items.append(created)
            holder[attr.name] = items
            selected = [created]
        for item in selected:
            if target.sub is not None:
                item[target.sub.name] = canonical_value(target.sub, value)
            else:
                new = canonical_value(attr, value)
                new = new[0] if isinstance(new, list) and len(new) == 1 else new
                if not isinstance(new, dict):
                    raise InvalidValue(f"{attr.name} values are objects")
                if op == "replace":
                    item.clear()
                item.update(new)
        _one_primary(holder[attr.name], selected)
        return
    new = canonical_value(attr, value)
    if attr.multi:
        if op == "add":
            items = holder.get(attr.name) or []
            for item in new or []:
                if item not in items:
                    items.append(item)
            holder[attr.name] = items
            _one_primary(items, new or [])
        else:
            holder[attr.name] = new
        return
    if attr.type == "complex" and isinstance(new, dict) and isinstance(holder.get(attr.name), dict):
        holder[attr.name].update(new)
        return
    holder[attr.name] = new


def _one_primary(items: list[Any], changed: list[Any]) -> None:
    """When a value just set became primary, the others stop being (RFC 7643 §2.4)."""
    winner = next((i for i in changed if isinstance(i, dict) and i.get("primary") is True), None)
    if winner is None:
        return
    for item in items:
        if item is not winner and isinstance(item, dict) and item.get("primary") is True:
            item["primary"] = False


def _remove(doc: dict[str, Any], target: Target, value: Any) -> None:
    holder = _container(doc, target, create=False)
    if holder is None:
        return
    attr = target.attr
    if attr is None:
        doc.pop(target.ext or "", None)
        return
    if target.filter is None and target.sub is None:
        if attr.multi and isinstance(value, list) and value:
            # Entra: {"op": "remove", "path": "members", "value": [{"value": "id"}]}
            gone = canonical_value(attr, value)
            keys = {norm(str(g.get("value"))) for g in gone if isinstance(g, dict)}
            holder[attr.name] = [
                i for i in holder.get(attr.name) or [] if norm(str(i.get("value"))) not in keys
            ]
            return
        holder.pop(attr.name, None)
        return
    if target.filter is None:
        assert target.sub is not None
        current = holder.get(attr.name)
        for item in current if isinstance(current, list) else [current]:
            if isinstance(item, dict):
                item.pop(target.sub.name, None)
        return
    items = holder.get(attr.name) or []
    if target.sub is None:
        holder[attr.name] = [i for i in items if not matches(target.filter, i, attr)]
    else:
        for item in items:
            if matches(target.filter, item, attr):
                item.pop(target.sub.name, None)


def _from_filter(node: FilterNode, attr: Attr) -> dict[str, Any] | None:
    """The value an ``eq``-only filter describes (``type eq "work"`` -> ``{"type": "work"}``)."""
    terms = (
        node.terms if isinstance(node, LogicalExpr) and node.op == LogicalOperator.and_ else (node,)
    )
    out: dict[str, Any] = {}
    for term in terms:
        if not (isinstance(term, Comparison) and term.op == CompareOperator.eq):
            return None
        sub = attr.child(term.attr_path.attr)
        if sub is None or term.attr_path.sub_attr or term.attr_path.uri:
            return None
        out[sub.name] = canonical_value(sub, term.value)
    return out


def matches(node: FilterNode, item: Any, attr: Attr) -> bool:
    """Whether a value of the multi-valued ``attr`` satisfies a value filter."""
    if not isinstance(item, dict):
        return False
    if isinstance(node, LogicalExpr):
        results = (matches(t, item, attr) for t in node.terms)
        return all(results) if node.op == LogicalOperator.and_ else any(results)
    if isinstance(node, Not):
        return not matches(node.expr, item, attr)
    if isinstance(node, Present):
        sub = attr.child(node.attr_path.attr)
        value = item.get(sub.name) if sub else None
        return value is not None and value != ""
    if isinstance(node, Comparison):
        sub = attr.child(node.attr_path.attr)
        if sub is None:
            raise InvalidPath(f"{attr.name} has no sub-attribute {node.attr_path.attr}")
        return _compare(item.get(sub.name), node.value, node.op, sub)
    raise InvalidPath("value filters cannot nest")


def _compare(actual: Any, expected: Any, op: CompareOperator, sub: Attr) -> bool:
    if actual is None or expected is None:
        if op == CompareOperator.eq:
            return actual is None and expected is None
        return op == CompareOperator.ne and (actual is None) != (expected is None)
    if sub.type == "boolean" and isinstance(expected, str):
        expected = expected.lower() == "true"
    if isinstance(actual, str) and isinstance(expected, str) and not sub.case_exact:
        actual, expected = norm(actual), norm(expected)
    if op == CompareOperator.eq:
        return bool(actual == expected)
    if op == CompareOperator.ne:
        return bool(actual != expected)
    if not isinstance(actual, str) or not isinstance(expected, str):
        return False
    if op == CompareOperator.co:
        return expected in actual
    if op == CompareOperator.sw:
        return actual.startswith(expected)
    if op == CompareOperator.ew:
        return actual.endswith(expected)
    return {
        CompareOperator.gt: actual > expected,
        CompareOperator.ge: actual >= expected,
        CompareOperator.lt: actual < expected,
        CompareOperator.le: actual <= expected,
    }[op]
