"""A tiny fake of the backend's authorization server and /api/v1, on ``httpx.MockTransport``.

It follows the contract in DESIGN.md and docs/api.md: PKCE S256, single-use codes bound to
the redirect URI, RS256 ID tokens with ``aud=quickture-panel`` and the nonce echoed, refresh
token rotation with reuse detection (an old one revokes the family), RFC 7009 revocation and
the 401 ``reason`` values. ``browser(url)`` plays the system browser: it "signs in" at the
authorize URL and then really GETs the loopback callback.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlencode, urlsplit

import httpx
from joserfc import jwt
from joserfc.jwk import RSAKey

BACKEND = "http://127.0.0.1:8765"
CLIENT_ID = "quickture-panel"

_KEY = RSAKey.generate_key(2048, parameters={"kid": "k1", "use": "sig", "alg": "RS256"})


@dataclass
class FakeBackend:
    base: str = BACKEND
    key: RSAKey = field(default_factory=lambda: _KEY)
    access_lifetime: int = 300
    clock: Callable[[], float] = time.time
    sub: str = "user-1"
    email: str = "ada@acme.test"
    user_state: str = "active"  # "active" | "deactivated" | "not_provisioned"
    down: bool = False
    codes: dict[str, dict] = field(default_factory=dict)
    refresh_tokens: dict[str, dict] = field(default_factory=dict)  # token -> {family, used}
    revoked_families: set[str] = field(default_factory=set)
    access_tokens: dict[str, dict] = field(default_factory=dict)
    calls: list[str] = field(default_factory=list)
    id_token_tamper: Callable[[dict], dict] | None = None
    gate: threading.Event | None = None  # when set, the token endpoint waits for it
    releases: list[dict] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.lock = threading.Lock()

    # the system browser ----------------------------------------------------------------------

    def authorize(self, url: str, *, error: str | None = None) -> str:
        """What the backend would redirect the browser to after the Okta dance."""
        parts = urlsplit(url)
        q = dict(parse_qsl(parts.query))
        assert f"{parts.scheme}://{parts.netloc}{parts.path}" == self.base + "/oauth/authorize"
        assert q["client_id"] == CLIENT_ID and q["response_type"] == "code"
        assert q["code_challenge_method"] == "S256"
        assert q["redirect_uri"].startswith("http://127.0.0.1:")
        assert q["scope"] == "openid profile email offline_access"
        if error:
            return (
                q["redirect_uri"]
                + "?"
                + urlencode(
                    {
                        "error": error,
                        "error_description": "You are not assigned.",
                        "state": q["state"],
                    }
                )
            )
        code = secrets.token_urlsafe(16)
        with self.lock:
            self.codes[code] = {
                "challenge": q["code_challenge"],
                "redirect_uri": q["redirect_uri"],
                "nonce": q.get("nonce"),
            }
        return q["redirect_uri"] + "?" + urlencode({"code": code, "state": q["state"]})

    def browser(self, url: str, *, error: str | None = None) -> httpx.Response:
        with httpx.Client(trust_env=False) as real:
            return real.get(self.authorize(url, error=error))

    # the transport ---------------------------------------------------------------------------

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)

    def handle(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        self.calls.append(f"{request.method} {path}")
        if self.down:
            raise httpx.ConnectError("connection refused", request=request)
        routes = {
            "/.well-known/openid-configuration": self._discovery,
            "/oauth/jwks": self._jwks,
            "/oauth/token": self._token,
            "/oauth/revoke": self._revoke,
            "/api/v1/me": self._me,
            "/api/v1/releases/latest": self._releases,
        }
        handler = routes.get(path)
        if handler is None:
            return httpx.Response(404, json={"error": "not_found"})
        return handler(request)

    def _discovery(self, request: httpx.Request) -> httpx.Response:
        b = self.base
        return httpx.Response(200, json={
            "issuer": b, "authorization_endpoint": b + "/oauth/authorize",
            "token_endpoint": b + "/oauth/token", "revocation_endpoint": b + "/oauth/revoke",
            "jwks_uri": b + "/oauth/jwks", "userinfo_endpoint": b + "/oauth/userinfo",
            "code_challenge_methods_supported": ["S256"],
        })  # fmt: skip

    def _jwks(self, request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"keys": [self.key.as_dict(private=False)]})

    def _token(self, request: httpx.Request) -> httpx.Response:
        if self.gate is not None:
            assert self.gate.wait(10), "the test never opened the token endpoint's gate"
        form = dict(parse_qsl(request.content.decode()))
        assert form.get("client_id") == CLIENT_ID
        with self.lock:
            if form["grant_type"] == "authorization_code":
                entry = self.codes.pop(form["code"], None)
                if entry is None or entry["redirect_uri"] != form.get("redirect_uri"):
                    return _oauth_error("invalid_grant", "bad code")
                digest = hashlib.sha256(form.get("code_verifier", "").encode()).digest()
                if base64.urlsafe_b64encode(digest).rstrip(b"=").decode() != entry["challenge"]:
                    return _oauth_error("invalid_grant", "PKCE verification failed")
                return self._issue(family=secrets.token_hex(8), nonce=entry["nonce"])
            if form["grant_type"] == "refresh_token":
                rt = self.refresh_tokens.get(form["refresh_token"])
                if rt is None or rt["family"] in self.revoked_families:
                    return _oauth_error("invalid_grant", "revoked", reason="revoked")
                if rt["used"]:  # reuse: revoke the whole family
                    self.revoked_families.add(rt["family"])
                    return _oauth_error("invalid_grant", "reused", reason="revoked")
                if self.user_state != "active":
                    return _oauth_error("invalid_grant", "no access", reason=self.user_state)
                rt["used"] = True
                return self._issue(family=rt["family"], nonce=None)
        return _oauth_error("unsupported_grant_type")

    def _issue(self, *, family: str, nonce: str | None) -> httpx.Response:
        now = int(self.clock())
        access = secrets.token_urlsafe(24)
        refresh = secrets.token_urlsafe(24)
        self.access_tokens[access] = {"family": family, "exp": now + self.access_lifetime}
        self.refresh_tokens[refresh] = {"family": family, "used": False}
        claims = {
            "iss": self.base, "aud": CLIENT_ID, "sub": self.sub, "email": self.email,
            "name": "Ada Lovelace", "iat": now, "exp": now + 300,
        }  # fmt: skip
        if nonce:
            claims["nonce"] = nonce
        if self.id_token_tamper:
            claims = self.id_token_tamper(claims)
        id_token = jwt.encode({"alg": "RS256", "kid": self.key.kid}, claims, self.key)
        return httpx.Response(200, json={
            "access_token": access, "token_type": "Bearer", "expires_in": self.access_lifetime,
            "refresh_token": refresh, "id_token": id_token, "scope": "openid profile email",
        })  # fmt: skip

    def _revoke(self, request: httpx.Request) -> httpx.Response:
        form = dict(parse_qsl(request.content.decode()))
        with self.lock:
            rt = self.refresh_tokens.get(form.get("token", ""))
            if rt is not None:
                self.revoked_families.add(rt["family"])
        return httpx.Response(200)

    def _check(self, request: httpx.Request) -> httpx.Response | None:
        auth = request.headers.get("Authorization", "")
        token = auth.removeprefix("Bearer ")
        entry = self.access_tokens.get(token)
        reason = None
        if entry is None:
            reason = "invalid"
        elif entry["family"] in self.revoked_families:
            reason = "revoked"
        elif entry["exp"] <= self.clock():
            reason = "expired"
        elif self.user_state != "active":
            reason = self.user_state
        if reason is None:
            return None
        return httpx.Response(
            401,
            headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
            json={"error": "invalid_token", "reason": reason, "error_description": reason},
        )

    def _me(self, request: httpx.Request) -> httpx.Response:
        refused = self._check(request)
        if refused is not None:
            return refused
        return httpx.Response(200, json={
            "id": self.sub, "user_name": self.email, "email": self.email,
            "display_name": "Ada Lovelace", "given_name": "Ada", "family_name": "Lovelace",
            "locale": "en-GB", "organization": {"id": "org-1", "name": "Acme Post"},
            "connection_id": "conn_av34ghc2apr3", "dashboard_url": self.base + "/dashboard",
        })  # fmt: skip

    def _releases(self, request: httpx.Request) -> httpx.Response:
        refused = self._check(request)
        if refused is not None:
            return refused
        return httpx.Response(200, json={"releases": self.releases})

    # helpers for tests -----------------------------------------------------------------------

    def expire_access_tokens(self) -> None:
        for entry in self.access_tokens.values():
            entry["exp"] = 0

    def live_families(self) -> set[str]:
        return {rt["family"] for rt in self.refresh_tokens.values()} - self.revoked_families


def _oauth_error(error: str, description: str = "", reason: str | None = None) -> httpx.Response:
    body: dict[str, str] = {"error": error, "error_description": description}
    if reason:
        body["reason"] = reason
    return httpx.Response(
        400, content=json.dumps(body), headers={"Content-Type": "application/json"}
    )


def release(product: str, version: str, platform: str = "macos") -> dict:
    return {
        "id": f"{product}-{version}", "product": product, "platform": platform,
        "version": version, "published_at": "2026-12-01T10:00:00+00:00", "size": 1024,
        "sha256": "ab" * 32, "notes": "Faster scene detection.",
        "download_url": f"{BACKEND}/downloads/{product}-{version}",
    }  # fmt: skip
