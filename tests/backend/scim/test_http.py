"""The /scim/v2 endpoints end to end on a real socket: auth, users, errors, limits, ETags."""

from __future__ import annotations

from urllib.parse import parse_qsl, quote

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from backend.scim.http import MAX_BODY, _query
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


def test_auth_failures_are_401_with_scim_error(client: Scim, runtime) -> None:
    from backend.domain import connections, scim_tokens

    uid = client.create_user("ada@acme.test")["id"]
    # The plain list checks the token on its own; a user by id and the userName look-up check
    # it in the same statement as the read: every one of them must refuse alike.
    reads = [
        ("/Users", {}),
        (f"/Users/{uid}", {}),
        ("/Users", {"filter": 'userName eq "ada@acme.test"'}),
    ]

    def statuses(http: httpx.Client, **kw: object) -> list[int]:
        out = []
        for path, params in reads:
            r = http.get(path, params=params, **kw)  # type: ignore[arg-type]
            if r.status_code == 401:
                assert r.headers["www-authenticate"].startswith("Bearer")
                assert r.json()["schemas"] == [ERROR] and r.json()["status"] == "401"
            out.append(r.status_code)
        return out

    bare = httpx.Client(base_url=client.base, timeout=10)
    for headers in (
        {},
        {"Authorization": "Bearer qtscim_wrong"},
        {"Authorization": "Basic dXNlcjpwYXNz"},
        {"Authorization": "Bearer " + client.tenant.token[:-1]},
    ):
        assert statuses(bare, headers=headers) == [401, 401, 401], headers
    assert statuses(client.http) == [200, 200, 200]
    with runtime.db.write() as s:
        (tok,) = scim_tokens.list_tokens(s, client.tenant.connection_id)
        scim_tokens.delete_token(s, tok.id, actor="test")
    assert statuses(client.http) == [401, 401, 401]
    with runtime.db.write() as s:
        new = scim_tokens.create_token(s, client.tenant.connection_id, actor="test")
    client.http.headers["Authorization"] = f"Bearer {new.token}"
    assert statuses(client.http) == [200, 200, 200]
    assert client.get("/Users/" + "0" * 32).status_code == 404  # a valid token, no such user
    with runtime.db.write() as s:
        connections.delete_connection(s, client.tenant.connection_id, actor="test")
    assert statuses(client.http) == [401, 401, 401]
    # Discovery describes the service, not a tenant: no token needed.
    assert bare.get("/ServiceProviderConfig").status_code == 200
    bare.close()


def test_errors_have_status_and_scim_type(client: Scim) -> None:
    def check(r: httpx.Response, status: int, scim_type: str | None) -> None:
        assert r.status_code == status, r.text
        assert r.headers["content-type"].startswith(SCIM_JSON)
        body = r.json()
        assert body["schemas"] == [ERROR] and body["status"] == str(status)
        assert body.get("scimType") == scim_type

    uid = client.create_user("ada@acme.test")["id"]
    check(client.get("/Users", params={"filter": 'userName eq "x" and'}), 400, "invalidFilter")
    check(client.get("/Users", params={"filter": 'title eq "x"'}), 400, "invalidFilter")
    check(client.get("/Users", params={"filter": "active gt true"}), 400, "invalidFilter")
    check(client.get("/Users", params={"count": "many"}), 400, "invalidValue")
    check(client.http.post("/Users", content=b"{not json"), 400, "invalidSyntax")
    check(client.post("/Users", {"userName": "x@acme.test"}), 400, "invalidValue")
    check(
        client.post("/Users", {"userName": 7, "name": {"givenName": "a", "familyName": "b"}}),
        400,
        "invalidValue",
    )
    check(client.patch(f"/Users/{uid}", {"Operations": [{"op": "jump"}]}), 400, "invalidSyntax")
    check(client.patch(f"/Users/{uid}", {"Operations": [{"op": "remove"}]}), 400, "noTarget")
    check(
        client.patch(
            f"/Users/{uid}", {"Operations": [{"op": "add", "path": "emails[type eq", "value": "x"}]}
        ),
        400,
        "invalidPath",
    )
    check(
        client.patch(
            f"/Users/{uid}", {"Operations": [{"op": "replace", "path": "id", "value": "x"}]}
        ),
        400,
        "mutability",
    )
    check(
        client.patch(
            f"/Users/{uid}",
            {
                "Operations": [
                    {"op": "replace", "path": 'emails[type eq "home" or value co "x"]', "value": {}}
                ]
            },
        ),
        400,
        "noTarget",
    )
    # A userName taken by another user: the unique index decides, on create and on rename
    # (case-insensitively), and the refused request changes nothing.
    other = client.create_user("grace@acme.test")
    check(
        client.post(
            "/Users", {"userName": "ADA@acme.test", "name": {"givenName": "a", "familyName": "b"}}
        ),
        409,
        "uniqueness",
    )
    rename = {"Operations": [{"op": "replace", "path": "userName", "value": "Ada@Acme.test"}]}
    check(client.patch(f"/Users/{other['id']}", rename), 409, "uniqueness")
    put = {"userName": "ada@ACME.test", "name": {"givenName": "g", "familyName": "h"}}
    check(client.put(f"/Users/{other['id']}", put), 409, "uniqueness")
    assert client.get(f"/Users/{other['id']}").json() == other
    assert (
        client.get("/Users", params={"filter": 'userName eq "ada@acme.test"'}).json()[
            "totalResults"
        ]
        == 1
    )
    check(client.get("/Users/nope"), 404, None)
    check(client.get("/Nope"), 404, None)
    check(client.http.post(f"/Users/{uid}", json={}), 405, None)
    check(
        client.http.post(
            "/Users",
            content=b"userName=x",
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        ),
        415,
        None,
    )
    big = b'{"userName": "' + b"x" * MAX_BODY + b'"}'
    check(client.http.post("/Users", content=big), 413, None)
    check(client.http.post("/Bulk", json={}), 501, None)


