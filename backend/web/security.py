"""Security headers on every response, as a pure ASGI middleware.

The CSP allows no inline script or style: pages load ``/static/app.js`` and ``/static/app.css``.
A header the response already has is left as it is. The headers are encoded once, and added
to the raw header list: this runs on every request.

A JSON API that no browser renders (SCIM, which its lane answers: ``backend.web.lane``) gets
the set OWASP's REST Security Cheat Sheet gives for APIs instead (``raw_headers(api=True)``):
``Cache-Control: no-store`` (its responses carry people's data), ``frame-ancestors 'none'``,
``nosniff`` and ``DENY``, and HSTS over HTTPS; the document-only ones (a page's CSP, the
referrer, opener and permissions policies) would only be more bytes on every reply.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["SecurityHeadersMiddleware", "raw_headers"]

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; base-uri 'none'; object-src 'none'; frame-ancestors 'none'"
)
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}


API_HEADERS = {
    "Cache-Control": "no-store",
    "Content-Security-Policy": "frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
}


def raw_headers(*, hsts: bool, api: bool = False) -> list[tuple[bytes, bytes]]:
    """The headers as ASGI sends them, for pages or (``api``) for a JSON API; HSTS only when
    the site is served over HTTPS."""
    wanted = dict(API_HEADERS if api else HEADERS)
    if hsts:
        wanted["Strict-Transport-Security"] = "max-age=31536000"
    return [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in wanted.items()]


class SecurityHeadersMiddleware:
    def __init__(self, app: ASGIApp, *, hsts: bool = False) -> None:
        self.app = app
        self.hsts = hsts
        self._raw = raw_headers(hsts=hsts)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        raw = self._raw

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = message.setdefault("headers", [])
                have = {k.lower() for k, _ in headers}
                headers = message["headers"] = list(headers)
                headers.extend(h for h in raw if h[0] not in have)
            await send(message)

        await self.app(scope, receive, send_with_headers)
