"""PrefixMount: requests under the prefix go to the target (root_path set as a Mount would),
everything else to the wrapped app."""

from __future__ import annotations

from typing import Any

import httpx
from starlette.types import Receive, Scope, Send

from backend.web.prefix import PrefixMount


def answering(name: str) -> Any:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        body = f"{name} {scope['path']} {scope.get('root_path', '')}".encode()
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": body})

    return app


async def test_requests_under_the_prefix_reach_the_target() -> None:
    app = PrefixMount(answering("rest"), prefix="/scim/v2", target=answering("scim"))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        assert (await c.get("/scim/v2/Users")).text == "scim /scim/v2/Users /scim/v2"
        assert (await c.get("/scim/v2")).text == "scim /scim/v2 /scim/v2"
        assert (await c.get("/scim/v2x/Users")).text == "rest /scim/v2x/Users "
        assert (await c.get("/dashboard")).text == "rest /dashboard "
