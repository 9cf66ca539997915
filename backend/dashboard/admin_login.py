"""``/admin/login``: the password form for a local admin whose organization has no SSO yet.

Rate-limited in the database (per client address and per email), so the limit holds across
backend processes. A successful sign-in issues a new session id and is audited.
"""

from __future__ import annotations

from datetime import timedelta

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from backend.dashboard.access import form, page, safe_next
from backend.domain import admins, audit
from backend.runtime import Runtime
from backend.web import ratelimit, sessions
from backend.web.pages import Pages

__all__ = ["routes"]

WINDOW = timedelta(minutes=15)
PER_ADDRESS = 30
PER_EMAIL = 10


def routes(rt: Runtime, pages: Pages) -> list[Route]:
    def show(request: Request) -> Response:
        sessions.current(rt, request)
        return pages.render(
            request, "admin/login.html", next=safe_next(request.query_params.get("next"))
        )

    def submit(request: Request, data: FormData) -> Response:
        email = str(data.get("email", "")).strip()[:320]
        password = str(data.get("password", ""))
        next_url = safe_next(str(data.get("next", "")))
        address = request.client.host if request.client else "unknown"
        with rt.db.write() as s:
            allowed = ratelimit.allow(
                s, f"admin-login:ip:{address}", limit=PER_ADDRESS, window=WINDOW
            ) & ratelimit.allow(
                s, f"admin-login:email:{email.lower()}", limit=PER_EMAIL, window=WINDOW
            )
            who = admins.verify_password(s, email, password) if allowed and password else None
            if who is not None:
                value, _ = sessions.start(s, org_id=who.org_id, admin_id=who.id)
                audit.record(
                    s,
                    actor=who.email,
                    action="admin.sign_in",
                    target_type="admin",
                    target_id=who.id,
                    org_id=who.org_id,
                    address=address,
                )
        if not allowed:
            return pages.render(
                request,
                "admin/login.html",
                status=429,
                next=next_url,
                email=email,
                error="Too many sign-in attempts. Wait 15 minutes, then try again.",
            )
        if who is None:
            return pages.render(
                request,
                "admin/login.html",
                status=401,
                next=next_url,
                email=email,
                error="That email and password do not match a Quickture admin.",
            )
        response = RedirectResponse(next_url, status_code=303)
        sessions.attach(response, value, rt.settings)
        return response

    return [
        Route("/admin/login", page(pages, show), methods=["GET"]),
        Route("/admin/login", form(rt, pages, submit), methods=["POST"]),
    ]
