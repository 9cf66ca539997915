"""``PrefixMount``: a pure ASGI middleware that hands every request under one path prefix to
another ASGI app, ahead of Starlette's exception layer and router.

For ``/scim/v2``: an identity provider sends far more requests than people do, the SCIM app
turns every error into SCIM error JSON itself, and its requests then skip the router's
route-by-route matching and the exception wrappers. Middleware listed before this one (access
log, security headers) still sees them.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

__all__ = ["PrefixMount"]


class PrefixMount:
    def __init__(self, app: ASGIApp, *, prefix: str, target: ASGIApp) -> None:
        self.app = app
        self.prefix = prefix.rstrip("/")
        self.target = target

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "") if scope["type"] == "http" else ""
        if path == self.prefix or path.startswith(self.prefix + "/"):
            # As Starlette's Mount does: the full path stays, root_path gains the prefix (in
            # place, so the access log outside sees the route the target records).
            scope["root_path"] = scope.get("root_path", "") + self.prefix
            await self.target(scope, receive, send)
        else:
            await self.app(scope, receive, send)
