"""The Starlette application, built from lists: every capability contributes its routes."""

from __future__ import annotations

from starlette.applications import Starlette

from backend import health
from backend.runtime import Runtime
from backend.settings import Settings

__all__ = ["app_from_env", "create_app"]


def create_app(rt: Runtime) -> Starlette:
    routes = [
        *health.routes(rt),
    ]
    app = Starlette(routes=routes)
    app.state.runtime = rt
    return app


def app_from_env() -> Starlette:
    """The factory uvicorn workers call: each process reads the environment and opens the store."""
    return create_app(Runtime.open(Settings.from_env()))
