"""A SCIM tenant per test: an organization, a connection and its bearer token, and the SCIM
routes served on a real 127.0.0.1 socket (a tiny Starlette app with only ``ScimApi.routes()``)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from backend import scim
from backend.domain import connections, orgs, scim_tokens
from backend.runtime import Runtime
from tests.helpers.servers import serve_asgi

SCIM_JSON = "application/scim+json"


@dataclass
class Tenant:
    org_id: str
    connection_id: str
    token: str
    prefix: str


def make_tenant(rt: Runtime, name: str = "Acme", domain: str = "acme.test") -> Tenant:
    with rt.db.write() as s:
        org = orgs.create_org(s, name, [domain], actor="test")
        conn = connections.create_connection(
            s,
            rt.box,
            org_id=org.id,
            issuer="https://acme.okta.com",
            client_id="cid",
            client_secret="secret",
            actor="test",
        )
        tok = scim_tokens.create_token(s, conn.id, actor="test")
    return Tenant(org.id, conn.id, tok.token, tok.info.display_prefix)


class Scim:
    """An httpx client on ``/scim/v2`` with the tenant's token."""

    def __init__(self, base_url: str, tenant: Tenant) -> None:
        self.base = base_url + "/scim/v2"
        self.tenant = tenant
        self.http = httpx.Client(
            base_url=self.base,
            headers={"Authorization": f"Bearer {tenant.token}", "Content-Type": SCIM_JSON},
            timeout=10,
        )

    def get(self, path: str, **kw: Any) -> httpx.Response:
        return self.http.get(path, **kw)

    def post(self, path: str, body: Any, **kw: Any) -> httpx.Response:
        return self.http.post(path, json=body, **kw)

    def put(self, path: str, body: Any, **kw: Any) -> httpx.Response:
        return self.http.put(path, json=body, **kw)

    def patch(self, path: str, body: Any, **kw: Any) -> httpx.Response:
        return self.http.patch(path, json=body, **kw)

    def delete(self, path: str, **kw: Any) -> httpx.Response:
        return self.http.delete(path, **kw)

    def create_user(self, user_name: str, **extra: Any) -> dict[str, Any]:
        body = {
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
            "userName": user_name,
            "name": {"givenName": "Given", "familyName": "Family"},
            "emails": [{"primary": True, "value": user_name, "type": "work"}],
            "active": True,
            **extra,
        }
        r = self.post("/Users", body)
        assert r.status_code == 201, r.text
        return dict(r.json())


@pytest.fixture
def scim_app(runtime: Runtime) -> Iterator[tuple[str, scim.ScimApi]]:
    api = scim.ScimApi(runtime)
    with serve_asgi(lambda _base: Starlette(routes=api.routes())) as base_url:
        yield base_url, api
    api.close()  # nothing left writing when the database closes


@pytest.fixture
def tenant(runtime: Runtime) -> Tenant:
    return make_tenant(runtime)


@pytest.fixture
def client(scim_app: tuple[str, scim.ScimApi], tenant: Tenant) -> Iterator[Scim]:
    c = Scim(scim_app[0], tenant)
    yield c
    c.http.close()
