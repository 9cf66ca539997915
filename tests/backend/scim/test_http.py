"""The /scim/v2 endpoints end to end on a real socket: auth, users, errors, limits, ETags."""

from __future__ import annotations

import httpx

from backend.scim.http import MAX_BODY
from tests.backend.scim.conftest import SCIM_JSON, Scim

ERROR = "urn:ietf:params:scim:api:messages:2.0:Error"


def test_create_get_and_lookup_a_user(client: Scim) -> None:
    user = client.create_user("ada@acme.test", displayName="Ada Lovelace")
    assert user["userName"] == "ada@acme.test"
    assert user["meta"]["resourceType"] == "User"
    assert "password" not in user
    r = client.get(f"/Users/{user['id']}")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith(SCIM_JSON)
    assert r.headers["etag"] == 'W/"1"'
    assert r.json() == user
    r = client.get("/Users", params={"filter": 'userName eq "ADA@acme.test"'})
    body = r.json()
    assert body["totalResults"] == 1 and body["itemsPerPage"] == 1 and body["startIndex"] == 1
    assert body["Resources"][0]["id"] == user["id"]
    r = client.get("/Users", params={"filter": 'userName eq "nobody@acme.test"'})
    assert r.json()["totalResults"] == 0 and r.json()["Resources"] == []
