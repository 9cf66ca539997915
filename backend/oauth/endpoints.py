"""The authorization server's HTTP endpoints for the panel (and any later OAuth client).

``/oauth/authorize`` never redirects to a client it cannot vouch for: an unknown client or a
redirect URI that is not the client's is answered with an error page. Other errors go back to
the (verified) redirect URI as RFC 6749 error parameters with ``state`` and RFC 9207 ``iss``.
Without a browser session the user goes through ``/login`` and comes back here.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from authlib.common.urls import add_params_to_uri
from authlib.oauth2 import OAuth2Error
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from backend.api.bearer import BearerAuth, BearerError
from backend.domain import users
from backend.oauth.grants import user_claims
from backend.oauth.keys import ALG
from backend.oauth.models import AuthorizingUser
from backend.oauth.server import SCOPES, QuicktureAuthorizationServer
from backend.runtime import Runtime
from backend.web import sessions
from backend.web.pages import Pages

__all__ = ["metadata", "routes"]


def metadata(base_url: str) -> dict[str, Any]:
    """OpenID Provider / RFC 8414 authorization server metadata."""

    def url(path: str) -> str:
        return base_url + path

    return {
        "issuer": base_url,
        "authorization_endpoint": url("/oauth/authorize"),
        "token_endpoint": url("/oauth/token"),
        "revocation_endpoint": url("/oauth/revoke"),
        "userinfo_endpoint": url("/oauth/userinfo"),
        "jwks_uri": url("/oauth/jwks"),
        "scopes_supported": SCOPES,
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code", "refresh_token"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": [ALG],
        "token_endpoint_auth_methods_supported": ["none"],
        "revocation_endpoint_auth_methods_supported": ["none"],
        "code_challenge_methods_supported": ["S256"],
        "claims_supported": [
            "sub", "iss", "aud", "exp", "iat", "auth_time", "nonce", "name", "given_name",
            "family_name", "preferred_username", "email", "locale", "org",
        ],
        "authorization_response_iss_parameter_supported": True,
    }  # fmt: skip


def routes(
    rt: Runtime, server: QuicktureAuthorizationServer, bearer: BearerAuth, pages: Pages
) -> list[Route]:
    issuer = rt.settings.base_url

    def authorize(request: Request) -> Response:  # sync: Starlette runs it in a thread
        viewer = sessions.current(rt, request)
        req = server.oauth2_request(
            "GET", request.url.path, request.headers, request.query_params.multi_items()
        )
        with rt.db.write() as s, server.bound(s):
            who: AuthorizingUser | None = None
            if viewer is not None and viewer.user_id is not None:
                user = users.get_user(s, viewer.user_id)
                if user is not None and user.active:
                    who = AuthorizingUser(user=user, auth_time=viewer.created_at)
            try:
                grant = server.get_consent_grant(req, end_user=who)
            except OAuth2Error as err:
                if err.redirect_uri:
                    status, _, headers = err()
                    return RedirectResponse(_with_iss(dict(headers)["Location"]), status)
                failure = err
            else:
                failure = None
                if who is not None:
                    status, _, headers = grant.create_authorization_response(
                        grant.redirect_uri, who
                    )
                    return RedirectResponse(_with_iss(dict(headers)["Location"]), status)
        if failure is not None:
            return pages.error(
                request,
                title="This sign-in request is not valid",
                message=failure.description or failure.error or "The request was refused.",
                steps=[
                    "Close this window and click Sign In in the Quickture panel again.",
                    "If it happens again, update the Quickture panel or contact "
                    "support@quickture.com.",
                ],
                status=400,
            )
        here = request.url.path + ("?" + request.url.query if request.url.query else "")
        return RedirectResponse("/login?next=" + quote(here, safe=""), 303)

    def _with_iss(location: str) -> str:
        return str(add_params_to_uri(location, [("iss", issuer)]))

    async def token(request: Request) -> Response:
        form = await request.form()
        items = [(k, v) for k, v in form.multi_items() if isinstance(v, str)]
        return await run_in_threadpool(_token, request, items)

    def _token(request: Request, items: list[tuple[str, str]]) -> Response:
        req = server.oauth2_request("POST", request.url.path, request.headers, [], items)
        with rt.db.write() as s, server.bound(s):
            response: Response = server.create_token_response(req)
            return response

    async def revoke(request: Request) -> Response:
        form = await request.form()
        items = [(k, v) for k, v in form.multi_items() if isinstance(v, str)]
        return await run_in_threadpool(_revoke, request, items)

    def _revoke(request: Request, items: list[tuple[str, str]]) -> Response:
        req = server.oauth2_request("POST", request.url.path, request.headers, [], items)
        with rt.db.write() as s, server.bound(s):
            response: Response = server.create_endpoint_response("revocation", req)
            return response

    def userinfo(request: Request) -> Response:
        try:
            who = bearer.authenticate(request)
        except BearerError as exc:
            return bearer.refuse(exc)
        if "openid" not in who.scopes:
            return bearer.refuse(BearerError("invalid", "the token was not issued for openid"))
        claims = dict(user_claims(who.user, who.claims.scope))
        claims["org"] = who.user.org_id
        return JSONResponse(claims, headers={"Cache-Control": "no-store"})

    def jwks(request: Request) -> Response:
        with rt.db.read() as s:
            body = server.keys.published(s)
        if not body["keys"]:
            with rt.db.write() as s:
                server.keys.current(s)  # the first key is made on first need
                body = server.keys.published(s)
        return JSONResponse(body, headers={"Cache-Control": "public, max-age=300"})

    def discovery(request: Request) -> Response:
        return JSONResponse(metadata(issuer), headers={"Cache-Control": "public, max-age=3600"})

    return [
        Route("/oauth/authorize", authorize, methods=["GET"]),
        Route("/oauth/token", token, methods=["POST"]),
        Route("/oauth/revoke", revoke, methods=["POST"]),
        Route("/oauth/userinfo", userinfo, methods=["GET", "POST"]),
        Route("/oauth/jwks", jwks, methods=["GET"]),
        Route("/.well-known/openid-configuration", discovery, methods=["GET"]),
        Route("/.well-known/oauth-authorization-server", discovery, methods=["GET"]),
    ]
