"""The web Dashboard: the local admin password form, the SSO Setup Wizard, SSO Management and
connection health, users, the audit log, and (from ``backend.releases``) downloads.

``routes`` is what ``backend.app`` mounts. The HTTP client for talking to Okta and the bearer
check for panel tokens are passed in, so tests can substitute them.
"""

from __future__ import annotations

from collections.abc import Callable

import httpx
from starlette.requests import Request
from starlette.routing import BaseRoute

from backend.api.bearer import BearerAuth, BearerError
from backend.dashboard import admin_login, people, sso, wizard
from backend.dashboard.access import Halt
from backend.releases import web as releases_web
from backend.runtime import Runtime
from backend.web.pages import Pages

__all__ = ["routes"]


def routes(
    rt: Runtime,
    pages: Pages,
    *,
    http: Callable[[], httpx.Client] | None = None,
    bearer: BearerAuth,
) -> list[BaseRoute]:
    http = http or _okta_client
    check = panel_token_check(bearer)
    return [
        *admin_login.routes(rt, pages),
        *wizard.routes(rt, pages, http),
        *sso.routes(rt, pages, http),
        *people.routes(rt, pages),
        *releases_web.routes(rt, pages, check),
    ]


def _okta_client() -> httpx.Client:
    return httpx.Client(timeout=httpx.Timeout(5.0), follow_redirects=False)


def panel_token_check(auth: BearerAuth) -> releases_web.BearerCheck:
    """The panel's access tokens, checked by the sign-in code's ``BearerAuth``."""

    def check(request: Request) -> str:
        try:
            return auth.authenticate(request).user.org_id
        except BearerError as exc:
            raise Halt(BearerAuth.refuse(exc)) from exc

    return check
