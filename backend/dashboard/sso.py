"""SSO Management: the organization's connections with their status and Connection ID; per
connection, Manage (issuer, Client ID, write-only Client Secret; SCIM tokens: generate, shown
once, at most two; delete) and delete the connection; and its health page."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from backend.dashboard import health, oidc_check
from backend.dashboard.access import admin, form, page
from backend.dashboard.wizard import STATE_STEP, ClientFactory, stored_secret
from backend.domain import connections, scim_tokens
from backend.domain.errors import Invalid, LimitReached, NotFound
from backend.runtime import Runtime
from backend.store.models import ScimUser
from backend.web.pages import Pages

__all__ = ["routes"]

STATUS = {
    "oidc": ("Setup: sign-in details needed", "warn"),
    "scim": ("Setup: waiting for Okta provisioning", "warn"),
    "assign": ("Setup: assign users, then Complete Setup", "warn"),
    "complete": ("Active", "ok"),
}


def routes(rt: Runtime, pages: Pages, http: ClientFactory) -> list[Route]:
    def overview(request: Request) -> Response:
        view = admin(rt, pages, request)
        with rt.db.read() as s:
            conns = connections.list_connections(s, view.org_id)
            users = dict(
                s.execute(
                    sa.select(ScimUser.connection_id, sa.func.count())
                    .where(ScimUser.org_id == view.org_id)
                    .group_by(ScimUser.connection_id)
                ).all()
            )
        q = request.query_params
        return pages.render(
            request,
            "dashboard/sso.html",
            connections=conns,
            users=users,
            labels=STATUS,
            state_step=STATE_STEP,
            completed=q.get("completed"),
            removed=q.get("removed"),
            removed_users=q.get("users"),
        )

    def manage_page(request: Request, *, status: int = 200, **context: Any) -> Response:
        view = admin(rt, pages, request)
        with rt.db.read() as s:
            conn = connections.get_connection(s, request.path_params["cid"], org_id=view.org_id)
            tokens = scim_tokens.list_tokens(s, conn.id)
        q = request.query_params
        context.setdefault(
            "notice", {"saved": "Saved.", "deleted": "Token deleted."}.get(q.get("done", ""))
        )
        return pages.render(
            request,
            "dashboard/manage.html",
            status=status,
            conn=conn,
            tokens=tokens,
            state=STATUS[conn.setup_state],
            state_step=STATE_STEP,
            scim_base=rt.settings.url("/scim/v2"),
            **context,
        )

    def manage(request: Request) -> Response:
        return manage_page(request)

    def update(request: Request, data: FormData) -> Response:
        view = admin(rt, pages, request)
        cid = request.path_params["cid"]
        with rt.db.read() as s:
            conn = connections.get_connection(s, cid, org_id=view.org_id)
        issuer_raw = str(data.get("issuer", "")).strip()
        client_id = str(data.get("client_id", "")).strip()
        secret = str(data.get("client_secret", "")).strip()
        try:
            issuer = connections.normalise_issuer(issuer_raw)
            if not client_id:
                raise Invalid("The Client ID cannot be empty.")
            if issuer != conn.issuer or client_id != conn.client_id or secret:
                with http() as client:
                    oidc_check.check_settings(
                        client,
                        issuer,
                        client_id,
                        secret or stored_secret(rt, cid),
                        rt.settings.url("/login/callback"),
                    )
        except (Invalid, oidc_check.CheckFailed) as exc:
            return manage_page(
                request,
                status=400,
                error=str(exc),
                values={"issuer": issuer_raw, "client_id": client_id},
            )
        with rt.db.write() as s:
            connections.update_connection(
                s,
                rt.box,
                cid,
                actor=view.email,
                org_id=view.org_id,
                issuer=issuer,
                client_id=client_id,
                client_secret=secret or None,
            )
        return RedirectResponse(f"/dashboard/sso/{cid}?done=saved", status_code=303)

    def new_token(request: Request, data: FormData) -> Response:
        view = admin(rt, pages, request)
        try:
            with rt.db.write() as s:
                new = scim_tokens.create_token(
                    s, request.path_params["cid"], actor=view.email, org_id=view.org_id
                )
        except LimitReached as exc:
            return manage_page(request, status=409, error=str(exc))
        return manage_page(request, new_token=new.token, new_token_prefix=new.info.display_prefix)

    def delete_token(request: Request, data: FormData) -> Response:
        view = admin(rt, pages, request)
        cid, tid = request.path_params["cid"], request.path_params["tid"]
        with rt.db.write() as s:
            owned = {t.id for t in scim_tokens.list_tokens(s, cid)}
            connections.get_connection(s, cid, org_id=view.org_id)
            if tid not in owned:
                raise NotFound(f"no SCIM token {tid!r} on this connection")
            scim_tokens.delete_token(s, tid, actor=view.email, org_id=view.org_id)
        return RedirectResponse(f"/dashboard/sso/{cid}?done=deleted", status_code=303)

    def delete_connection(request: Request, data: FormData) -> Response:
        view = admin(rt, pages, request)
        cid = request.path_params["cid"]
        typed = str(data.get("confirm", "")).strip()
        if typed != cid:
            return manage_page(
                request,
                status=400,
                delete_error="Type the Connection ID exactly as shown to confirm the deletion.",
            )
        with rt.db.write() as s:
            removed = connections.delete_connection(s, cid, actor=view.email, org_id=view.org_id)
        return RedirectResponse(f"/dashboard/sso?removed={cid}&users={removed}", status_code=303)

    def health_page(request: Request) -> Response:
        view = admin(rt, pages, request)
        with rt.db.read() as s:
            facts = health.gather(rt, s, request.path_params["cid"], view.org_id)
        with http() as client:
            report = health.run(facts, client, rt.settings.url("/login/callback"))
        return pages.render(request, "dashboard/health.html", report=report, conn=facts.connection)

    p = "/dashboard/sso"
    return [
        Route(p, page(pages, overview), methods=["GET"]),
        Route(p + "/{cid}", page(pages, manage), methods=["GET"]),
        Route(p + "/{cid}", form(rt, pages, update), methods=["POST"]),
        Route(p + "/{cid}/tokens", form(rt, pages, new_token), methods=["POST"]),
        Route(p + "/{cid}/tokens/{tid}/delete", form(rt, pages, delete_token), methods=["POST"]),
        Route(p + "/{cid}/delete", form(rt, pages, delete_connection), methods=["POST"]),
        Route(p + "/{cid}/health", page(pages, health_page), methods=["GET"]),
    ]
