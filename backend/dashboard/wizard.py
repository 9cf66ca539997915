"""The SSO Setup Wizard, following the customer guide: 1 email domains, 2 OIDC (the Okta app's
URIs, then its issuer, Client ID and Client Secret, checked against the issuer's discovery
document before saving), 3 SCIM (the base URL and the first bearer token, shown once, then live
word of Okta's first request), 4 assigning users, then **Complete Setup**.

Resumable: the wizard's place is the connection's ``setup_state`` (``oidc`` -> ``scim`` ->
``assign`` -> ``complete``) and the organization's domains, all in the database, so
``/dashboard/setup`` takes the admin back to where they left off, in any browser or process.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from backend.dashboard import oidc_check
from backend.dashboard.access import admin, form, page
from backend.domain import connections, orgs, scim_tokens
from backend.domain.errors import Conflict, Invalid, LimitReached
from backend.runtime import Runtime
from backend.store.secretbox import SecretBoxError
from backend.web.pages import Pages
from backend.web.sessions import SessionView

__all__ = ["STEPS", "routes"]

STEPS = (
    ("domains", "Email domains"),
    ("oidc", "Sign-in (OIDC)"),
    ("scim", "Provisioning (SCIM)"),
    ("assign", "Assign users"),
)
STATE_STEP = {"oidc": "oidc", "scim": "scim", "assign": "assign", "complete": "assign"}

ClientFactory = Callable[[], httpx.Client]


def routes(rt: Runtime, pages: Pages, http: ClientFactory) -> list[Route]:
    def redirect(url: str) -> Response:
        return RedirectResponse(url, status_code=303)

    def in_setup(view: SessionView) -> connections.ConnectionInfo | None:
        with rt.db.read() as s:
            pending = [c for c in connections.list_connections(s, view.org_id) if not c.is_complete]
        return pending[-1] if pending else None

    def render(
        request: Request,
        template: str,
        step: str,
        *,
        status: int = 200,
        conn: connections.ConnectionInfo | None = None,
        **context: Any,
    ) -> Response:
        view = admin(rt, pages, request)
        with rt.db.read() as s:
            org = orgs.get_org(s, view.org_id)
        return pages.render(
            request,
            template,
            status=status,
            steps=STEPS,
            step=step,
            org=org,
            conn=conn,
            done=_done_steps(org.domains, conn),
            reachable=_reachable(org.domains, conn),
            **context,
        )

    # -- entry: resume where the organization left off -----------------------------------------

    def resume(request: Request) -> Response:
        view = admin(rt, pages, request)
        with rt.db.read() as s:
            org = orgs.get_org(s, view.org_id)
            existing = connections.list_connections(s, view.org_id)
        conn = in_setup(view)
        if not org.domains:
            return redirect("/dashboard/setup/domains")
        if conn is not None:
            return redirect(f"/dashboard/setup/{conn.id}/{STATE_STEP[conn.setup_state]}")
        if not existing:
            return redirect("/dashboard/setup/oidc")
        return redirect("/dashboard/sso")

    # -- step 1: email domains --------------------------------------------------------------

    def domains(request: Request) -> Response:
        view = admin(rt, pages, request)
        return render(request, "dashboard/setup_domains.html", "domains", conn=in_setup(view))

    def domains_post(request: Request, data: FormData) -> Response:
        view = admin(rt, pages, request)
        action = str(data.get("action", "add"))
        value = str(data.get("domain", ""))
        try:
            with rt.db.write() as s:
                if action == "remove":
                    orgs.remove_domain(s, view.org_id, value, actor=view.email)
                else:
                    orgs.add_domain(s, view.org_id, value, actor=view.email)
        except (Invalid, Conflict) as exc:
            return render(
                request,
                "dashboard/setup_domains.html",
                "domains",
                status=400,
                conn=in_setup(view),
                error=str(exc),
                value=value,
            )
        return redirect("/dashboard/setup/domains")

    # -- step 2: OIDC --------------------------------------------------------------------------

    def oidc_new(request: Request) -> Response:
        view = admin(rt, pages, request)
        conn = in_setup(view)
        if conn is not None:
            return redirect(f"/dashboard/setup/{conn.id}/oidc")
        return render(request, "dashboard/setup_oidc.html", "oidc", values={})

    def oidc_edit(request: Request) -> Response:
        view = admin(rt, pages, request)
        with rt.db.read() as s:
            conn = connections.get_connection(s, request.path_params["cid"], org_id=view.org_id)
        values = {"issuer": conn.issuer, "client_id": conn.client_id}
        return render(request, "dashboard/setup_oidc.html", "oidc", conn=conn, values=values)

    def oidc_post(request: Request, data: FormData) -> Response:
        view = admin(rt, pages, request)
        cid = request.path_params.get("cid")
        conn = None
        if cid:
            with rt.db.read() as s:
                conn = connections.get_connection(s, cid, org_id=view.org_id)
        values = {k: str(data.get(k, "")).strip() for k in ("issuer", "client_id")}
        secret = str(data.get("client_secret", "")).strip()
        try:
            issuer = connections.normalise_issuer(values["issuer"])
            if not values["client_id"]:
                raise Invalid("Enter the Client ID from the General tab of the Okta app.")
            if conn is None and not secret:
                raise Invalid("Enter the Client Secret from the General tab of the Okta app.")
            probe_secret = secret or (stored_secret(rt, conn.id) if conn is not None else None)
            with http() as client:
                oidc_check.check_settings(
                    client,
                    issuer,
                    values["client_id"],
                    probe_secret,
                    rt.settings.url("/login/callback"),
                )
        except (Invalid, oidc_check.CheckFailed) as exc:
            return render(
                request,
                "dashboard/setup_oidc.html",
                "oidc",
                status=400,
                conn=conn,
                values=values,
                error=str(exc),
            )
        with rt.db.write() as s:
            if conn is None:
                conn = connections.create_connection(
                    s,
                    rt.box,
                    org_id=view.org_id,
                    issuer=issuer,
                    client_id=values["client_id"],
                    client_secret=secret,
                    actor=view.email,
                )
            else:
                conn = connections.update_connection(
                    s,
                    rt.box,
                    conn.id,
                    actor=view.email,
                    org_id=view.org_id,
                    issuer=issuer,
                    client_id=values["client_id"],
                    client_secret=secret or None,
                )
            if conn.setup_state == "oidc":
                conn = connections.set_setup_state(
                    s, conn.id, "scim", actor=view.email, org_id=view.org_id
                )
        return redirect(f"/dashboard/setup/{conn.id}/{STATE_STEP[conn.setup_state]}")

    # -- step 3: SCIM --------------------------------------------------------------------------

    def scim_page(
        request: Request,
        *,
        new_token: str | None = None,
        error: str | None = None,
        status: int = 200,
    ) -> Response:
        view = admin(rt, pages, request)
        with rt.db.read() as s:
            conn = connections.get_connection(s, request.path_params["cid"], org_id=view.org_id)
            tokens = scim_tokens.list_tokens(s, conn.id)
        return render(
            request,
            "dashboard/setup_scim.html",
            "scim",
            conn=conn,
            tokens=tokens,
            new_token=new_token,
            error=error,
            status=status,
            scim_base=rt.settings.url("/scim/v2"),
        )

    def scim(request: Request) -> Response:
        return scim_page(request)

    def scim_token(request: Request, data: FormData) -> Response:
        view = admin(rt, pages, request)
        try:
            with rt.db.write() as s:
                new = scim_tokens.create_token(
                    s, request.path_params["cid"], actor=view.email, org_id=view.org_id
                )
        except LimitReached as exc:
            return scim_page(request, error=str(exc), status=409)
        return scim_page(request, new_token=new.token)

    def scim_status(request: Request) -> Response:
        view = admin(rt, pages, request)
        with rt.db.read() as s:
            conn = connections.get_connection(s, request.path_params["cid"], org_id=view.org_id)
            tokens = scim_tokens.list_tokens(s, conn.id)
        return pages.render(request, "dashboard/_scim_status.html", conn=conn, tokens=tokens)

    def scim_continue(request: Request, data: FormData) -> Response:
        return advance(request, "assign")

    # -- step 4: assign, then Complete Setup ------------------------------------------------

    def assign(request: Request) -> Response:
        view = admin(rt, pages, request)
        with rt.db.read() as s:
            conn = connections.get_connection(s, request.path_params["cid"], org_id=view.org_id)
        return render(request, "dashboard/setup_assign.html", "assign", conn=conn)

    def complete(request: Request, data: FormData) -> Response:
        return advance(request, "complete")

    def advance(request: Request, state: str) -> Response:
        view = admin(rt, pages, request)
        cid = request.path_params["cid"]
        with rt.db.write() as s:
            conn = connections.get_connection(s, cid, org_id=view.org_id)
            if not conn.is_complete:
                conn = connections.set_setup_state(
                    s, cid, state, actor=view.email, org_id=view.org_id
                )
        if conn.is_complete:
            return redirect(f"/dashboard/sso?completed={conn.id}")
        return redirect(f"/dashboard/setup/{conn.id}/{STATE_STEP[conn.setup_state]}")

    p = "/dashboard/setup"
    return [
        Route(p, page(pages, resume), methods=["GET"]),
        Route(f"{p}/domains", page(pages, domains), methods=["GET"]),
        Route(f"{p}/domains", form(rt, pages, domains_post), methods=["POST"]),
        Route(f"{p}/oidc", page(pages, oidc_new), methods=["GET"]),
        Route(f"{p}/oidc", form(rt, pages, oidc_post), methods=["POST"]),
        Route(p + "/{cid}/oidc", page(pages, oidc_edit), methods=["GET"]),
        Route(p + "/{cid}/oidc", form(rt, pages, oidc_post), methods=["POST"]),
        Route(p + "/{cid}/scim", page(pages, scim), methods=["GET"]),
        Route(p + "/{cid}/scim/token", form(rt, pages, scim_token), methods=["POST"]),
        Route(p + "/{cid}/scim/status", page(pages, scim_status), methods=["GET"]),
        Route(p + "/{cid}/scim/continue", form(rt, pages, scim_continue), methods=["POST"]),
        Route(p + "/{cid}/assign", page(pages, assign), methods=["GET"]),
        Route(p + "/{cid}/complete", form(rt, pages, complete), methods=["POST"]),
    ]


def stored_secret(rt: Runtime, connection_id: str) -> str | None:
    try:
        with rt.db.read() as s:
            return connections.reveal_client_secret(s, rt.box, connection_id)
    except SecretBoxError:
        return None


def _reachable(domains: tuple[str, ...], conn: connections.ConnectionInfo | None) -> set[str]:
    """Steps the indicator links to: those done, and the one the organization is at."""
    out = {"domains"} | _done_steps(domains, conn)
    if domains:
        out.add("oidc")
    if conn is not None:
        out.add(STATE_STEP[conn.setup_state])
    return out


def _done_steps(domains: tuple[str, ...], conn: connections.ConnectionInfo | None) -> set[str]:
    done = {"domains"} if domains else set()
    if conn is not None:
        order = ["oidc", "scim", "assign", "complete"]
        reached = order.index(conn.setup_state)
        done |= {s for s, _ in STEPS[1:] if order.index(s) < reached}
    return done
