"""Checking a user document before it becomes columns: each string attribute has a length
limit that fits its column, and past it the request is refused, naming the attribute."""

from __future__ import annotations

from typing import Any

import pytest

from backend.scim.errors import InvalidValue
from backend.scim.resources import user_columns
from backend.scim.schema import ENTERPRISE_USER
from backend.store.models import ScimUser


def doc(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "userName": "ada@acme.test",
        "name": {"givenName": "Ada", "familyName": "Lovelace", "formatted": "Ada Lovelace"},
        "emails": [{"value": "ada@acme.test", "type": "work", "display": "Ada", "primary": True}],
        "displayName": "Ada Lovelace",
        "locale": "en-GB",
        "externalId": "00u1",
        ENTERPRISE_USER: {"organization": "Acme", "department": "R&D"},
    }
    base.update(changes)
    return base


def emails(**item: Any) -> list[dict[str, Any]]:
    return [{"value": "ada@acme.test", "primary": True, **item}]


CASES = [  # (where the value goes, its limit, the column it lands in, the name in the error)
    (lambda v: doc(userName=v), 320, "user_name", "userName"),
    (lambda v: doc(externalId=v), 255, "external_id", "externalId"),
    (lambda v: doc(name={"givenName": v, "familyName": "L"}), 200, "given_name", "givenName"),
    (lambda v: doc(name={"givenName": "A", "familyName": v}), 200, "family_name", "familyName"),
    (lambda v: doc(name={"givenName": "A", "familyName": "L", "formatted": v}), 400,
     "formatted_name", "formatted"),
    (lambda v: doc(displayName=v), 400, "display_name", "displayName"),
    (lambda v: doc(locale=v), 50, "locale", "locale"),
    (lambda v: doc(**{ENTERPRISE_USER: {"organization": v}}), 200, "organization", "organization"),
    (lambda v: doc(**{ENTERPRISE_USER: {"department": v}}), 200, "department", "department"),
    (lambda v: doc(emails=emails(value=v)), 320, "email", "emails.value"),
    (lambda v: doc(emails=emails(type=v)), 50, "email_type", "emails.type"),
]  # fmt: skip


@pytest.mark.parametrize(("make", "limit", "column", "name"), CASES)
def test_each_string_is_kept_up_to_its_limit_and_refused_past_it(
    make: Any, limit: int, column: str, name: str
) -> None:
    assert ScimUser.__table__.c[column].type.length >= limit  # the column holds it
    assert user_columns(make("x" * limit))[column] == "x" * limit
    with pytest.raises(InvalidValue, match=f"{name} is longer than {limit} characters"):
        user_columns(make("x" * (limit + 1)))


def test_an_email_display_is_limited_too() -> None:
    assert user_columns(doc(emails=emails(display="d" * 400)))["emails"][0]["display"] == "d" * 400
    with pytest.raises(InvalidValue, match="emails.display is longer than 400"):
        user_columns(doc(emails=emails(display="d" * 401)))
