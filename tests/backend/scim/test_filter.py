"""Filters: parsed by scim2-models, run in SQL. The property tests hold the SQL result to
scim2-models' own reference evaluation (``ScimFilter.match``) over the same users (a fixed
population, and generated lists of addresses on SQLite and PostgreSQL, where any address, primary
or not, may match), and hold the ``userName eq`` fast path to the full grammar."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from scim2_models import EnterpriseUser, InvalidFilterException, ScimFilter, User
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

from backend.domain.scim_tokens import ScimAuth, authenticate
from backend.runtime import Runtime
from backend.scim import users
from backend.scim.errors import InvalidFilter
from backend.scim.filter import USER_FIELDS, parse, to_sql
from backend.scim.resources import render_user, user_columns
from backend.store.models import ScimUser
from tests.backend.scim.conftest import Tenant, make_tenant
from tests.conftest import make_settings

ENT = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
Model = User[EnterpriseUser]
WORDS = [
    "ada",
    "Ada",
    "ADA@acme.com",
    "bob",
    "Bob",
    "zed",
    "acme",
    "Post",
    "post",
    "x",
    "",
    "en-US",
    "en",
    "work",
    "home",
    "a@b.com",
    "Lovelace",
    "b",
    "ada@home.org",
    "bob@acme.com",
    "post@acme.com",
    "Ada@Acme.com",
    "@acme.com",
    "home.org",
]
STRING_PATHS = [
    AttrPath("userName"),
    AttrPath("displayName"),
    AttrPath("externalId"),
    AttrPath("locale"),
    AttrPath("name", "givenName"),
    AttrPath("name", "familyName"),
    AttrPath("name", "formatted"),
    AttrPath("emails", "value"),
    AttrPath("emails", "type"),
    AttrPath("emails", "display"),
    AttrPath("emails"),
    AttrPath("department", uri=ENT),
    AttrPath("organization", uri=ENT),
    AttrPath("id"),
]
STRING_OPS = list(CompareOperator)
USERS = [
    {
        "userName": "ada@acme.com",
        "displayName": "Ada",
        "name": {"givenName": "Ada", "familyName": "Lovelace", "formatted": "Ada Lovelace"},
        "locale": "en-US",
        "emails": [
            {"value": "ADA@acme.com", "type": "work", "primary": True},
            {"value": "ada@home.org", "type": "home", "display": "Ada"},
        ],
        ENT: {"department": "Post", "organization": "Acme"},
        "externalId": "Ada",
    },
    {
        "userName": "Bob",
        "name": {"givenName": "bob", "familyName": "x"},
        "active": False,
        "emails": [  # no primary: the first is the stored one
            {"value": "a@b.com", "type": "home"},
            {"value": "bob@acme.com", "type": "work", "primary": False},
        ],
        "externalId": "ada",
    },
    {
        "userName": "zed",
        "name": {"givenName": "Z", "familyName": "Zed"},
        "displayName": "",
        ENT: {"department": "post"},
        "locale": "en",
    },
    {
        "userName": "acme",
        "name": {"givenName": "A", "familyName": "B"},
        "displayName": "zed",
        "emails": [
            {"value": "x@y.com", "type": ""},
            {"value": "post@acme.com", "primary": True},
            {"value": "Ada@Acme.com", "type": "Work", "display": ""},
        ],
    },
    {
        "userName": "b",
        "name": {"givenName": "Lovelace", "familyName": "ada"},
        "locale": "EN-us",
        "active": True,
        ENT: {"organization": "ACME"},
    },
]


@pytest.fixture(scope="module")
def population(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[Runtime, ScimAuth, dict[str, Any]]]:
    rt = Runtime.open(make_settings(tmp_path_factory.mktemp("filters") / "data"))
    rt.db.migrate()
    tenant = make_tenant(rt)
    other = make_tenant(rt, "Other", "other.test")
    docs: dict[str, Any] = {}
    with rt.db.write() as s:
        auth = authenticate(s, tenant.token)
        other_auth = authenticate(s, other.token)
        assert auth is not None and other_auth is not None
        for body in USERS:
            row = users.create(s, auth, body)
            docs[row.id] = Model.model_validate(render_user(row, "http://x/Users/" + row.id))
            users.create(s, other_auth, body)  # the same people in another tenant
    yield rt, auth, docs
    rt.close()


def sql_ids(rt: Runtime, auth: ScimAuth, text: str) -> set[str]:
    node = parse(text)
    with rt.db.read() as s:
        where = to_sql(node, USER_FIELDS, dialect=rt.db.engine.dialect.name)
        return set(
            s.scalars(
                sa.select(ScimUser.id).where(ScimUser.connection_id == auth.connection_id, where)
            )
        )


def reference_ids(docs: dict[str, Any], text: str) -> set[str] | None:
    """What scim2-models selects; None when it refuses the filter for its own model's reasons
    (it checks that an ``emails.value eq`` operand is an email address, for one)."""
    try:
        f = ScimFilter[Model](text)
    except InvalidFilterException:
        return None
    return {uid for uid, doc in docs.items() if f.match(doc)}


# -- strategies ------------------------------------------------------------------------------

values = st.one_of(st.sampled_from(WORDS), st.text(alphabet="abAB@.-z ", max_size=4))
string_cmp = st.builds(
    Comparison, st.sampled_from(STRING_PATHS), st.sampled_from(STRING_OPS), values
)
bool_cmp = st.builds(
    Comparison,
    st.just(AttrPath("active")),
    st.sampled_from([CompareOperator.eq, CompareOperator.ne]),
    st.booleans(),
)
null_cmp = st.builds(
    Comparison,
    st.sampled_from(STRING_PATHS),
    st.sampled_from([CompareOperator.eq, CompareOperator.ne]),
    st.none(),
)
date_cmp = st.builds(
    Comparison,
    st.sampled_from([AttrPath("meta", "lastModified"), AttrPath("meta", "created")]),
    st.sampled_from(
        [CompareOperator.gt, CompareOperator.ge, CompareOperator.lt, CompareOperator.le]
    ),
    st.sampled_from(["2000-01-01T00:00:00Z", "2999-01-01T00:00:00+00:00"]),
)
present = st.builds(Present, st.sampled_from([*STRING_PATHS, AttrPath("active"), AttrPath("name")]))
inner = st.builds(
    Comparison,
    st.sampled_from([AttrPath("value"), AttrPath("type"), AttrPath("display")]),
    st.sampled_from(STRING_OPS),
    values,
)
value_path = st.builds(ValuePath, st.just(AttrPath("emails")), inner)
leaf = st.one_of(string_cmp, bool_cmp, null_cmp, date_cmp, present, value_path)


def combine(children: st.SearchStrategy[FilterNode]) -> st.SearchStrategy[FilterNode]:
    return st.one_of(
        st.builds(Not, children),
        st.builds(
            LogicalExpr,
            st.sampled_from(list(LogicalOperator)),
            st.lists(children, min_size=2, max_size=3).map(tuple),
        ),
    )


filters = st.recursive(leaf, combine, max_leaves=6)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(node=filters)
def test_sql_agrees_with_the_reference_evaluation(population: Any, node: FilterNode) -> None:
    rt, auth, docs = population
    text = str(node)
    expected = reference_ids(docs, text)
    assume(expected is not None)
    assert sql_ids(rt, auth, text) == expected, text


@settings(max_examples=150, deadline=None)
@given(
    attr=st.sampled_from(
        [
            "userName",
            "externalId",
            "displayName",
            "name.givenName",
            "emails.value",
            "eq",
            "not",
            "urn",
        ]
    ),
    op=st.sampled_from(["eq", "EQ", "Eq", "ne", "co"]),
    value=st.text(max_size=12),
    pad=st.sampled_from(["", " ", "  "]),
)
def test_the_fast_path_builds_what_the_grammar_builds(
    attr: str, op: str, value: str, pad: str
) -> None:
    text = f"{pad}{attr} {op} {ScimFilter.quote(value)}{pad}"
    try:
        slow: Any = ScimFilter(text).ast
    except Exception:
        slow = InvalidFilter
    try:
        fast: Any = parse(text)
    except InvalidFilter:
        fast = InvalidFilter
    assert fast == slow


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(text=st.one_of(st.text(max_size=40), st.text(alphabet='abc ()[]"eqnotrp.:\\', max_size=40)))
def test_garbage_is_invalid_filter_never_a_crash(population: Any, text: str) -> None:
    rt, auth, _ = population
    with contextlib.suppress(InvalidFilter):
        sql_ids(rt, auth, text)


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ('userName eq "ADA@ACME.COM"', {"ada@acme.com"}),
        ('emails[type eq "work" and value co "acme"]', {"ada@acme.com", "Bob", "acme"}),
        ('emails.value eq "ADA@HOME.ORG"', {"ada@acme.com"}),  # not the primary
        ('emails co "acme.com" and not (emails.type eq "home")', {"acme"}),
        ('emails[type eq "work" and value ew "@acme.com"]', {"ada@acme.com", "Bob", "acme"}),
        ('emails.type eq "home"', {"ada@acme.com", "Bob"}),
        ('emails.value ne "a@b.com"', {"ada@acme.com", "zed", "acme", "b"}),
        ("emails pr", {"ada@acme.com", "Bob", "acme"}),
        ("emails.type eq null", {"zed", "acme", "b"}),  # no address, or one without a type
        ('not (active eq true) or displayName eq "zed"', {"Bob", "acme"}),
        (f'{ENT}:department eq "POST"', {"ada@acme.com", "zed"}),
        ('externalId eq "ada"', {"Bob"}),  # caseExact
        (
            'meta.lastModified gt "2000-01-01T00:00:00Z" and name.familyName sw "l"',
            {"ada@acme.com"},
        ),
        ("displayName pr", {"ada@acme.com", "acme"}),
    ],
)
def test_examples(population: Any, text: str, names: set[str]) -> None:
    rt, auth, docs = population
    got = {docs[i].user_name for i in sql_ids(rt, auth, text)}
    assert got == names
    assert reference_ids(docs, text) == sql_ids(rt, auth, text)


def test_filters_stay_in_the_tenant(population: Any) -> None:
    rt, auth, docs = population
    assert sql_ids(rt, auth, "userName pr") == set(docs)  # not the other tenant's twins


# -- users with several addresses, on SQLite and PostgreSQL -----------------------------------

address = st.one_of(
    st.sampled_from(["ada@acme.com", "ADA@Acme.com", "bob@home.org", "post@acme.com", "a@b.com"]),
    st.builds(
        "{}@{}".format,
        st.text(alphabet="abAB", min_size=1, max_size=3),
        st.sampled_from(["acme.com", "Acme.COM", "b.org"]),
    ),
)
email = st.fixed_dictionaries(
    {"value": address},
    optional={
        "type": st.sampled_from(["work", "WORK", "home", "other", ""]),
        "display": st.sampled_from(["Ada", "ada", ""]),
        "primary": st.just(False),
    },
)


@st.composite
def address_lists(draw: st.DrawFn) -> list[dict[str, Any]]:
    """Up to three addresses, one of them perhaps primary (not necessarily the first)."""
    emails = draw(st.lists(email, max_size=3))
    primary = draw(st.integers(-1, len(emails) - 1))
    if primary >= 0:
        emails[primary] = {**emails[primary], "primary": True}
    return emails


email_paths = [AttrPath("emails"), *(AttrPath("emails", k) for k in ("value", "type", "display"))]
email_values = st.one_of(
    address, st.sampled_from(["acme", "@acme.com", "ADA", "b.org", "work", "Home", "", "a"])
)
email_leaf = st.one_of(
    st.builds(Comparison, st.sampled_from(email_paths), st.sampled_from(STRING_OPS), email_values),
    st.builds(
        Comparison,
        st.sampled_from(email_paths),
        st.sampled_from([CompareOperator.eq, CompareOperator.ne]),
        st.none(),
    ),
    st.builds(Present, st.sampled_from(email_paths)),
)
element_leaf = st.one_of(
    st.builds(
        Comparison,
        st.sampled_from([AttrPath(k) for k in ("value", "type", "display")]),
        st.sampled_from(STRING_OPS),
        st.one_of(email_values, st.none()),
    ),
    st.builds(Present, st.sampled_from([AttrPath(k) for k in ("value", "type", "display")])),
)
element_filters = st.recursive(element_leaf, combine, max_leaves=3)
email_filters = st.recursive(
    st.one_of(email_leaf, st.builds(ValuePath, st.just(AttrPath("emails")), element_filters)),
    combine,
    max_leaves=4,
)


@pytest.fixture
def any_tenant(any_runtime: Runtime) -> tuple[Runtime, Tenant]:
    return any_runtime, make_tenant(any_runtime)


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.filter_too_much],
)
@given(lists=st.lists(address_lists(), min_size=3, max_size=3), node=email_filters)
def test_any_address_matches_as_the_reference_says(
    any_tenant: tuple[Runtime, Tenant], lists: list[list[dict[str, Any]]], node: FilterNode
) -> None:
    rt, tenant = any_tenant
    text = str(node)
    with rt.db.read() as s:  # rolled back at the end: every example starts from no users
        docs: dict[str, Any] = {}
        for n, emails in enumerate(lists):
            body = {"userName": f"u{n}", "name": {"givenName": "G", "familyName": "F"}}
            row = ScimUser(
                **user_columns({**body, "emails": emails}),
                connection_id=tenant.connection_id,
                org_id=tenant.org_id,
                seq=n + 1,
            )
            s.add(row)
            s.flush()
            docs[row.id] = Model.model_validate(render_user(row, "http://x/Users/" + row.id))
        expected = reference_ids(docs, text)
        assume(expected is not None)
        where = to_sql(node, USER_FIELDS, dialect=rt.db.engine.dialect.name)
        got = set(
            s.scalars(
                sa.select(ScimUser.id).where(ScimUser.connection_id == tenant.connection_id, where)
            )
        )
    assert got == expected, (text, lists)


def test_a_non_primary_address_matches(any_tenant: tuple[Runtime, Tenant]) -> None:
    rt, tenant = any_tenant
    with rt.db.write() as s:
        auth = authenticate(s, tenant.token)
        assert auth is not None
        for name, emails in [
            ("ada", [{"value": "ada@acme.com", "primary": True}, {"value": "Ada@Home.org"}]),
            ("bob", [{"value": "bob@home.org", "type": "home"}, {"value": "bob@acme.com"}]),
            ("cy", [{"value": "cy@x.org", "type": "work", "primary": True}]),
        ]:
            body = {"userName": name, "name": {"givenName": "G", "familyName": "F"}}
            users.create(s, auth, {**body, "emails": emails})
    for text, names in [
        ('emails.value eq "ADA@home.org"', {"ada"}),  # the second, not primary
        ('emails eq "bob@acme.com"', {"bob"}),  # not primary, not first
        ('emails co "home.org"', {"ada", "bob"}),
        ('emails[type eq "HOME" and value sw "bob@"]', {"bob"}),
        ('emails.value ne "ada@home.org"', {"bob", "cy"}),  # no address equal
        ('emails[not (type pr)] and emails.type eq "work"', set()),
    ]:
        with rt.db.read() as s:
            where = to_sql(parse(text), USER_FIELDS, dialect=rt.db.engine.dialect.name)
            got = s.scalars(
                sa.select(ScimUser.user_name).where(
                    ScimUser.connection_id == tenant.connection_id, where
                )
            )
            assert set(got) == names, text
