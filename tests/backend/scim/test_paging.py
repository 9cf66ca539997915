"""Paging stays correct, with and without deletions (the keyset cursor and its fallbacks)."""

from __future__ import annotations

from backend.scim.paging import Cursors, Plan, plan
from tests.backend.scim.conftest import Scim


def test_plan() -> None:
    c = Cursors(size=2)
    key = ("conn", "user", "", 5)
    assert plan(c, key, start_index=1, dense=False) == Plan(after=0, offset=0)
    assert plan(c, key, start_index=5, dense=True) == Plan(after=4, offset=0)
    assert plan(c, key, start_index=5, dense=False) == Plan(after=None, offset=4)
    c.put(key, 17)
    assert plan(c, key, start_index=5, dense=False) == Plan(after=17, offset=0)
    c.put(("conn", "user", "", 9), 1)
    c.put(("conn", "user", "", 13), 2)
    assert len(c) == 2 and c.get(key) is None  # bounded: the oldest went


def import_all(client: Scim, count: int, **params: str) -> list[str]:
    seen: list[str] = []
    start = 1
    while True:
        page = client.get("/Users", params={"startIndex": start, "count": count, **params}).json()
        seen += [u["userName"] for u in page["Resources"]]
        if page["itemsPerPage"] < count:
            return seen
        start += count


def test_import_after_deletions_and_with_a_filter(client: Scim) -> None:
    ids = [client.create_user(f"u{i:02}@acme.test")["id"] for i in range(12)]
    for gone in (ids[0], ids[5], ids[6]):
        assert client.delete(f"/Users/{gone}").status_code == 204
    expected = [f"u{i:02}@acme.test" for i in range(12) if i not in (0, 5, 6)]
    assert import_all(client, 4) == expected  # cursors remembered page to page
    api_total = client.get("/Users", params={"count": 1}).json()["totalResults"]
    assert api_total == 9
    # A page asked for out of order (another process's import) falls back to OFFSET.
    page = client.get("/Users", params={"startIndex": 7, "count": 2}).json()
    assert [u["userName"] for u in page["Resources"]] == expected[6:8]
    assert import_all(client, 3, filter='userName sw "u0"') == [n for n in expected if n < "u1"]


def test_users_created_during_an_import_are_not_repeated(client: Scim) -> None:
    for i in range(6):
        client.create_user(f"a{i}@acme.test")
    first = client.get("/Users", params={"startIndex": 1, "count": 3}).json()
    client.create_user("late@acme.test")
    second = client.get("/Users", params={"startIndex": 4, "count": 3}).json()
    names = [u["userName"] for u in first["Resources"] + second["Resources"]]
    assert names == [f"a{i}@acme.test" for i in range(6)]
    assert second["totalResults"] == 7
