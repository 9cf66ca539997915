"""CSRF protection for every state-changing form: a double-submit cookie (``qt_csrf``) whose
value each form repeats in a hidden ``csrf_token`` field, plus an ``Origin`` check when the
browser sends one. It works before sign-in (the login forms) as well as after."""

from __future__ import annotations

import hmac
import secrets
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import Response

from backend.settings import Settings

__all__ = ["COOKIE", "CsrfError", "ensure_cookie", "token_for", "verify"]

COOKIE = "qt_csrf"
FIELD = "csrf_token"


class CsrfError(Exception):
    """The form did not come from one of our pages (or its page is too old)."""


def token_for(request: Request) -> str:
    """The token for forms on this page: the browser's cookie value, or a new one."""
    existing = request.cookies.get(COOKIE, "")
    if len(existing) == 43:
        return existing
    cached = request.scope.setdefault("state", {}).get("qt_new_csrf")
    if cached:
        return str(cached)
    token = secrets.token_urlsafe(32)
    request.scope["state"]["qt_new_csrf"] = token
    return token


def ensure_cookie(request: Request, response: Response, token: str, settings: Settings) -> None:
    if request.cookies.get(COOKIE) != token:
        response.set_cookie(
            COOKIE, token, httponly=True, samesite="strict", secure=settings.is_https, path="/"
        )


async def verify(request: Request, settings: Settings) -> None:
    """Raise ``CsrfError`` unless this POST carries our cookie's token and comes from our origin."""
    origin = request.headers.get("origin")
    if origin and origin != "null" and _origin(origin) != _origin(settings.base_url):
        raise CsrfError("the form was sent from another site")
    form = await request.form()
    sent = str(form.get(FIELD, ""))
    cookie = request.cookies.get(COOKIE, "")
    if not sent or not cookie or not hmac.compare_digest(sent, cookie):
        raise CsrfError("the form has expired or did not come from this site")


def _origin(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return parts.scheme, parts.netloc.lower()
