"""``GET /api/v1/me``: the signed-in editor's profile and organization."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from backend.api.bearer import BearerAuth, BearerError
from backend.runtime import Runtime
from backend.store.models import Organization

__all__ = ["routes"]


def routes(rt: Runtime, bearer: BearerAuth) -> list[Route]:
    def me(request: Request) -> Response:  # sync: Starlette runs it in a thread
        try:
            who = bearer.authenticate(request)
        except BearerError as exc:
            return bearer.refuse(exc)
        user = who.user
        with rt.db.read() as s:
            org = s.get(Organization, user.org_id)
            org_name = org.name if org is not None else ""
        return JSONResponse(
            {
                "id": user.id,
                "user_name": user.user_name,
                "email": user.email or user.user_name,
                "display_name": user.name,
                "given_name": user.given_name,
                "family_name": user.family_name,
                "locale": user.locale,
                "organization": {"id": user.org_id, "name": org_name},
                "connection_id": user.connection_id,
                "dashboard_url": rt.settings.url("/dashboard"),
            },
            headers={"Cache-Control": "no-store"},
        )

    return [Route("/api/v1/me", me, methods=["GET"])]
