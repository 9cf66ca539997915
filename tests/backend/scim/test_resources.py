"""User resources: checking a document before it becomes columns (each string attribute has a
length limit that fits its column, and past it the request is refused, naming the attribute),
and the times a user is rendered with, the same whether read back or just written."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from backend.scim.errors import InvalidValue
from backend.scim.resources import iso_utc, user_columns
from backend.scim.schema import ENTERPRISE_USER
from backend.store.models import ScimUser
from backend.store.models.base import utc_text
from tests.backend.scim.conftest import Scim

PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"


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


@pytest.mark.parametrize(
    "when",
    [
        datetime(2026, 12, 4, 8, 58, 0, 123456, tzinfo=UTC),
        datetime(2026, 12, 4, 8, 58, tzinfo=UTC),  # no microseconds: written all the same
        datetime(2026, 12, 4, 3, 58, 0, 1, tzinfo=timezone(timedelta(hours=-5))),
        datetime(1, 1, 1, tzinfo=UTC),
    ],
)
def test_a_time_renders_the_same_from_a_datetime_and_from_sqlites_stored_text(
    when: datetime,
) -> None:
    stored = utc_text(when)  # what SQLite holds
    assert iso_utc(stored) == iso_utc(when)
    assert datetime.fromisoformat(iso_utc(stored)) == when
    assert iso_utc(stored).endswith("+00:00") and len(iso_utc(stored).split(".")[1]) == 12


def test_stored_text_in_another_shape_is_still_read() -> None:
    assert iso_utc("2026-12-04 08:58:00") == "2026-12-04T08:58:00.000000+00:00"
    assert iso_utc("2026-12-04T03:58:00-05:00") == "2026-12-04T08:58:00.000000+00:00"


def test_the_times_a_write_returns_are_the_times_a_read_returns(client: Scim) -> None:
    made = client.create_user("ada@acme.test")
    read = client.get(f"/Users/{made['id']}").json()
    assert read["meta"]["created"] == made["meta"]["created"]
    assert read["meta"]["lastModified"] == made["meta"]["lastModified"]
    changed = client.patch(
        f"/Users/{made['id']}",
        {"schemas": [PATCH_OP], "Operations": [{"op": "replace", "value": {"active": False}}]},
    ).json()
    listed = client.get("/Users", params={"filter": 'userName eq "ada@acme.test"'}).json()
    assert listed["Resources"][0]["meta"] == changed["meta"]
