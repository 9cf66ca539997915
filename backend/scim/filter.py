"""SCIM filters (RFC 7644 §3.4.2.2) parsed by scim2-models and translated to SQLAlchemy.

A filter never runs in Python: ``to_sql`` turns the syntax tree into one boolean SQL
expression over the tenant's rows. Every comparison is two-valued (a missing value compares
false, ``ne`` true), so ``not (...)`` means in SQL what it means in the RFC. Attributes that
are ``caseExact: false`` compare lower-cased; userName uses its stored normalised copy (and
its index).

``emails`` is multi-valued: the JSON list ``scim_users.emails`` (objects with ``value``, ``type``,
``display``, ``primary``). A comparison on ``emails``, ``emails.value``, ``emails.type`` or
``emails.display`` is an EXISTS over that list's elements (SQLite ``json_each``, PostgreSQL
``json_array_elements``) and holds when any address compares true, as RFC 7644 §3.4.2.2 says;
``ne`` holds when none is equal (the negation of ``eq``, as scim2-models reads it), ``eq null``
when the user has no address or one without that sub-attribute. ``emails[...]`` tests its whole
filter on each address in turn. All three sub-attributes compare lower-cased. No index covers
the list, so these filters read every user of the tenant. A comparison on the address also tries
``email_norm``, the primary's normalised copy: it cannot narrow the search (a match may be any
address) but keeps the primary's match exact where SQLite's ``lower()`` is not (ASCII only).

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
from backend.scim.resources import norm
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

CI, EXACT, NORM, BOOL, DATETIME = "ci", "exact", "norm", "bool", "datetime"
MEMBER, EMAIL = "member", "email"


@dataclass(frozen=True, slots=True)
class Field:
    """A filterable attribute: its column and how values compare against it.

    ``kind``: ``ci`` (lower-cased in SQL), ``norm`` (a stored lower-case copy), ``exact``,
    ``bool``, ``datetime``, ``member`` (a group's membership, an EXISTS), or ``email`` (a key
    of the objects in the user's ``emails`` list, lower-cased; ``column`` is the key).
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
    "emails": Field("value", EMAIL),  # a comparison on a complex attribute is on its value
    "emails.value": Field("value", EMAIL),
    "emails.type": Field("type", EMAIL),
    "emails.display": Field("display", EMAIL),
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
    def __init__(
        self,
        fields: Mapping[str, Field],
        core_urn: str,
        dialect: str,
        prefix: str = "",
        element: Any = None,
    ) -> None:
        self.fields = fields
        self.core_urn = core_urn
        self.dialect = dialect
        self.prefix = prefix  # inside emails[...] or members[...]: the parent's name and a dot
        self.element = element  # inside emails[...]: the JSON object of the address under test

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
        f = self.field(path)
        if f.kind == EMAIL:  # "emails pr" too: a stored address always has a non-empty value
            if self.element is not None:
                return _non_empty(self._email_key(self.element, f.column))
            return self._each_email(lambda e: _non_empty(self._email_key(e, f.column)))
        return self._present(f)

    def _present(self, f: Field) -> Any:
        if f.kind == MEMBER:
            return sa.exists().where(ScimGroupMember.group_id == ScimGroup.id)
        if f.kind in (BOOL, DATETIME):
            return f.column.isnot(None)
        return _non_empty(f.column)

    def value_path(self, node: ValuePath) -> Any:
        parent = self.lookup_key(node.attr_path)
        if parent not in ("emails", "members") or node.attr_path.sub_attr:
            raise InvalidFilter(f"{node.attr_path} is not a multi-valued attribute we filter")
        if parent == "members":
            inner = _Translator(self.fields, self.core_urn, self.dialect, "members.")
            return inner.visit(node.val_filter)
        return self._each_email(
            lambda e: _Translator(self.fields, self.core_urn, self.dialect, "emails.", e).visit(
                node.val_filter
            )
        )

    def comparison(self, node: Comparison) -> Any:
        f = self.field(node.attr_path)
        op, value = node.op, node.value
        if f.kind == EMAIL:
            return self._email(f.column, op, value, node)
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
            value = norm(value)
        return self._string(col, op, value)

    def _null(self, f: Field, op: CompareOperator) -> Any:
        # null is the absence of a value; an empty string is a value (unlike for "pr").
        has = self._present(f) if f.kind == MEMBER else f.column.isnot(None)
        if op == CompareOperator.eq:
            return sa.not_(has)
        if op == CompareOperator.ne:
            return has
        return sa.false()

    def _email(self, key: str, op: CompareOperator, value: Any, node: Comparison) -> Any:
        if value is not None and not isinstance(value, str):
            raise InvalidFilter(f"{node.attr_path} is a string: compare it with a quoted value")
        if value is None and op not in (CompareOperator.eq, CompareOperator.ne):
            return sa.false()
        if self.element is not None:  # inside emails[...]: this one address
            col = sa.func.lower(self._email_key(self.element, key))
            if value is None:
                return col.is_(None) if op == CompareOperator.eq else col.isnot(None)
            return self._string(col, op, value.lower())
        if op == CompareOperator.ne:  # no address is equal
            return sa.not_(self._email(key, CompareOperator.eq, value, node))
        if value is None:  # no address, or one without the key
            no_key = self._each_email(lambda e: self._email_key(e, key).is_(None))
            return sa.or_(sa.not_(self._each_email(lambda e: sa.true())), no_key)
        any_match = self._each_email(
            lambda e: self._string(sa.func.lower(self._email_key(e, key)), op, value.lower())
        )
        if key != "value":
            return any_match
        return sa.or_(self._string(ScimUser.email_norm, op, norm(value)), any_match)

    def _each_email(self, test: Callable[[Any], Any]) -> Any:
        """EXISTS an address of the user (a JSON object) for which ``test`` holds."""
        fn = sa.func.json_each if self.dialect == "sqlite" else sa.func.json_array_elements
        element = fn(ScimUser.emails).table_valued("value")
        return sa.exists().select_from(element).where(test(element.c.value))

    def _email_key(self, element: Any, key: str) -> Any:
        """The text of ``key`` in an address's JSON object; NULL when absent or null."""
        if self.dialect == "sqlite":
            return sa.func.json_extract(element, "$." + key)
        return sa.func.json_extract_path_text(element, key)

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


def _non_empty(col: Any) -> Any:
    return sa.and_(col.isnot(None), col != "")


_ORDER: dict[CompareOperator, Callable[[Any, Any], Any]] = {
    CompareOperator.gt: lambda c, v: c > v,
    CompareOperator.ge: lambda c, v: c >= v,
    CompareOperator.lt: lambda c, v: c < v,
    CompareOperator.le: lambda c, v: c <= v,
}
