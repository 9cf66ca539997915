"""The three servers ``benchmarks/scim.py`` measures, as uvicorn factories:

- ``quickture``: the real backend (``backend.app.app_from_env``: every route, middleware and
  the access log, as shipped), on the SQLite database the benchmark prepared.
- ``scim2_server``: the ``scim2-server`` package from PyPI, its ASGI application over its
  in-memory storage (RFC 7643 default schemas), under ``/v2``.
- ``floor``: a bare Starlette app answering every SCIM path with a canned user (or list) body,
  the framework's floor: routing, one response, nothing else.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

USER = {
    "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
    "id": "6d1c1a5e0b7f4c1e9a0a1b2c3d4e5f60",
    "userName": "test.user@okta.local",
    "name": {"givenName": "Test", "familyName": "User"},
    "emails": [{"primary": True, "value": "test.user@okta.local", "type": "work"}],
    "displayName": "Test User",
    "locale": "en-US",
    "externalId": "00ujl29u0le5T6Aj10h7",
    "active": True,
    "meta": {
        "resourceType": "User",
        "created": "2026-12-03T18:00:00+00:00",
        "lastModified": "2026-12-03T18:00:00+00:00",
        "location": "http://127.0.0.1/scim/v2/Users/6d1c1a5e0b7f4c1e9a0a1b2c3d4e5f60",
        "version": 'W/"1"',
    },
}
ONE = json.dumps(USER).encode()
LIST = json.dumps({"schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"],
                   "totalResults": 1, "itemsPerPage": 1, "startIndex": 1,
                   "Resources": [USER]}).encode()  # fmt: skip
PAGE = json.dumps({"schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"],
                   "totalResults": 100, "itemsPerPage": 100, "startIndex": 1,
                   "Resources": [USER] * 100}).encode()  # fmt: skip
MEDIA = "application/scim+json"


def floor() -> Starlette:
    async def users(request: Request) -> Response:
        if request.method == "POST":
            await request.body()
            return Response(ONE, status_code=201, media_type=MEDIA)
        big = request.query_params.get("count") == "100" and "filter" not in request.query_params
        return Response(PAGE if big else LIST, media_type=MEDIA)

    async def user(request: Request) -> Response:
        await request.body()
        return Response(ONE, media_type=MEDIA)

    return Starlette(routes=[
        Route("/scim/v2/Users", users, methods=["GET", "POST"]),
        Route("/scim/v2/Users/{id}", user, methods=["GET", "PUT", "PATCH", "DELETE"]),
    ])  # fmt: skip


def scim2_server() -> Any:
    from scim2_server.applications.asgi import ASGIApplication
    from scim2_server.memory import AsyncInMemoryStorage, InMemoryStorage
    from scim2_server.utils import load_default_provider

    return ASGIApplication(AsyncInMemoryStorage(InMemoryStorage()), load_default_provider())


def quickture() -> Any:
    from backend.app import app_from_env

    return app_from_env()


def quickture_scim_only() -> Any:
    """Diagnostic: the same SCIM routes and database without the rest of the app (middleware,
    access log, other routes), to show what the SCIM code itself costs."""
    from backend.runtime import Runtime
    from backend.scim import ScimApi
    from backend.settings import Settings

    api = ScimApi(Runtime.open(Settings.from_env()))

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        yield
        await api.aclose()

    return Starlette(routes=api.routes(), lifespan=lifespan)
