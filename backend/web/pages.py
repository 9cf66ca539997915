"""Rendering pages: Jinja2 templates loaded with ``importlib.resources`` (so a frozen build finds
them), with the context every page needs, and the one friendly error page."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse

from backend.runtime import Runtime
from backend.web import csrf, sessions

__all__ = ["Pages"]


def _when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M UTC") if value else "never"


def _size(n: int) -> str:
    size = float(n)
    for unit in ("bytes", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "bytes" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{n} bytes"


class Pages:
    def __init__(self, rt: Runtime) -> None:
        self.rt = rt
        self.env = Environment(
            loader=PackageLoader("backend.web", "templates"),
            autoescape=select_autoescape(default=True),
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self.env.filters["when"] = _when
        self.env.filters["size"] = _size
        self.env.globals["base_url"] = rt.settings.base_url

    def render(
        self, request: Request, template: str, *, status: int = 200, **context: Any
    ) -> HTMLResponse:
        token = csrf.token_for(request)
        context.setdefault("viewer", sessions.viewer_of(request))
        html = self.env.get_template(template).render(request=request, csrf_token=token, **context)
        response = HTMLResponse(html, status_code=status)
        csrf.ensure_cookie(request, response, token, self.rt.settings)
        response.headers["Cache-Control"] = "no-store"
        return response

    def error(
        self,
        request: Request,
        *,
        title: str,
        message: str,
        steps: Sequence[str] = (),
        status: int = 400,
        retry_url: str | None = None,
    ) -> HTMLResponse:
        return self.render(
            request,
            "error.html",
            status=status,
            title=title,
            message=message,
            steps=list(steps),
            retry_url=retry_url,
        )