def test_json_content_type_is_accepted_too(client: Scim) -> None:
    r = client.http.post(
        "/Users",
        headers={"Content-Type": "application/json"},
        json={"userName": "plain@acme.test", "name": {"givenName": "P", "familyName": "J"}},
    )
    assert r.status_code == 201
    assert r.json()["active"] is True


def test_etags(client: Scim) -> None:
    user = client.create_user("ada@acme.test")
    uid = user["id"]
    r = client.get(f"/Users/{uid}", headers={"If-None-Match": 'W/"1"'})
    assert r.status_code == 304 and r.content == b""
    patch = {"Operations": [{"op": "replace", "path": "displayName", "value": "Ada"}]}
    assert client.patch(f"/Users/{uid}", patch, headers={"If-Match": 'W/"9"'}).status_code == 412
    r = client.patch(f"/Users/{uid}", patch, headers={"If-Match": 'W/"1"'})
    assert r.status_code == 200 and r.headers["etag"] == 'W/"2"'
    # A PATCH that changes nothing keeps the version.
    assert client.patch(f"/Users/{uid}", patch).headers["etag"] == 'W/"2"'
    assert client.delete(f"/Users/{uid}", headers={"If-Match": 'W/"1"'}).status_code == 412
    assert client.delete(f"/Users/{uid}", headers={"If-Match": 'W/"2"'}).status_code == 204


def test_password_is_never_returned_or_stored(client: Scim, runtime) -> None:
    import sqlalchemy as sa

    from backend.store.models import ScimUser

    user = client.create_user("pw@acme.test", password="s3cret-Pa55")
    r = client.patch(
        f"/Users/{user['id']}",
        {"Operations": [{"op": "replace", "path": "password", "value": "n3w-s3cret"}]},
    )
    assert r.status_code == 200 and "password" not in r.json()
    assert "password" not in client.get(f"/Users/{user['id']}").json()
    with runtime.db.read() as s:
        row = s.get(ScimUser, user["id"])
        assert row is not None and row.password_hash is None
        assert "s3cret" not in repr(row.emails) + repr(
            s.execute(sa.text("select * from scim_users")).all()
        )


def test_concurrent_create_of_the_same_user_name(client: Scim, runtime) -> None:
    import threading

    import sqlalchemy as sa

    from backend.store.models import ScimUser

    body = {"userName": "race@acme.test", "name": {"givenName": "R", "familyName": "C"}}
    barrier = threading.Barrier(2)
    results: list[int] = []

    def create() -> None:
        with httpx.Client(base_url=client.base, headers=dict(client.http.headers)) as c:
            barrier.wait()
            results.append(c.post("/Users", json=body).status_code)

    threads = [threading.Thread(target=create) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert sorted(results) == [201, 409]
    with runtime.db.read() as s:
        n = s.scalar(
            sa.select(sa.func.count())
            .select_from(ScimUser)
            .where(ScimUser.user_name_norm == "race@acme.test")
        )
    assert n == 1


def test_attributes_and_excluded_attributes(client: Scim) -> None:
    ent = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
    user = client.create_user(
        "ada@acme.test", **{ent: {"department": "Post", "organization": "Acme"}}
    )
    r = client.get(
        f"/Users/{user['id']}", params={"attributes": f"userName,name.givenName,{ent}:department"}
    )
    assert r.json() == {
        "schemas": user["schemas"],
        "id": user["id"],
        "userName": "ada@acme.test",
        "name": {"givenName": "Given"},
        ent: {"department": "Post"},
    }
    r = client.get("/Users", params={"excludedAttributes": "emails,meta,name,id"})
    (one,) = r.json()["Resources"]
    assert "emails" not in one and "meta" not in one and one["id"] == user["id"]


def test_count_is_capped_and_zero_counts(client: Scim) -> None:
    for i in range(3):
        client.create_user(f"u{i}@acme.test")
    r = client.get("/Users", params={"count": 0}).json()
    assert r["totalResults"] == 3 and r["Resources"] == [] and r["itemsPerPage"] == 0
    r = client.get("/Users", params={"count": 100000, "startIndex": -5}).json()
    assert r["itemsPerPage"] == 3 and r["startIndex"] == 1
    r = client.get("/Users", params={"filter": 'userName sw "u"', "count": 2, "startIndex": 2})
    assert r.json()["totalResults"] == 3 and r.json()["itemsPerPage"] == 2


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda kids: (
        st.lists(kids, max_size=3) | st.dictionaries(st.text(max_size=8), kids, max_size=4)
    ),
    max_leaves=10,
)
_user_keys = st.sampled_from(
    [
        "userName",
        "name",
        "emails",
        "active",
        "displayName",
        "locale",
        "externalId",
        "password",
        "groups",
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User",
        "id",
        "meta",
        "schemas",
    ]
)
_bodies = st.one_of(_json, st.dictionaries(_user_keys, _json, max_size=6))


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(create=_bodies, patch=_bodies, filt=st.text(max_size=30))
def test_random_input_is_never_a_server_error(
    client: Scim, create: object, patch: object, filt: str
) -> None:
    if "probe" not in client.tenant.__dict__:  # one user for every example
        client.tenant.__dict__["probe"] = client.create_user("probe@acme.test")["id"]
    uid = client.tenant.__dict__["probe"]
    assert client.post("/Users", create).status_code < 500
    assert client.put(f"/Users/{uid}", create).status_code < 500
    assert client.patch(f"/Users/{uid}", patch).status_code < 500
    assert client.patch(f"/Users/{uid}", {"Operations": [patch]}).status_code < 500
    assert client.post("/Groups", create).status_code < 500
    assert client.get("/Users", params={"filter": filt}).status_code < 500


