"""The SCIM lane of the real app: SCIM requests skip Starlette's middleware stack, yet every one
gets what the middleware gives the others (request id, security headers, access-log line,
metrics), and the rest of the site is served as before. A real uvicorn on 127.0.0.1."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator

import httpx
import pytest
from prometheus_client import REGISTRY

from backend.app import create_app
from backend.observability.middleware import LOGGER_NAME
from backend.runtime import Runtime
from backend.scim.http import ScimApi
from tests.backend.scim.conftest import Tenant, make_tenant
from tests.helpers.servers import serve_asgi


class Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.lines: list[dict[str, object]] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(json.loads(record.getMessage()))

    def of(self, request_id: str) -> list[dict[str, object]]:
        """The lines of one request: written once its reply is sent, so maybe just after the
        client has it."""
        deadline = time.monotonic() + 5
        while not (found := [x for x in self.lines if x["request_id"] == request_id]):
            if time.monotonic() > deadline:
                return []
            time.sleep(0.01)  # allow-sleep: bounded wait for the server thread's log line
        return found


@pytest.fixture
def lines() -> Iterator[Lines]:
    handler = Lines()
    logger = logging.getLogger(LOGGER_NAME)
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        yield handler
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


@pytest.fixture
def site(runtime: Runtime) -> Iterator[tuple[httpx.Client, Tenant]]:
    tenant = make_tenant(runtime)
    with (
        serve_asgi(lambda _base: create_app(runtime)) as base_url,
        httpx.Client(base_url=base_url, timeout=10) as http,
    ):
        yield http, tenant


def _auth(tenant: Tenant) -> dict[str, str]:
    return {"Authorization": f"Bearer {tenant.token}"}


def _count(family: str, method: str, status: int) -> float:
    labels = {"family": family, "method": method, "status": str(status)}
    return REGISTRY.get_sample_value("quickture_http_requests_total", labels) or 0.0


def test_scim_replies_carry_the_request_id_and_the_security_headers(site) -> None:  # type: ignore[no-untyped-def]
    http, tenant = site
    for r in (
        http.get("/scim/v2/ServiceProviderConfig", headers={"X-Request-ID": "okta-7f3a"}),
        http.get("/scim/v2/Users/nobody", headers={**_auth(tenant), "X-Request-ID": "okta-7f3a"}),
        http.get("/scim/v2/Users", headers={"X-Request-ID": "okta-7f3a"}),  # no token: 401
    ):
        assert r.headers["x-request-id"] == "okta-7f3a"
        assert r.headers.get_list("x-request-id") == ["okta-7f3a"]
        # OWASP's headers for a JSON API: no caching of people's data, no framing, no sniffing
        assert r.headers["content-security-policy"] == "frame-ancestors 'none'"
        assert r.headers["x-content-type-options"] == "nosniff"
        assert r.headers["x-frame-options"] == "DENY"
        assert r.headers["cache-control"] == "no-store"
        assert "permissions-policy" not in r.headers  # a page's, not an API's
        assert r.headers["content-type"] == "application/scim+json"
    assert r.status_code == 401 and r.headers["www-authenticate"].startswith("Bearer")
    bad = http.get("/scim/v2/Users", headers={"X-Request-ID": "no spaces allowed"})
    made = http.get("/scim/v2/Users")
    assert bad.headers["x-request-id"] != "no spaces allowed"
    assert len({bad.headers["x-request-id"], made.headers["x-request-id"]}) == 2


def test_scim_requests_are_logged_by_route_and_counted(site, lines: Lines) -> None:  # type: ignore[no-untyped-def]
    http, tenant = site
    before = _count("scim", "GET", 404)
    r = http.get("/scim/v2/Users/u-secret-id", headers={**_auth(tenant), "X-Request-ID": "p-1"})
    assert r.status_code == 404
    mine = lines.of("p-1")
    assert len(mine) == 1
    line = mine[0]
    assert line["route"] == "/scim/v2/Users/{id}"
    assert (line["family"], line["method"], line["status"]) == ("scim", "GET", 404)
    assert isinstance(line["duration_ms"], float) and line["client"] == "127.0.0.1"
    assert "u-secret-id" not in json.dumps(line) and tenant.token not in json.dumps(line)
    assert _count("scim", "GET", 404) == before + 1


def test_the_rest_of_the_site_still_goes_through_the_middleware(site) -> None:  # type: ignore[no-untyped-def]
    http, _ = site
    for path, status in (("/healthz", 200), ("/scim/v2x/Users", 404), ("/scim", 404)):
        r = http.get(path, headers={"X-Request-ID": "site-1"})
        assert r.status_code == status, path
        assert r.headers["x-request-id"] == "site-1"
        assert "content-security-policy" in r.headers
        assert "no SCIM endpoint" not in r.text, path  # Starlette's answer, not the SCIM app's
    assert "no SCIM endpoint" in http.get("/scim/v2/Nope").text


def test_an_unexpected_failure_is_a_logged_scim_500(site, lines: Lines, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    http, tenant = site

    async def broken(*_args: object) -> None:
        raise RuntimeError("the dispatcher broke")

    monkeypatch.setattr(ScimApi, "_dispatch", broken)
    r = http.get("/scim/v2/Users", headers={**_auth(tenant), "X-Request-ID": "boom-1"})
    assert r.status_code == 500
    assert r.json()["schemas"] == ["urn:ietf:params:scim:api:messages:2.0:Error"]
    assert "the dispatcher broke" not in r.text
    assert r.headers["x-request-id"] == "boom-1" and "content-security-policy" in r.headers
    assert [x["status"] for x in lines.of("boom-1")] == [500]
