"""Tenant isolation: connection A's token never reads or changes connection B's users or
groups, whatever id, filter or member reference it uses."""

from __future__ import annotations

from backend.runtime import Runtime
from tests.backend.scim.conftest import Scim, make_tenant

PATCH = "urn:ietf:params:scim:api:messages:2.0:PatchOp"


def test_a_token_sees_and_touches_only_its_connection(
    client: Scim, runtime: Runtime, scim_app: tuple[str, object]
) -> None:
    b = Scim(scim_app[0], make_tenant(runtime, "Beta", "beta.test"))
    a_user = client.create_user("same@name.test")
    b_user = b.create_user("same@name.test")  # the same userName is fine in another tenant
    b_group = b.post("/Groups", {"displayName": "Editors", "members": [{"value": b_user["id"]}]})
    assert b_group.status_code == 201
    bg = b_group.json()["id"]
    bu = b_user["id"]

    # Reads.
    assert client.get(f"/Users/{bu}").status_code == 404
    assert client.get(f"/Groups/{bg}").status_code == 404
    listed = client.get("/Users").json()
    assert [u["id"] for u in listed["Resources"]] == [a_user["id"]] and listed["totalResults"] == 1
    for f in (f'id eq "{bu}"', 'userName eq "same@name.test"', "userName pr"):
        ids = [u["id"] for u in client.get("/Users", params={"filter": f}).json()["Resources"]]
        assert bu not in ids
    assert client.get("/Groups").json()["totalResults"] == 0
    assert (
        client.get("/Groups", params={"filter": 'displayName eq "Editors"'}).json()["Resources"]
        == []
    )

    # Writes.
    body = {"userName": "x@a.test", "name": {"givenName": "X", "familyName": "Y"}}
    assert client.put(f"/Users/{bu}", body).status_code == 404
    assert (
        client.patch(
            f"/Users/{bu}",
            {"schemas": [PATCH], "Operations": [{"op": "replace", "value": {"active": False}}]},
        ).status_code
        == 404
    )
    assert client.delete(f"/Users/{bu}").status_code == 404
    assert client.delete(f"/Groups/{bg}").status_code == 404
    assert (
        client.patch(
            f"/Groups/{bg}",
            {"Operations": [{"op": "add", "path": "members", "value": [{"value": a_user["id"]}]}]},
        ).status_code
        == 404
    )

    # A's group cannot take B's user as a member (ignored, not linked).
    ga = client.post("/Groups", {"displayName": "Editors", "members": [{"value": bu}]})
    assert ga.status_code == 201 and ga.json()["members"] == []
    client.patch(
        f"/Groups/{ga.json()['id']}",
        {
            "Operations": [
                {"op": "add", "path": "members", "value": [{"value": bu}, {"value": a_user["id"]}]}
            ]
        },
    )
    got = client.get(f"/Groups/{ga.json()['id']}").json()
    assert [m["value"] for m in got["members"]] == [a_user["id"]]

    # B is untouched.
    assert b.get(f"/Users/{bu}").json() == b_user
    assert [m["value"] for m in b.get(f"/Groups/{bg}").json()["members"]] == [bu]
    b.http.close()
