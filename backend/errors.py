"""The last line of error handling: unexpected exceptions and unknown paths become a response
in the shape the caller speaks (SCIM error JSON, OAuth JSON, or a friendly page), never a
traceback. Each capability turns its own expected errors into responses itself."""

from __future__ import annotations

import logging

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from backend.web.pages import Pages

__all__ = ["exception_handlers"]

log = logging.getLogger("quickture.errors")

SCIM_ERROR = "urn:ietf:params:scim:api:messages:2.0:Error"


def exception_handlers(pages: Pages) -> dict[object, object]:
    def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        return _respond(pages, request, exc.status_code, exc.detail)

    def unexpected(request: Request, exc: Exception) -> Response:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return _respond(pages, request, 500, "Something went wrong on our side.")

    return {HTTPException: http_error, Exception: unexpected}


def _respond(pages: Pages, request: Request, status: int, detail: str) -> Response:
    path = request.url.path
    if path.startswith("/scim/"):
        return JSONResponse(
            {"schemas": [SCIM_ERROR], "status": str(status), "detail": detail},
            status_code=status,
            media_type="application/scim+json",
        )
    if path.startswith(("/oauth/", "/api/", "/.well-known/")):
        code = "server_error" if status >= 500 else "invalid_request"
        if status == 404:
            code = "not_found"
        return JSONResponse({"error": code, "error_description": detail}, status_code=status)
    if status == 404:
        return pages.error(request, title="Page not found", status=404,
                           message="There is no page at this address.",
                           steps=["Check the address, or go to the Dashboard."],
                           retry_url="/dashboard")  # fmt: skip
    if status == 405:
        return pages.error(request, title="Not allowed", status=405, message=str(detail))
    if status >= 500:
        return pages.error(
            request,
            title="Something went wrong",
            status=status,
            message="Quickture could not finish this request.",
            steps=[
                "Try again in a moment.",
                "If it keeps happening, contact support@quickture.com.",
            ],
        )
    return pages.error(request, title="Request refused", status=status, message=str(detail))
