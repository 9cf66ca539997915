"""Users (provisioned users of the organization: search, paging, deactivate and end their
sessions through the same service function SCIM uses) and the audit log (filter, paging)."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from backend.dashboard.access import admin, form, page
from backend.domain import audit, connections, users
from backend.runtime import Runtime
from backend.web.pages import Pages

__all__ = ["AUDIT_FILTERS", "routes"]

PAGE_SIZE = 25
AUDIT_PAGE = 50
AUDIT_FILTERS = {
    "": "All changes",
    "connection.": "SSO connections",
    "scim_token.": "SCIM tokens",
    "user.": "Users (SCIM and admins)",
    "group.": "Groups (SCIM)",
    "org.": "Organization and domains",
    "admin.": "Admins and password sign-ins",
}
ACTION_LABELS = {
    "org.create": "Created the organization",
    "org.domain.add": "Added an email domain",
    "org.domain.remove": "Removed an email domain",
    "admin.create": "Added an admin",
    "admin.sign_in": "Signed in with a password",
    "connection.create": "Created a connection",
    "connection.update": "Changed a connection",
    "connection.setup_state": "Moved setup on",
    "connection.delete": "Deleted a connection",
    "scim_token.create": "Generated a SCIM token",
    "scim_token.delete": "Deleted a SCIM token",
    "user.create": "Provisioned a user",
    "user.update": "Updated a user",
    "user.replace": "Updated a user",
    "user.deactivate": "Deactivated a user",
    "user.reactivate": "Reactivated a user",
    "user.delete": "Removed a user",
    "user.sign_in": "Signed in with SSO",
    "group.create": "Provisioned a group",
    "group.update": "Updated a group",
    "group.delete": "Removed a group",
}
STATUS_FILTERS = {"": None, "active": True, "inactive": False}


def routes(rt: Runtime, pages: Pages) -> list[Route]:
    def user_list(request: Request) -> Response:
        view = admin(rt, pages, request)
        q = request.query_params
        query = q.get("q", "").strip()[:200]
        status = q.get("status", "") if q.get("status", "") in STATUS_FILTERS else ""
        number = max(1, _int(q.get("page"), 1))
        with rt.db.read() as s:
            result = users.list_users(
                s,
                view.org_id,
                query=query or None,
                active=STATUS_FILTERS[status],
                offset=(number - 1) * PAGE_SIZE,
                limit=PAGE_SIZE,
            )
            conns = {c.id: c for c in connections.list_connections(s, view.org_id)}

        def link(n: int) -> str:
            return "/dashboard/users?" + urlencode({"q": query, "status": status, "page": n})

        return pages.render(
            request,
            "dashboard/users.html",
            result=result,
            query=query,
            status_filter=status,
            number=number,
            connections=conns,
            pages_total=max(1, -(-result.total // PAGE_SIZE)),
            prev_url=link(number - 1) if number > 1 else None,
            next_url=link(number + 1) if result.has_next else None,
            done=q.get("done"),
        )

    def deactivate(request: Request, data: FormData) -> Response:
        view = admin(rt, pages, request)
        with rt.db.write() as s:
            info = users.deactivate_user(
                s, request.path_params["uid"], actor=view.email, org_id=view.org_id
            )
        # Back to the same search and page, saying what happened.
        back = urlsplit(str(data.get("back", "")))
        query = [(k, v) for k, v in parse_qsl(back.query) if k in ("q", "status", "page")]
        query.append(("done", info.user_name))
        return RedirectResponse("/dashboard/users?" + urlencode(query), status_code=303)

    def audit_log(request: Request) -> Response:
        view = admin(rt, pages, request)
        q = request.query_params
        action = q.get("action", "") if q.get("action", "") in AUDIT_FILTERS else ""
        actor = q.get("actor", "").strip()[:320]
        before = _int(q.get("before"), 0) or None
        with rt.db.read() as s:
            entries = audit.list_entries(
                s,
                view.org_id,
                action_prefix=action or None,
                actor=actor or None,
                before_id=before,
                limit=AUDIT_PAGE + 1,
            )
        more = len(entries) > AUDIT_PAGE
        entries = entries[:AUDIT_PAGE]
        older = None
        if more:
            older = "/dashboard/audit?" + urlencode(
                {"action": action, "actor": actor, "before": entries[-1].id}
            )
        newest = "/dashboard/audit?" + urlencode({"action": action, "actor": actor})
        return pages.render(
            request,
            "dashboard/audit.html",
            entries=entries,
            action=action,
            actor=actor,
            filters=AUDIT_FILTERS,
            labels=ACTION_LABELS,
            older_url=older,
            newest_url=newest if before else None,
        )

    return [
        Route("/dashboard/users", page(pages, user_list), methods=["GET"]),
        Route("/dashboard/users/{uid}/deactivate", form(rt, pages, deactivate), methods=["POST"]),
        Route("/dashboard/audit", page(pages, audit_log), methods=["GET"]),
    ]


def _int(value: str | None, default: int) -> int:
    try:
        return int(value or default)
    except ValueError:
        return default