@settings(max_examples=500, deadline=None)
@given(
    st.lists(st.tuples(st.text(), st.text()), max_size=5),
    st.sampled_from(["", "&", "&&"]),
    st.booleans(),
)
def test_query_parameters_read_as_starlette_reads_them(
    pairs: list[tuple[str, str]], tail: str, quoted: bool
) -> None:
    """The SCIM app's own query parser (it decodes only what needs it) agrees with
    ``parse_qsl`` as Starlette calls it, on quoted and raw, repeated and blank parameters."""
    if quoted:
        text = "&".join(f"{quote(a)}={quote(b)}" for a, b in pairs) + tail
    else:
        text = tail.join(f"{a}={b}" for a, b in pairs)
    raw = text.encode()
    assert _query(raw) == dict(parse_qsl(raw.decode("latin-1"), keep_blank_values=True))


def _stored(runtime, user_id: str) -> dict[str, object]:  # type: ignore[no-untyped-def]
    from backend.scim.resources import USER_COLUMNS
    from backend.store.models import ScimUser

    with runtime.db.read() as s:
        row = s.get(ScimUser, user_id)
        assert row is not None
        return {c: getattr(row, c) for c in USER_COLUMNS}


@pytest.mark.parametrize("shapes", [256, 0])  # 0: past the cache of compiled shapes
def test_an_update_writes_what_changed_and_what_derives_from_it(
    client: Scim, runtime, monkeypatch, shapes: int
) -> None:  # type: ignore[no-untyped-def]
    """A PUT or PATCH sets only the columns that changed; the lower-cased userName and the
    primary email's columns follow their sources, so every look-up sees the new values."""
    from backend.scim import users
    from backend.scim.resources import user_columns

    monkeypatch.setattr(users, "_UPDATE_SHAPES", shapes)
    monkeypatch.setattr(users, "_UPDATES", {})
    user = client.create_user("Old.Name@acme.test", externalId="ext-1", locale="en-US")
    body = {
        **{k: v for k, v in user.items() if k not in ("id", "meta")},
        "userName": "New.Name@acme.test",
        "emails": [{"value": "New.Mail@acme.test", "type": "work", "primary": True}],
        "name": {"givenName": "Nova", "familyName": "Family"},
    }
    r = client.put(f"/Users/{user['id']}", body)
    assert r.status_code == 200, r.text
    assert _stored(runtime, user["id"]) == {**user_columns(body), "active": True}

    def found(flt: str) -> int:
        return int(client.get("/Users", params={"filter": flt}).json()["totalResults"])

    assert found('userName eq "NEW.NAME@acme.test"') == 1
    assert found('userName eq "old.name@acme.test"') == 0
    assert found('emails.value eq "new.mail@ACME.test"') == 1
    assert found('externalId eq "ext-1"') == 1  # untouched, still found
    patched = client.patch(
        f"/Users/{user['id']}",
        {"Operations": [{"op": "replace", "path": "userName", "value": "Third@acme.test"}]},
    )
    assert patched.status_code == 200, patched.text
    assert found('userName eq "third@ACME.test"') == 1
    assert _stored(runtime, user["id"])["user_name_norm"] == "third@acme.test"
    assert client.get(f"/Users/{user['id']}").json()["name"]["givenName"] == "Nova"


def test_every_stored_user_column_is_read_back_or_derived_from_one_that_is() -> None:
    """What an update compares (the row it read) must cover every column it may write."""
    from backend.scim import users
    from backend.scim.resources import USER_COLUMNS

    read = {c.key for c in users.ROW.selected_columns}
    derived = {d: source for source, ds in users._DERIVED.items() for d in ds}
    for column in USER_COLUMNS:
        assert column in read or derived.get(column) in read, column
