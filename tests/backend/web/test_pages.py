"""The shared page machinery: error pages, security headers, CSRF, 404s without tracebacks."""

from __future__ import annotations

import httpx
import pytest
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from backend.app import create_app
from backend.web import csrf


def _app_with(runtime, *routes):
    app = create_app(runtime)
    app.router.routes.extend(routes)
    return app


async def _client(app):
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://127.0.0.1:8000"
    )


async def test_unknown_page_is_a_friendly_404_with_security_headers(runtime):
    async with await _client(create_app(runtime)) as client:
        r = await client.get("/no/such/page")
    assert r.status_code == 404
    assert "Page not found" in r.text and "Traceback" not in r.text
    csp = r.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in csp and "'unsafe-inline'" not in csp
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["referrer-policy"] == "no-referrer"


async def test_crash_is_a_500_page_without_traceback(runtime):
    def boom(request: Request) -> Response:
        raise RuntimeError("secret internals")

    app = _app_with(runtime, Route("/boom", boom))
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8000") as c:
        r = await c.get("/boom")
    assert r.status_code == 500
    assert "secret internals" not in r.text and "Something went wrong" in r.text


@pytest.mark.parametrize("case", ["ok", "no-field", "wrong-field", "foreign-origin"])
async def test_csrf_double_submit(runtime, case):
    async def form(request: Request) -> Response:
        if request.method == "GET":
            return request.app.state.pages.error(request, title="t", message="m", status=200)
        try:
            await csrf.verify(request, runtime.settings)
        except csrf.CsrfError as exc:
            return Response(str(exc), status_code=403)
        return Response("accepted")

    app = _app_with(runtime, Route("/form", form, methods=["GET", "POST"]))
    async with await _client(app) as client:
        first = await client.get("/form")
        token = first.cookies[csrf.COOKIE]
        data = {
            "ok": {"csrf_token": token},
            "no-field": {},
            "wrong-field": {"csrf_token": "x" * 43},
            "foreign-origin": {"csrf_token": token},
        }[case]
        headers = {"origin": "https://evil.example"} if case == "foreign-origin" else {}
        r = await client.post("/form", data=data, headers=headers)
    assert (r.status_code == 200) == (case == "ok"), r.text
