"""Okta's provisioning steps, replayed with the request bodies of Okta's public SCIM 2.0
reference (developer.okta.com/docs/api/openapi/okta-scim/guides/scim-20): Test API
Credentials, Create Users, Update User Attributes, Deactivate Users, Import Users and Push
Groups, in the order Okta sends them."""

from __future__ import annotations

import sqlalchemy as sa

from backend.runtime import Runtime
from backend.store.models import AuditEntry
from tests.backend.scim.conftest import Scim

USER = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
PATCH = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
LIST = "urn:ietf:params:scim:api:messages:2.0:ListResponse"

OKTA_CREATE = {
    "schemas": [USER],
    "userName": "test.user@okta.local",
    "name": {"givenName": "Test", "familyName": "User"},
    "emails": [{"primary": True, "value": "test.user@okta.local", "type": "work"}],
    "displayName": "Test User",
    "locale": "en-US",
    "externalId": "00ujl29u0le5T6Aj10h7",
    "groups": [],
    "password": "1mz050nq",
    "active": True,
}


def test_test_api_credentials(client: Scim) -> None:
    r = client.get("/Users", params={"startIndex": 1, "count": 1})
    assert r.status_code == 200
    assert r.json() == {
        "schemas": [LIST],
        "totalResults": 0,
        "itemsPerPage": 0,
        "startIndex": 1,
        "Resources": [],
    }


def test_create_update_deactivate_reactivate(client: Scim, runtime: Runtime) -> None:
    # Create Users: Okta first looks the user up, then POSTs.
    r = client.get(
        "/Users",
        params={"filter": 'userName eq "test.user@okta.local"', "startIndex": 1, "count": 100},
    )
    assert r.json()["totalResults"] == 0
    r = client.post("/Users", OKTA_CREATE)
    assert r.status_code == 201, r.text
    user = r.json()
    assert r.headers["location"] == user["meta"]["location"]
    assert user["userName"] == "test.user@okta.local"
    assert user["name"] == {"givenName": "Test", "familyName": "User"}
    assert user["emails"] == [{"primary": True, "value": "test.user@okta.local", "type": "work"}]
    assert user["active"] is True and user["externalId"] == "00ujl29u0le5T6Aj10h7"
    assert "password" not in user and "groups" not in user
    uid = user["id"]

    # A second create of the same login (any case) is a conflict Okta understands.
    again = client.post("/Users", {**OKTA_CREATE, "userName": "Test.User@OKTA.local"})
    assert again.status_code == 409 and again.json()["scimType"] == "uniqueness"

    # Update User Attributes: Okta GETs, then PUTs the whole user back (with id and password).
    assert client.get(f"/Users/{uid}").json() == user
    put = {
        **OKTA_CREATE,
        "id": uid,
        "name": {"givenName": "Another", "familyName": "User"},
        "displayName": "Another User",
    }
    r = client.put(f"/Users/{uid}", put)
    assert r.status_code == 200, r.text
    updated = r.json()
    assert updated["name"]["givenName"] == "Another" and updated["displayName"] == "Another User"
    assert updated["meta"]["created"] == user["meta"]["created"]
    assert updated["meta"]["version"] == 'W/"2"'
    assert updated["meta"]["lastModified"] >= user["meta"]["lastModified"]

    # Okta's attribute PATCH without a path.
    r = client.patch(
        f"/Users/{uid}",
        {
            "schemas": [PATCH],
            "Operations": [{"op": "replace", "value": {"id": uid, "name": {"familyName": "Doe"}}}],
        },
    )
    assert r.status_code == 200 and r.json()["name"] == {
        "givenName": "Another",
        "familyName": "Doe",
    }

    # Deactivate Users.
    r = client.patch(
        f"/Users/{uid}",
        {"schemas": [PATCH], "Operations": [{"op": "replace", "value": {"active": False}}]},
    )
    assert r.status_code == 200 and r.json()["active"] is False
    assert client.get(f"/Users/{uid}").json()["active"] is False  # kept, not deleted

    # Reactivation.
    r = client.patch(
        f"/Users/{uid}",
        {"schemas": [PATCH], "Operations": [{"op": "replace", "value": {"active": True}}]},
    )
    assert r.json()["active"] is True

    with runtime.db.read() as s:
        actions = s.scalars(
            sa.select(AuditEntry.action).where(AuditEntry.target_id == uid).order_by(AuditEntry.id)
        ).all()
        actors = set(s.scalars(sa.select(AuditEntry.actor).where(AuditEntry.target_id == uid)))
    assert actions == [
        "user.create",
        "user.update",
        "user.update",
        "user.deactivate",
        "user.reactivate",
    ]
    assert actors == {client.tenant.prefix}


def test_import_users_pages_through_everyone_once(client: Scim) -> None:
    ids = {client.create_user(f"user{i}@okta.local")["id"] for i in range(7)}
    seen: list[str] = []
    start = 1
    while True:
        page = client.get("/Users", params={"startIndex": start, "count": 3}).json()
        assert page["totalResults"] == 7 and page["startIndex"] == start
        seen += [u["id"] for u in page["Resources"]]
        if page["itemsPerPage"] < 3:
            break
        start += page["itemsPerPage"]
    assert len(seen) == 7 and set(seen) == ids


def test_push_groups(client: Scim) -> None:
    a = client.create_user("a@okta.local")["id"]
    b = client.create_user("b@okta.local")["id"]
    r = client.post("/Groups", {"schemas": [GROUP], "displayName": "Test SCIMv2", "members": []})
    assert r.status_code == 201, r.text
    gid = r.json()["id"]
    assert r.json()["members"] == []

    def members() -> set[str]:
        return {m["value"] for m in client.get(f"/Groups/{gid}").json().get("members", [])}

    # Rename, as Okta sends it (no path, id echoed).
    r = client.patch(
        f"/Groups/{gid}",
        {
            "schemas": [PATCH],
            "Operations": [{"op": "replace", "value": {"id": gid, "displayName": "Renamed"}}],
        },
    )
    assert r.status_code == 204, r.text
    assert client.get(f"/Groups/{gid}").json()["displayName"] == "Renamed"
    r = client.patch(
        f"/Groups/{gid}",
        {
            "schemas": [PATCH],
            "Operations": [
                {
                    "op": "add",
                    "path": "members",
                    "value": [
                        {"value": a, "display": "a@okta.local"},
                        {"value": b, "display": "b@okta.local"},
                    ],
                }
            ],
        },
    )
    assert r.status_code == 204 and members() == {a, b}
    r = client.patch(
        f"/Groups/{gid}",
        {"schemas": [PATCH], "Operations": [{"op": "remove", "path": f'members[value eq "{a}"]'}]},
    )
    assert r.status_code == 204 and members() == {b}
    r = client.patch(
        f"/Groups/{gid}",
        {
            "schemas": [PATCH],
            "Operations": [{"op": "replace", "path": "members", "value": [{"value": a}]}],
        },
    )
    assert members() == {a}
    found = client.get("/Groups", params={"filter": 'displayName eq "renamed"'}).json()
    assert [g["id"] for g in found["Resources"]] == [gid]
    assert client.delete(f"/Groups/{gid}").status_code == 204
    assert client.get(f"/Groups/{gid}").status_code == 404
