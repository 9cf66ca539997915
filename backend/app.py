"""The Starlette application, built from lists: every capability contributes its routes."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.responses import RedirectResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import Receive, Scope, Send

from backend import health, observability, sso
from backend.api.bearer import BearerAuth
from backend.dashboard import routes as dashboard_routes
from backend.errors import exception_handlers
from backend.observability.middleware import RequestObservabilityMiddleware, RequestObserver
from backend.runtime import Runtime
from backend.scim import ScimApi
from backend.scim.http import PREFIX
from backend.settings import Settings
from backend.web.lane import PrefixLane
from backend.web.pages import Pages
from backend.web.security import SecurityHeadersMiddleware, raw_headers

__all__ = ["App", "app_from_env", "create_app"]


class App(Starlette):
    """Starlette, with one lane past its middleware stack: SCIM requests go straight to the
    SCIM app, which answers each one whole (``backend.web.lane``)."""

    def __init__(self, *, lane: PrefixLane, **starlette: Any) -> None:
        super().__init__(**starlette)
        self.lane = lane

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        lane = self.lane
        if lane.matches(scope):
            scope["app"] = self
            await lane(scope, receive, send)
        else:
            await super().__call__(scope, receive, send)


def create_app(rt: Runtime) -> App:
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

    observer = RequestObserver()  # one request-id sequence and access log for both ways in

    @asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        yield
        await scim_api.aclose()  # the queued SCIM writes and the buffered request log
        observer.flush()  # the last turn's access-log lines

    lane = PrefixLane(
        PREFIX,
        scim_api,
        observer=observer,
        headers=raw_headers(hsts=rt.settings.is_https, api=True),
    )
    app = App(
        lane=lane,
        routes=routes,
        lifespan=lifespan,
        middleware=[
            Middleware(RequestObservabilityMiddleware, observer=observer),
            Middleware(SecurityHeadersMiddleware, hsts=rt.settings.is_https),
        ],
        exception_handlers=exception_handlers(pages),
    )
    app.state.runtime = rt
    app.state.pages = pages
    app.state.scim = scim_api
    return app


def app_from_env() -> App:
    """The factory uvicorn workers call: each process reads the environment and opens the store."""
    return create_app(Runtime.open(Settings.from_env()))
