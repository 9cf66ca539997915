"""An in-process client for the Dashboard (httpx over ASGI) with an injectable Okta transport."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import httpx
import pytest

from backend.api.bearer import BearerAuth
from backend.app import create_app
from backend.dashboard import routes as dashboard_routes
from backend.runtime import Runtime
from backend.web import csrf, sessions

BASE = "http://127.0.0.1:8000"


class Okta:
    """A scripted Okta for the wizard and health checks: set ``handler``."""

    def __init__(self) -> None:
        self.handler: Callable[[httpx.Request], httpx.Response] = lambda r: httpx.Response(404)
        self.requests: list[httpx.Request] = []

    def client(self) -> httpx.Client:
        def handle(request: httpx.Request) -> httpx.Response:
            self.requests.append(request)
            return self.handler(request)

        return httpx.Client(transport=httpx.MockTransport(handle))


def discovery(issuer: str) -> dict[str, str]:
    return {
        "issuer": issuer,
        "authorization_endpoint": issuer + "/oauth2/v1/authorize",
        "token_endpoint": issuer + "/oauth2/v1/token",
        "jwks_uri": issuer + "/oauth2/v1/keys",
    }


@pytest.fixture
def okta() -> Okta:
    return Okta()


@pytest.fixture
async def web(runtime: Runtime, okta: Okta) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(runtime)
    # The same routes, but talking to the scripted Okta: put them first so they win.
    app.router.routes[:0] = dashboard_routes(
        runtime, app.state.pages, http=okta.client, bearer=BearerAuth(runtime)
    )
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url=BASE) as client:
        yield client


def sign_in(
    client: httpx.AsyncClient,
    rt: Runtime,
    org_id: str,
    *,
    admin_id: str | None = None,
    user_id: str | None = None,
) -> None:
    with rt.db.write() as s:
        value, _ = sessions.start(s, org_id=org_id, admin_id=admin_id, user_id=user_id)
    client.cookies.set(sessions.COOKIE, value)


async def csrf_token(client: httpx.AsyncClient, path: str = "/admin/login") -> str:
    r = await client.get(path)
    token = r.cookies.get(csrf.COOKIE) or client.cookies.get(csrf.COOKIE)
    assert token, "no CSRF cookie"
    return str(token)
