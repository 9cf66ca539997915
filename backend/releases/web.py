"""Releases over HTTP: ``GET /api/v1/releases/latest`` for the panel (``docs/api.md``),
``GET /downloads/{id}`` for the files, and the Dashboard's Downloads page (``/dashboard``).

Files go only to a signed-in user (browser session) or a panel bearer token, of an organization
whose licence is active.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Route

from backend.dashboard.access import Halt, page, signed_in
from backend.domain import connections, orgs
from backend.domain.errors import NotFound
from backend.releases import store
from backend.runtime import Runtime
from backend.web import sessions
from backend.web.pages import Pages

__all__ = ["BearerCheck", "routes"]

# Given a request with ``Authorization: Bearer``, the organization id of its live account, or a
# Halt carrying the RFC 6750 401 response (``docs/api.md``).
BearerCheck = Callable[[Request], str]


def routes(rt: Runtime, pages: Pages, bearer: BearerCheck) -> list[Route]:
    def who(request: Request) -> str | None:
        """The organization of the caller: bearer token first, then browser session."""
        if request.headers.get("authorization", "").lower().startswith("bearer "):
            return bearer(request)
        view = sessions.current(rt, request)
        return view.org_id if view is not None else None

    def licence_active(org_id: str) -> bool:
        with rt.db.read() as s:
            return orgs.get_org(s, org_id).license_active

    def latest_json(request: Request) -> Response:
        try:
            org_id = who(request)
        except Halt as halt:
            return halt.response
        if org_id is None:
            return _unauthorized("invalid", "sign in first: this call needs a bearer token")
        platform = request.query_params.get("platform")
        if platform is not None and platform not in store.PLATFORMS:
            return JSONResponse(
                {
                    "error": "invalid_request",
                    "error_description": "platform must be one of: " + ", ".join(store.PLATFORMS),
                },
                status_code=400,
            )
        with rt.db.read() as s:
            found = store.latest(s, platform=platform)
        return JSONResponse(
            {"releases": [_json(rt, r) for r in found]}, headers={"Cache-Control": "no-store"}
        )

    def download(request: Request) -> Response:
        api = request.headers.get("authorization", "").lower().startswith("bearer ")
        org_id = who(request) if api else signed_in(rt, request).org_id
        if org_id is None:
            return _unauthorized("invalid", "sign in first")
        if not licence_active(org_id):
            message = "your organization's Quickture licence is not active"
            if api:
                return JSONResponse(
                    {"error": "licence_inactive", "error_description": message}, status_code=403
                )
            return pages.error(
                request,
                title="Licence not active",
                status=403,
                message="Your organization's Quickture licence is not active, so "
                "downloads are unavailable.",
                steps=["Ask your IT admin, or contact support@quickture.com."],
            )
        try:
            info, path = store.file_path(rt, request.path_params["rid"])
        except NotFound:
            if api:
                return JSONResponse(
                    {"error": "not_found", "error_description": "no such release"}, status_code=404
                )
            raise
        return FileResponse(
            path,
            filename=info.filename,
            media_type="application/octet-stream",
            headers={"Cache-Control": "private, no-store", "X-Checksum-SHA256": info.sha256},
        )

    def downloads_page(request: Request) -> Response:
        view = signed_in(rt, request)
        with rt.db.read() as s:
            org = orgs.get_org(s, view.org_id)
            newest = store.latest(s)
            everything = store.list_releases(s)
            conns = connections.list_connections(s, view.org_id) if view.is_admin else []
        latest_ids = {r.id for r in newest}
        older = [r for r in everything if r.id not in latest_ids]
        by_key = {(r.product, r.platform): r for r in newest}
        products = [
            (
                name,
                [(plat, pname, by_key.get((key, plat))) for plat, pname in store.PLATFORMS.items()],
            )
            for key, name in store.PRODUCTS.items()
        ]
        return pages.render(
            request,
            "dashboard/downloads.html",
            org=org,
            products=products,
            older=older,
            connections=conns,
            setup_done=any(c.is_complete for c in conns),
            platforms=store.PLATFORMS,
        )

    return [
        Route("/api/v1/releases/latest", latest_json, methods=["GET"]),
        Route("/downloads/{rid}", page(pages, download), methods=["GET", "HEAD"]),
        Route("/dashboard", page(pages, downloads_page), methods=["GET"]),
    ]


def _json(rt: Runtime, r: store.ReleaseInfo) -> dict[str, Any]:
    return {
        "id": r.id,
        "product": r.product,
        "platform": r.platform,
        "version": r.version,
        "published_at": r.published_at.isoformat(),
        "size": r.size,
        "sha256": r.sha256,
        "notes": r.notes,
        "download_url": rt.settings.url(f"/downloads/{r.id}"),
    }


def _unauthorized(reason: str, description: str) -> JSONResponse:
    return JSONResponse(
        {"error": "invalid_token", "reason": reason, "error_description": description},
        status_code=401,
        headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
    )
