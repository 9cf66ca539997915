"""SCIM filters (RFC 7644 §3.4.2.2) parsed by scim2-models and translated to SQLAlchemy.

A filter never runs in Python: ``to_sql`` turns the syntax tree into one boolean SQL
expression over the tenant's rows. Every comparison is two-valued (a missing value compares
false, ``ne`` true), so ``not (...)`` means in SQL what it means in the RFC. Attributes that
are ``caseExact: false`` compare lower-cased; userName and the primary email use their stored
lower-case copies (and their indexes).

The one filter Okta sends on every provisioning step, ``userName eq "..."``, is recognised by
a regular expression that builds the same tree the full grammar would (a property test holds
the two to that), because the grammar costs more than the rest of the lookup.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from scim2_models import ScimFilter
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

from backend.scim.errors import InvalidFilter
from backend.scim.schema import CORE_USER, ENTERPRISE_USER, GROUP
from backend.store.models import ScimGroup, ScimGroupMember, ScimUser

__all__ = ["GROUP_FIELDS", "USER_FIELDS", "Field", "parse", "to_sql"]

MAX_FILTER_LENGTH = 4096

_FAST = re.compile(
    r"\s*([A-Za-z][A-Za-z0-9_-]*)(?:\.([A-Za-z][A-Za-z0-9_-]*))?\s+(eq)\s+"
    r'("(?:[^"\\\x00-\x1f]|\\["\\/bfnrt]|\\u[0-9A-Fa-f]{4})*")\s*',
    re.IGNORECASE,
)
_RESERVED = frozenset(
    {
        "and",
        "or",
        "not",
        "pr",
        "eq",
        "ne",
        "co",
        "sw",
        "ew",
        "gt",
        "ge",
        "lt",
        "le",
        "true",
        "false",
        "null",
    }
)


def parse(text: str) -> FilterNode:
    """The syntax tree of ``text``; ``InvalidFilter`` (400) for anything that is not a filter."""
    if len(text) > MAX_FILTER_LENGTH:
        raise InvalidFilter(f"the filter is longer than {MAX_FILTER_LENGTH} characters")
    m = _FAST.fullmatch(text)
    if m is not None and m.group(1).lower() not in _RESERVED:
        return Comparison(
            AttrPath(m.group(1), m.group(2)), CompareOperator.eq, json.loads(m.group(4))
        )
    try:
        return ScimFilter(text).ast
    except Exception as exc:  # the parser's errors are many; each is the client's bad filter
        raise InvalidFilter(f"the filter {text!r} is not valid: {exc}") from None


# -- the fields a filter may name ------------------------------------------------------------

CI, EXACT, NORM, BOOL, DATETIME, MEMBER = "ci", "exact", "norm", "bool", "datetime", "member"


@dataclass(frozen=True, slots=True)
class Field:
    """A filterable attribute: its column and how values compare against it.

    ``kind``: ``ci`` (lower-cased in SQL), ``norm`` (a stored lower-case copy), ``exact``,
    ``bool``, ``datetime``, or ``member`` (a group's membership, an EXISTS).
    """

    column: Any
    kind: str


def _key(uri: str | None, attr: str, sub: str | None) -> str:
    name = attr.lower() + ("." + sub.lower() if sub else "")
    return (uri.lower() + ":" if uri else "") + name


USER_FIELDS: Mapping[str, Field] = {
    "id": Field(ScimUser.id, EXACT),
    "externalid": Field(ScimUser.external_id, EXACT),
    "username": Field(ScimUser.user_name_norm, NORM),
    "displayname": Field(ScimUser.display_name, CI),
    "locale": Field(ScimUser.locale, CI),
    "active": Field(ScimUser.active, BOOL),
    "name.givenname": Field(ScimUser.given_name, CI),
    "name.familyname": Field(ScimUser.family_name, CI),
    "name.formatted": Field(ScimUser.formatted_name, CI),
    "emails": Field(ScimUser.email_norm, NORM),
    "emails.value": Field(ScimUser.email_norm, NORM),
    "emails.type": Field(ScimUser.email_type, CI),
    "meta.lastmodified": Field(ScimUser.last_modified, DATETIME),
    "meta.created": Field(ScimUser.created_at, DATETIME),
    ENTERPRISE_USER.lower() + ":organization": Field(ScimUser.organization, CI),
    ENTERPRISE_USER.lower() + ":department": Field(ScimUser.department, CI),
}
_USER_COMPLEX = {"name": ("name.givenname", "name.familyname", "name.formatted")}

GROUP_FIELDS: Mapping[str, Field] = {
    "id": Field(ScimGroup.id, EXACT),
    "externalid": Field(ScimGroup.external_id, EXACT),
    "displayname": Field(ScimGroup.display_name_norm, NORM),
    "members": Field(ScimGroupMember.user_id, MEMBER),
    "members.value": Field(ScimGroupMember.user_id, MEMBER),
    "meta.lastmodified": Field(ScimGroup.last_modified, DATETIME),
    "meta.created": Field(ScimGroup.created_at, DATETIME),
}


def to_sql(node: FilterNode, fields: Mapping[str, Field], *, dialect: str) -> Any:
    """One SQL boolean expression equivalent to ``node`` over the rows ``fields`` describe."""
    core = CORE_USER if fields is USER_FIELDS else GROUP
    return _Translator(fields, core.lower(), dialect).visit(node)


class _Translator:
    def __init__(self, fields: Mapping[str, Field], core_urn: str, dialect: str) -> None:
        self.fields = fields
        self.core_urn = core_urn
        self.dialect = dialect
        self.prefix = ""  # inside emails[...]: the parent's name and a dot

    def visit(self, node: FilterNode) -> Any:
        if isinstance(node, Comparison):
            return self.comparison(node)
        if isinstance(node, Present):
            return self.present(node.attr_path)
        if isinstance(node, Not):
            return sa.not_(self.visit(node.expr))
        if isinstance(node, LogicalExpr):
            terms = [self.visit(t) for t in node.terms]
            return sa.and_(*terms) if node.op == LogicalOperator.and_ else sa.or_(*terms)
        if isinstance(node, ValuePath):
            return self.value_path(node)
        raise InvalidFilter(f"unsupported filter expression {node}")

    def lookup_key(self, path: AttrPath) -> str:
        uri = path.uri.lower() if path.uri else None
        if uri == self.core_urn:
            uri = None
        if self.prefix:
            if uri is not None or path.sub_attr:
                raise InvalidFilter(f"{path} cannot be used inside a value filter")
            return self.prefix + path.attr.lower()
        return _key(uri, path.attr, path.sub_attr)

    def field(self, path: AttrPath) -> Field:
        key = self.lookup_key(path)
        found = self.fields.get(key)
        if found is None:
            raise InvalidFilter(f"filtering on {path} is not supported")
        return found

    def present(self, path: AttrPath) -> Any:
        key = self.lookup_key(path)
        if key in _USER_COMPLEX and self.fields is USER_FIELDS:
            return sa.or_(*(self._present(self.fields[k]) for k in _USER_COMPLEX[key]))
        return self._present(self.field(path))

    def _present(self, f: Field) -> Any:
        if f.kind == MEMBER:
            return sa.exists().where(ScimGroupMember.group_id == ScimGroup.id)
        if f.kind in (BOOL, DATETIME):
            return f.column.isnot(None)
        return sa.and_(f.column.isnot(None), f.column != "")

    def value_path(self, node: ValuePath) -> Any:
        parent = self.lookup_key(node.attr_path)
        if parent not in ("emails", "members") or node.attr_path.sub_attr:
            raise InvalidFilter(f"{node.attr_path} is not a multi-valued attribute we filter")
        inner = _Translator(self.fields, self.core_urn, self.dialect)
        inner.prefix = parent + "."
        test = inner.visit(node.val_filter)
        if parent == "emails":  # a value filter needs a value to select: no email, no match
            return sa.and_(self.fields["emails"].column.isnot(None), test)
        return test

    def comparison(self, node: Comparison) -> Any:
        f = self.field(node.attr_path)
        op, value = node.op, node.value
        if value is None:
            return self._null(f, op)
        if f.kind == MEMBER:
            return self._member(f, op, value)
        if f.kind == BOOL:
            if not isinstance(value, bool) or op not in (CompareOperator.eq, CompareOperator.ne):
                raise InvalidFilter(f"{node.attr_path} is a boolean: use eq or ne with true/false")
            col = f.column
            return sa.and_(
                col.isnot(None), col == value if op == CompareOperator.eq else col != value
            )
        if f.kind == DATETIME:
            return self._datetime(f.column, op, value, node)
        if not isinstance(value, str):
            raise InvalidFilter(f"{node.attr_path} is a string: compare it with a quoted value")
        col = f.column
        if f.kind == CI:
            col, value = sa.func.lower(col), value.lower()
        elif f.kind == NORM:
            value = value.lower()
        return self._string(col, op, value)

    def _null(self, f: Field, op: CompareOperator) -> Any:
        # null is the absence of a value; an empty string is a value (unlike for "pr").
        has = self._present(f) if f.kind == MEMBER else f.column.isnot(None)
        if op == CompareOperator.eq:
            return sa.not_(has)
        if op == CompareOperator.ne:
            return has
        return sa.false()

    def _string(self, col: Any, op: CompareOperator, value: str) -> Any:
        if op == CompareOperator.ne:
            return sa.or_(col.is_(None), col != value)
        if op == CompareOperator.eq:
            test = col == value
        elif op == CompareOperator.co:
            fn = (
                sa.func.instr(col, value)
                if self.dialect == "sqlite"
                else sa.func.strpos(col, value)
            )
            test = fn > 0
        elif op == CompareOperator.sw:
            test = sa.func.substr(col, 1, len(value)) == value
        elif op == CompareOperator.ew:
            test = sa.and_(
                sa.func.length(col) >= len(value),
                sa.func.substr(col, sa.func.length(col) - len(value) + 1) == value,
            )
        else:
            c = col.collate("C") if self.dialect == "postgresql" else col
            test = _ORDER[op](c, value)
        return sa.and_(col.isnot(None), test)

    def _datetime(self, col: Any, op: CompareOperator, value: Any, node: Comparison) -> Any:
        if not isinstance(value, str):
            raise InvalidFilter(f"{node.attr_path} is a dateTime: compare it with a quoted date")
        try:
            when = datetime.fromisoformat(value)
        except ValueError:
            raise InvalidFilter(f"{value!r} is not an ISO 8601 dateTime") from None
        if when.tzinfo is None:
            raise InvalidFilter(f"{value!r} needs a time zone (Z or +hh:mm)")
        if op == CompareOperator.ne:
            return sa.or_(col.is_(None), col != when)
        if op == CompareOperator.eq:
            return sa.and_(col.isnot(None), col == when)
        if op in _ORDER:
            return sa.and_(col.isnot(None), _ORDER[op](col, when))
        raise InvalidFilter(f"{node.attr_path} is a dateTime: {op.value} does not apply")

    def _member(self, f: Field, op: CompareOperator, value: Any) -> Any:
        if not isinstance(value, str) or op not in (CompareOperator.eq, CompareOperator.ne):
            raise InvalidFilter("members can only be compared with eq or ne and a user id")
        # Multi-valued: true when any member compares true, as RFC 7644 §3.4.2.2 says.
        test = f.column == value if op == CompareOperator.eq else f.column != value
        return sa.exists().where(ScimGroupMember.group_id == ScimGroup.id, test)


_ORDER: dict[CompareOperator, Callable[[Any, Any], Any]] = {
    CompareOperator.gt: lambda c, v: c > v,
    CompareOperator.ge: lambda c, v: c >= v,
    CompareOperator.lt: lambda c, v: c < v,
    CompareOperator.le: lambda c, v: c <= v,
}
