"""PATCH semantics on documents: worked examples, a property test against scim2-models' own
``PatchOp.patch`` as the reference, and random input that must be a SCIM 4xx, never a crash."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from scim2_models import EnterpriseUser, PatchOp, User

from backend.scim.errors import BadRequest, InvalidValue, MutabilityError, NoTarget, ScimError
from backend.scim.patch import apply, sets_only
from backend.scim.quirks import patch_operations
from backend.scim.resources import active_of, user_columns
from backend.scim.schema import ENTERPRISE_USER, ENTERPRISE_USER_ATTRS, USER_ATTRS

Model = User[EnterpriseUser]
BASE: dict[str, Any] = {
    "userName": "ada@acme.com",
    "active": True,
    "name": {"givenName": "Ada", "familyName": "Lovelace"},
    "emails": [{"value": "ada@acme.com", "type": "work", "primary": True}],
}


def run(doc: dict[str, Any], *operations: dict[str, Any]) -> dict[str, Any]:
    ops = patch_operations({"Operations": list(operations)})
    return apply(doc, ops, USER_ATTRS, ENTERPRISE_USER_ATTRS)


def test_okta_deactivate_without_path() -> None:
    out = run(BASE, {"op": "replace", "value": {"active": False}})
    assert out["active"] is False and BASE["active"] is True  # the input is not changed


def test_entra_capitalised_op_and_string_boolean() -> None:
    assert run(BASE, {"op": "Replace", "path": "active", "value": "False"})["active"] is False
    assert run(BASE, {"op": "Add", "path": "ACTIVE", "value": "true"})["active"] is True


def test_value_filter_paths() -> None:
    out = run(BASE, {"op": "replace", "path": 'emails[type eq "work"].value', "value": "n@a.com"})
    assert out["emails"] == [{"value": "n@a.com", "type": "work", "primary": True}]
    # Entra adds to a value that is not there yet: the filter describes it.
    out = run(BASE, {"op": "add", "path": 'emails[type eq "home"].value', "value": "h@a.com"})
    assert out["emails"][1] == {"type": "home", "value": "h@a.com"}
    out = run(BASE, {"op": "remove", "path": 'emails[value eq "ADA@acme.com"]'})
    assert out["emails"] == []
    with pytest.raises(NoTarget):
        run(BASE, {"op": "replace", "path": 'emails[value co "x"].type', "value": "home"})


def test_new_primary_demotes_the_old_one() -> None:
    out = run(
        BASE, {"op": "add", "path": "emails", "value": [{"value": "b@acme.com", "primary": True}]}
    )
    assert [e.get("primary") for e in out["emails"]] == [False, True]


def test_extension_paths_and_no_path_keys() -> None:
    out = run(BASE, {"op": "add", "path": f"{ENTERPRISE_USER}:department", "value": "Post"})
    assert out[ENTERPRISE_USER] == {"department": "Post"}
    out = run(
        out,
        {
            "op": "replace",
            "value": {f"{ENTERPRISE_USER}:organization": "Acme", "name.familyName": "Byron"},
        },
    )
    assert out[ENTERPRISE_USER] == {"department": "Post", "organization": "Acme"}
    assert out["name"] == {"givenName": "Ada", "familyName": "Byron"}
    out = run(out, {"op": "replace", "path": ENTERPRISE_USER, "value": {"department": "VFX"}})
    assert out[ENTERPRISE_USER] == {"department": "VFX", "organization": "Acme"}
    out = run(out, {"op": "remove", "path": ENTERPRISE_USER})
    assert ENTERPRISE_USER not in out


def test_unknown_attributes_are_ignored_and_read_only_ones_refused() -> None:
    out = run(
        BASE,
        {"op": "add", "path": "title", "value": "Editor"},
        {"op": "add", "path": 'phoneNumbers[type eq "work"].value', "value": "555"},
        {"op": "replace", "path": "urn:example:custom:2.0:User:badge", "value": 7},
        {"op": "replace", "value": {"nickName": "A", "id": "x"}},
    )
    assert out == BASE
    with pytest.raises(MutabilityError):
        run(BASE, {"op": "replace", "path": "meta.lastModified", "value": "x"})


def test_removing_a_required_attribute_fails_validation() -> None:
    out = run(BASE, {"op": "remove", "path": "name.familyName"})
    with pytest.raises(InvalidValue):
        user_columns(out)


# -- property: the same result as scim2-models' reference PATCH --------------------------------

emails = st.builds(
    lambda local, kind: {"value": f"{local}@acme.com", "type": kind},
    st.sampled_from(["a", "b", "c"]),
    st.sampled_from(["work", "home"]),
)
text = st.sampled_from(["x", "Y z", "Ada", "Post"])
simple = st.sampled_from(
    [
        "displayName",
        "locale",
        "externalId",
        "name.givenName",
        "name.familyName",
        "name.formatted",
        f"{ENTERPRISE_USER}:department",
        f"{ENTERPRISE_USER}:organization",
    ]
)
operations = st.one_of(
    st.builds(
        lambda op, path, value: {"op": op, "path": path, "value": value},
        st.sampled_from(["add", "replace"]),
        simple,
        text,
    ),
    st.builds(
        lambda path: {"op": "remove", "path": path},
        st.sampled_from(
            [
                "displayName",
                "locale",
                "externalId",
                "name.formatted",
                f"{ENTERPRISE_USER}:department",
                "emails",
                'emails[type eq "home"]',
            ]
        ),
    ),
    st.builds(lambda v: {"op": "replace", "path": "active", "value": v}, st.booleans()),
    st.builds(
        lambda vs: {"op": "replace", "path": "emails", "value": vs},
        st.lists(emails, max_size=2, unique_by=lambda e: e["value"]),
    ),
    st.builds(lambda v: {"op": "replace", "value": {"displayName": v, "active": False}}, text),
)


def _reference(doc: dict[str, Any], ops: list[dict[str, Any]]) -> dict[str, Any]:
    user = Model.model_validate(doc)
    PatchOp[Model].model_validate(
        {"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": ops}
    ).patch(user)
    out = user.model_dump(mode="json", exclude_none=True)
    out.pop("schemas", None)
    return _clean(out)


def _clean(doc: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in doc.items():
        if isinstance(v, dict):
            v = _clean(v)
            v.pop("schemas", None)
        if v in (None, {}, []):
            continue
        out[k] = v
    return out


@settings(max_examples=200, deadline=None)
@given(ops=st.lists(operations, min_size=1, max_size=4))
def test_patch_agrees_with_the_reference(ops: list[dict[str, Any]]) -> None:
    try:
        expected = _reference(BASE, ops)
    except Exception:
        assume(False)
    before = copy.deepcopy(BASE)
    assert _clean(run(BASE, *ops)) == expected
    assert before == BASE  # the document patched is a copy, to its innermost list


# -- property: junk is a 4xx ------------------------------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda kids: (
        st.lists(kids, max_size=3) | st.dictionaries(st.text(max_size=6), kids, max_size=3)
    ),
    max_leaves=8,
)
paths = st.one_of(
    st.text(max_size=20),
    st.sampled_from(
        [
            "emails[",
            'emails[type eq "work"].value',
            "name.",
            "urn:x",
            "members[value eq 1]",
            "emails[value pr].type",
            "userName",
            "name",
            "id",
            "not (a)",
            "a.b.c",
            "",
        ]
    ),
)
junk_ops = st.lists(
    st.fixed_dictionaries(
        {"op": st.sampled_from(["add", "Replace", "REMOVE", "move", 3])},
        optional={"path": paths | json_values, "value": json_values},
    ),
    max_size=3,
)


@settings(max_examples=300, deadline=None)
@given(body=st.one_of(json_values, st.builds(lambda o: {"Operations": o}, junk_ops)))
def test_junk_patch_is_a_client_error(body: Any) -> None:
    try:
        doc = apply(BASE, patch_operations(body), USER_ATTRS, ENTERPRISE_USER_ATTRS)
        user_columns(doc)
    except ScimError as exc:
        assert isinstance(exc, BadRequest), exc


# -- property: a PATCH of `active` alone is what patching the whole document gives -------------

CORE_ACTIVE = "urn:ietf:params:scim:schemas:core:2.0:User:active"
flags = st.one_of(st.booleans(), st.sampled_from(["False", "TRUE", " true ", "no", None, 1]))
active_only = st.one_of(
    st.builds(lambda v: {"op": "replace", "value": {"active": v}}, flags),  # Okta
    st.builds(
        lambda op, path, v: {"op": op, "path": path, "value": v},
        st.sampled_from(["add", "replace", "Replace"]),
        st.sampled_from(["active", "ACTIVE", CORE_ACTIVE]),  # Entra, and the long form
        flags,
    ),
    st.builds(lambda v: {"op": "replace", "value": {"id": "u1", "Active": v}}, flags),
)


def _outcome(fn: Any) -> Any:
    try:
        return fn()
    except ScimError as exc:
        return type(exc)


@settings(max_examples=300, deadline=None)
@given(ops=st.lists(st.one_of(active_only, operations), min_size=1, max_size=3))
def test_an_active_only_patch_is_what_the_whole_document_patch_gives(
    ops: list[dict[str, Any]],
) -> None:
    parsed = patch_operations({"Operations": ops})
    assume(sets_only(parsed, USER_ATTRS, ENTERPRISE_USER_ATTRS, "active"))
    fast = _outcome(lambda: active_of(apply({"active": BASE["active"]}, parsed, USER_ATTRS,
                                            ENTERPRISE_USER_ATTRS)))  # fmt: skip

    def whole() -> bool:
        cols = user_columns(run(BASE, *ops))
        assert {**cols, "active": None} == {**user_columns(BASE), "active": None}
        return bool(cols["active"])

    assert fast == _outcome(whole)


def test_what_counts_as_an_active_only_patch() -> None:
    def only(*ops: dict[str, Any]) -> bool:
        parsed = patch_operations({"Operations": list(ops)})
        return sets_only(parsed, USER_ATTRS, ENTERPRISE_USER_ATTRS, "active")

    assert only({"op": "replace", "value": {"active": False}})
    assert only({"op": "Replace", "path": "active", "value": "False"})
    assert only({"op": "replace", "path": CORE_ACTIVE, "value": True})
    assert only({"op": "replace", "value": {"id": "u1", "active": False}})  # id is skipped
    assert not only({"op": "replace", "value": {"active": False, "displayName": "x"}})
    assert not only({"op": "remove", "path": "active"})
    assert not only({"op": "replace", "path": "active", "value": True},
                    {"op": "replace", "path": "locale", "value": "fr"})  # fmt: skip
    assert not only({"op": "replace", "path": f"{ENTERPRISE_USER}:department", "value": "x"})
