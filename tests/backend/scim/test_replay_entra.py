"""Microsoft Entra ID's provisioning requests, replayed from Microsoft's public guide
("Tutorial: Develop and plan provisioning for a SCIM endpoint", learn.microsoft.com), with
Entra's quirks: capitalised ops, string booleans, value-filter paths, URN-qualified
extension paths, members removed by value, DELETE."""

from __future__ import annotations

from tests.backend.scim.conftest import Scim

USER = "urn:ietf:params:scim:schemas:core:2.0:User"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
PATCH = "urn:ietf:params:scim:api:messages:2.0:PatchOp"

ENTRA_CREATE = {
    "schemas": [USER, ENTERPRISE],
    "externalId": "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef",
    "userName": "Test_User_ab6490ee-1e48-479e-a20b-2d77186b5dd1",
    "active": True,
    "emails": [
        {
            "primary": True,
            "type": "work",
            "value": "Test_User_fd0ea19b-0777-472c-9f96-4f70d2226f2e@testuser.com",
        }
    ],
    "meta": {"resourceType": "User"},
    "name": {
        "formatted": "givenName familyName",
        "familyName": "familyName",
        "givenName": "givenName",
    },
    "roles": [],
}


def ops(*operations: dict[str, object]) -> dict[str, object]:
    return {"schemas": [PATCH], "Operations": list(operations)}


def test_user_lifecycle(client: Scim) -> None:
    r = client.post("/Users", ENTRA_CREATE)
    assert r.status_code == 201, r.text
    user = r.json()
    uid = user["id"]
    assert user["name"]["formatted"] == "givenName familyName" and "roles" not in user

    # Get user by query, and a query with zero results.
    q = client.get("/Users", params={"filter": f'userName eq "{ENTRA_CREATE["userName"]}"'})
    assert [u["id"] for u in q.json()["Resources"]] == [uid]
    q = client.get("/Users", params={"filter": 'userName eq "non-existent user"'})
    assert q.json()["totalResults"] == 0
    q = client.get("/Users", params={"filter": f'externalId eq "{ENTRA_CREATE["externalId"]}"'})
    assert q.json()["totalResults"] == 1

    # Update user [multi-valued properties].
    r = client.patch(
        f"/Users/{uid}",
        ops(
            {
                "op": "Replace",
                "path": 'emails[type eq "work"].value',
                "value": "updatedEmail@microsoft.com",
            },
            {"op": "Replace", "path": "name.familyName", "value": "updatedFamilyName"},
        ),
    )
    assert r.status_code == 200, r.text
    assert r.json()["emails"] == [
        {"primary": True, "type": "work", "value": "updatedEmail@microsoft.com"}
    ]
    assert r.json()["name"]["familyName"] == "updatedFamilyName"
    q = client.get("/Users", params={"filter": 'emails.value eq "UPDATEDEMAIL@microsoft.com"'})
    assert q.json()["totalResults"] == 1

    # Update user [single-valued properties].
    r = client.patch(
        f"/Users/{uid}",
        ops(
            {
                "op": "Replace",
                "path": "userName",
                "value": "5b50642d-79fc-4410-9e90-4c077cdd1a59@testuser.com",
            }
        ),
    )
    assert r.json()["userName"] == "5b50642d-79fc-4410-9e90-4c077cdd1a59@testuser.com"

    # The enterprise extension by URN-qualified path, and attributes we do not keep.
    r = client.patch(
        f"/Users/{uid}",
        ops(
            {"op": "Add", "path": f"{ENTERPRISE}:department", "value": "Sales"},
            {"op": "Add", "path": f"{ENTERPRISE}:manager", "value": "26118915-6090-4610-87e4"},
            {"op": "Add", "path": 'phoneNumbers[type eq "work"].value', "value": "+1 555 0100"},
            {
                "op": "Replace",
                "value": {
                    "displayName": "Entra User",
                    "name.givenName": "Ada",
                    f"{ENTERPRISE}:organization": "Contoso",
                },
            },
        ),
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body[ENTERPRISE] == {"department": "Sales", "organization": "Contoso"}
    assert ENTERPRISE in body["schemas"]
    assert body["displayName"] == "Entra User" and body["name"]["givenName"] == "Ada"
    assert "phoneNumbers" not in body

    # Disable user, with Entra's string boolean.
    r = client.patch(f"/Users/{uid}", ops({"op": "Replace", "path": "active", "value": "False"}))
    assert r.status_code == 200 and r.json()["active"] is False

    # Delete user.
    assert client.delete(f"/Users/{uid}").status_code == 204
    gone = client.get(f"/Users/{uid}")
    assert gone.status_code == 404 and gone.json()["status"] == "404"
    assert client.delete(f"/Users/{uid}").status_code == 404


def test_group_lifecycle(client: Scim) -> None:
    member = client.create_user("member@contoso.test")["id"]
    r = client.post(
        "/Groups",
        {
            "schemas": [
                GROUP,
                "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group",
            ],
            "externalId": "8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159",
            "displayName": "displayName",
            "meta": {"resourceType": "Group"},
        },
    )
    assert r.status_code == 201, r.text
    gid = r.json()["id"]

    r = client.get(f"/Groups/{gid}", params={"excludedAttributes": "members"})
    assert r.status_code == 200 and "members" not in r.json()
    r = client.get(
        "/Groups",
        params={"excludedAttributes": "members", "filter": 'displayName eq "displayName"'},
    )
    assert [g["id"] for g in r.json()["Resources"]] == [gid]

    r = client.patch(
        f"/Groups/{gid}",
        ops({"op": "Replace", "path": "displayName", "value": "updatedDisplayName"}),
    )
    assert r.status_code == 204, r.text
    r = client.patch(
        f"/Groups/{gid}",
        ops({"op": "Add", "path": "members", "value": [{"$ref": None, "value": member}]}),
    )
    assert r.status_code == 204
    got = client.get(f"/Groups/{gid}").json()
    assert got["displayName"] == "updatedDisplayName"
    assert [m["value"] for m in got["members"]] == [member]
    r = client.get("/Groups", params={"filter": f'members[value eq "{member}"]'})
    assert r.json()["totalResults"] == 1
    r = client.patch(
        f"/Groups/{gid}",
        ops({"op": "Remove", "path": "members", "value": [{"$ref": None, "value": member}]}),
    )
    assert r.status_code == 204
    assert client.get(f"/Groups/{gid}").json()["members"] == []
    assert client.delete(f"/Groups/{gid}").status_code == 204
