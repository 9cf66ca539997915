"""Sign-in: the backend as each organization's Okta relying party (``backend.sso``), the
authorization server for the panel (``backend.oauth``) and ``/api/v1/me`` (``backend.api``).

``routes(rt)`` wires them together with one shared key store; ``backend.app`` adds them.
"""

from __future__ import annotations

from starlette.routing import BaseRoute

from backend.runtime import Runtime

__all__ = ["routes"]


def routes(rt: Runtime) -> list[BaseRoute]:
    from backend.api import me
    from backend.api.bearer import BearerAuth
    from backend.oauth import endpoints
    from backend.oauth.keys import KeyStore
    from backend.oauth.server import QuicktureAuthorizationServer
    from backend.sso import pages as login_pages
    from backend.sso.provider import Providers
    from backend.web.pages import Pages

    keys = KeyStore(rt.box)
    bearer = BearerAuth(rt, keys)
    server = QuicktureAuthorizationServer(rt.settings, keys)
    pages = Pages(rt)
    return [
        *login_pages.routes(rt, Providers(), pages),
        *endpoints.routes(rt, server, bearer, pages),
        *me.routes(rt, bearer),
    ]
