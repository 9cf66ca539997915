"""Who may see a Dashboard page, and the plumbing every page handler shares.

Handlers raise ``Halt(response)`` to stop with a redirect or an error page; ``page`` (GET,
sync, run in Starlette's thread pool) and ``form`` (POST: reads the form, checks CSRF, then runs
the handler in the thread pool) turn that, and the service layer's ``NotFound``, into responses.
Every admin page is scoped to the viewer's organization: services are always called with
``org_id=viewer.org_id``, so another organization's ids answer "not found".
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from urllib.parse import quote

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from backend.domain.errors import DomainError, NotFound
from backend.runtime import Runtime
from backend.web import csrf, sessions
from backend.web.pages import Pages
from backend.web.sessions import SessionView

__all__ = ["Halt", "admin", "form", "page", "safe_next", "signed_in"]

GetHandler = Callable[[Request], Response]
PostHandler = Callable[[Request, FormData], Response]


class Halt(Exception):
    """Stop handling the request and answer with ``response``."""

    def __init__(self, response: Response) -> None:
        super().__init__("halt")
        self.response = response


def safe_next(value: str | None, default: str = "/dashboard") -> str:
    """A local path to return to after sign-in; anything else (``//evil``, URLs) is dropped."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return default
    return value


def signed_in(rt: Runtime, request: Request) -> SessionView:
    view = sessions.current(rt, request)
    if view is None:
        here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise Halt(RedirectResponse("/login?next=" + quote(here, safe="/"), status_code=303))
    return view


def admin(rt: Runtime, pages: Pages, request: Request) -> SessionView:
    view = signed_in(rt, request)
    if not view.is_admin:
        raise Halt(
            pages.error(
                request,
                title="For your IT admins only",
                status=403,
                message="This page is for your organization's Quickture administrators.",
                steps=[
                    "You can download the Avid and Premiere integrations from the Downloads page.",
                    "If you manage Quickture for your company, ask a Quickture admin of your "
                    "organization to add you.",
                ],
                retry_url="/dashboard",
            )
        )
    return view


def page(pages: Pages, handler: GetHandler) -> GetHandler:
    @functools.wraps(handler)
    def run(request: Request) -> Response:
        try:
            return handler(request)
        except Halt as halt:
            return halt.response
        except NotFound as exc:
            return _not_found(pages, request, exc)
        except DomainError as exc:
            return _refused(pages, request, exc)

    return run


def form(rt: Runtime, pages: Pages, handler: PostHandler) -> Callable[[Request], object]:
    async def run(request: Request) -> Response:
        data = await request.form()
        try:
            await csrf.verify(request, rt.settings)
        except csrf.CsrfError as exc:
            return await run_in_threadpool(_csrf_refused, rt, pages, request, str(exc))
        try:
            return await run_in_threadpool(handler, request, data)
        except Halt as halt:
            return halt.response
        except NotFound as exc:
            return await run_in_threadpool(_not_found, pages, request, exc)
        except DomainError as exc:
            return await run_in_threadpool(_refused, pages, request, exc)

    run.__name__ = handler.__name__
    return run


def _csrf_refused(rt: Runtime, pages: Pages, request: Request, reason: str) -> Response:
    sessions.current(rt, request)
    return pages.error(
        request,
        title="Please try again",
        status=403,
        message=f"Quickture did not accept this form: {reason}.",
        steps=["Go back, reload the page and submit the form again."],
        retry_url=request.url.path,
    )


def _not_found(pages: Pages, request: Request, exc: NotFound) -> Response:
    del exc  # its text names CLI commands; the page says it in web terms
    return pages.error(
        request,
        title="Not found",
        status=404,
        message="It does not exist in your organization, or it has just been deleted.",
        steps=["Go back to the list, reload it and try again."],
        retry_url="/dashboard",
    )


def _refused(pages: Pages, request: Request, exc: DomainError) -> Response:
    """A rule of the service layer said no (a limit, a conflict, a bad value): say why."""
    return pages.error(
        request,
        title="That did not work",
        status=409,
        message=str(exc),
        steps=["Go back, correct it and try again."],
    )
