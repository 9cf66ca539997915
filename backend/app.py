"""The Starlette application, built from lists: every capability contributes its routes."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.responses import RedirectResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from backend import health, observability, sso
from backend.api.bearer import BearerAuth
from backend.dashboard import routes as dashboard_routes
from backend.errors import exception_handlers
from backend.observability.middleware import RequestObservabilityMiddleware
from backend.runtime import Runtime
from backend.scim import ScimApi
from backend.scim.http import PREFIX
from backend.settings import Settings
from backend.web.pages import Pages
from backend.web.prefix import PrefixMount
from backend.web.security import SecurityHeadersMiddleware

__all__ = ["app_from_env", "create_app"]


def create_app(rt: Runtime) -> Starlette:
    pages = Pages(rt)
    bearer = BearerAuth(rt)  # the panel's access tokens, for /api/v1 and downloads
    scim_api = ScimApi(rt)
    routes = [
        Route("/", lambda request: RedirectResponse("/dashboard", status_code=303)),
        *health.routes(rt),
        *observability.routes(rt),
        *sso.routes(rt, pages, bearer),
        *dashboard_routes(rt, pages, bearer=bearer),
        Mount("/static", StaticFiles(packages=[("backend.web", "static")]), name="static"),
    ]

    @asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        yield
        await scim_api.aclose()  # the queued SCIM writes and the buffered request log

    app = Starlette(
        routes=routes,
        lifespan=lifespan,
        middleware=[
            Middleware(RequestObservabilityMiddleware),
            Middleware(SecurityHeadersMiddleware, hsts=rt.settings.is_https),
            Middleware(PrefixMount, prefix=PREFIX, target=scim_api),  # SCIM skips the router
        ],
        exception_handlers=exception_handlers(pages),  # type: ignore[arg-type]
    )
    app.state.runtime = rt
    app.state.pages = pages
    app.state.scim = scim_api
    return app


def app_from_env() -> Starlette:
    """The factory uvicorn workers call: each process reads the environment and opens the store."""
    return create_app(Runtime.open(Settings.from_env()))
