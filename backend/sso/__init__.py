"""Sign-in: the backend as each organization's Okta relying party (``backend.sso``), the
authorization server for the panel (``backend.oauth``) and ``/api/v1/me`` (``backend.api``).

``routes(rt, pages, bearer)`` wires them together; ``backend.app`` passes the page renderer and
the bearer check (and its key store) that the rest of the app shares.
"""

from __future__ import annotations

from starlette.routing import BaseRoute

from backend.api.bearer import BearerAuth
from backend.runtime import Runtime
from backend.web.pages import Pages

__all__ = ["routes"]


def routes(rt: Runtime, pages: Pages, bearer: BearerAuth) -> list[BaseRoute]:
    from backend.api import me
    from backend.oauth import endpoints
    from backend.oauth.server import QuicktureAuthorizationServer
    from backend.sso import pages as login_pages
    from backend.sso.provider import Providers

    server = QuicktureAuthorizationServer(rt.settings, bearer.keys)
    return [
        *login_pages.routes(rt, Providers(), pages),
        *endpoints.routes(rt, server, bearer, pages),
        *me.routes(rt, bearer),
    ]
