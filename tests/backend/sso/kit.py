"""The sign-in test kit: a real OpenID Provider playing Okta, a backend on a loopback socket,
provisioned users, a browser (an httpx client that submits the provider's form) and the panel
(a plain PKCE client). Shared by the sso, oauth, api and e2e sign-in tests."""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urljoin, urlsplit

import httpx

from backend.app import create_app
from backend.domain import connections, orgs, scim_tokens
from backend.runtime import Runtime
from tests.conftest import make_settings
from tests.helpers.servers import serve_asgi

PANEL = "quickture-panel"
OKTA_CLIENT_ID = "0oa-quickture-test"
OKTA_CLIENT_SECRET = "okta-client-secret-for-tests"
DOMAIN = "acme.test"
SCIM_JSON = "application/scim+json"
SCIM_USER = "urn:ietf:params:scim:schemas:core:2.0:User"
SCIM_PATCH = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
# Building a TLS context costs ~0.3 s; every test client shares this one.
TLS = ssl.create_default_context()


def http_client() -> httpx.Client:
    return httpx.Client(timeout=10, verify=TLS)


def browser_client() -> httpx.Client:
    address = ".".join(str(secrets.randbelow(250) + 1) for _ in range(3))
    return httpx.Client(timeout=10, verify=TLS, headers={"X-Forwarded-For": "10." + address})


def get(url: str, **kw: Any) -> httpx.Response:
    with http_client() as c:
        return c.get(url, **kw)


def post(url: str, **kw: Any) -> httpx.Response:
    with http_client() as c:
        return c.post(url, **kw)


def put(url: str, **kw: Any) -> httpx.Response:
    with http_client() as c:
        return c.put(url, **kw)


@dataclass
class MockOkta:
    url: str

    def set_user(self, sub: str, **claims: Any) -> None:
        r = put(f"{self.url}/users/{sub}", json=claims)
        assert r.status_code == 204, r.text


@contextmanager
def mock_okta() -> Iterator[MockOkta]:
    import oidc_provider_mock

    with oidc_provider_mock.run_server_in_thread() as server:
        yield MockOkta(url=f"http://127.0.0.1:{server.server_port}")


@dataclass
class Backend:
    rt: Runtime
    url: str
    okta: MockOkta
    org_id: str = ""
    connection_id: str = ""

    scim_tokens: dict[str, str] = field(default_factory=dict)

    def scim_token(self, connection_id: str | None = None) -> str:
        conn = connection_id or self.connection_id
        if conn not in self.scim_tokens:
            with self.rt.db.write() as s:
                self.scim_tokens[conn] = scim_tokens.create_token(s, conn, actor="test").token
        return self.scim_tokens[conn]

    def scim(
        self,
        method: str,
        path: str,
        body: dict[str, Any] | None = None,
        connection_id: str | None = None,
    ) -> httpx.Response:
        """A request as Okta's provisioning client sends it."""
        headers = {
            "Authorization": "Bearer " + self.scim_token(connection_id),
            "Content-Type": SCIM_JSON,
            "Accept": SCIM_JSON,
            "User-Agent": "Okta SCIM Client 1.0.0",
        }
        with http_client() as c:
            return c.request(method, self.url + "/scim/v2" + path, json=body, headers=headers)

    def provision(
        self,
        user_name: str,
        *,
        active: bool = True,
        email: str | None = None,
        connection_id: str | None = None,
        given: str = "Ada",
        family: str = "Lovelace",
    ) -> str:
        """Create Users, as Okta does it: ``POST /scim/v2/Users`` with the connection's token."""
        email = email or user_name
        body = {
            "schemas": [SCIM_USER],
            "userName": user_name,
            "name": {"givenName": given, "familyName": family},
            "emails": [{"primary": True, "value": email, "type": "work"}],
            "displayName": f"{given} {family}",
            "locale": "en-US",
            "externalId": "00u" + secrets.token_hex(8),
            "groups": [],
            "password": secrets.token_urlsafe(9),
            "active": active,
        }
        r = self.scim("POST", "/Users", body, connection_id)
        assert r.status_code == 201, r.text
        return str(r.json()["id"])

    def deactivate(self, user_id: str, connection_id: str | None = None) -> None:
        """Deactivate Users, as Okta does it: a PATCH of ``active`` to false."""
        r = self.scim(
            "PATCH",
            f"/Users/{user_id}",
            {
                "schemas": [SCIM_PATCH],
                "Operations": [{"op": "replace", "value": {"active": False}}],
            },
            connection_id,
        )
        assert r.status_code == 200 and r.json()["active"] is False, r.text

    def new_org(
        self, domain: str, *, issuer: str | None = None, state: str = "complete"
    ) -> tuple[str, str]:
        """Another organization with its own domain and connection (for destructive tests)."""
        with self.rt.db.write() as s:
            org = orgs.create_org(s, domain.split(".")[0].title(), [domain], actor="test")
            info = connections.create_connection(
                s,
                self.rt.box,
                org_id=org.id,
                issuer=issuer or self.okta.url,
                client_id=OKTA_CLIENT_ID,
                client_secret=OKTA_CLIENT_SECRET,
                actor="test",
            )
            connections.set_setup_state(s, info.id, state, actor="test")
        return org.id, info.id

    def add_connection(
        self, issuer: str, *, org_id: str | None = None, complete: bool = True
    ) -> str:
        with self.rt.db.write() as s:
            info = connections.create_connection(
                s,
                self.rt.box,
                org_id=org_id or self.org_id,
                issuer=issuer,
                client_id=OKTA_CLIENT_ID,
                client_secret=OKTA_CLIENT_SECRET,
                actor="test",
            )
            if complete:
                connections.set_setup_state(s, info.id, "complete", actor="test")
            return info.id


def setup_org(rt: Runtime, okta_url: str) -> tuple[str, str]:
    with rt.db.write() as s:
        org = orgs.create_org(s, "Acme Post", [DOMAIN], actor="test")
        info = connections.create_connection(
            s,
            rt.box,
            org_id=org.id,
            issuer=okta_url,
            client_id=OKTA_CLIENT_ID,
            client_secret=OKTA_CLIENT_SECRET,
            actor="test",
        )
        connections.set_setup_state(s, info.id, "complete", actor="test")
    return org.id, info.id


@contextmanager
def running_backend(data_dir: Path, okta: MockOkta) -> Iterator[Backend]:
    holder: dict[str, Runtime] = {}

    def make(base_url: str) -> Any:
        rt = Runtime.open(make_settings(data_dir, base_url=base_url))
        rt.db.migrate()
        holder["rt"] = rt
        return create_app(rt)

    with serve_asgi(make) as url:
        rt = holder["rt"]
        org_id, conn_id = setup_org(rt, okta.url)
        try:
            yield Backend(rt=rt, url=url, okta=okta, org_id=org_id, connection_id=conn_id)
        finally:
            rt.close()


# -- the browser ----------------------------------------------------------------------------------

_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(html: str) -> str:
    m = _CSRF.search(html)
    assert m, "no CSRF token on the page"
    return m.group(1)


@dataclass
class Browser:
    """A cookie-keeping httpx client that follows redirects by hand, so tests see each hop."""

    # Each browser is its own client address (uvicorn believes X-Forwarded-For from loopback),
    # so the login form's per-address rate limit counts per test, not per test run.
    client: httpx.Client = field(default_factory=lambda: browser_client())

    def __enter__(self) -> Browser:
        return self

    def __exit__(self, *exc: object) -> None:
        self.client.close()

    def get(self, url: str, **kw: Any) -> httpx.Response:
        return self.client.get(url, **kw)

    def follow(
        self, response: httpx.Response, *, stop_at: str | None = None, limit: int = 10
    ) -> httpx.Response:
        """Follow redirects (not into ``stop_at``, a URL prefix such as the panel's loopback)."""
        for _ in range(limit):
            if not response.is_redirect:
                return response
            location = urljoin(str(response.url), response.headers["location"])
            if stop_at and location.startswith(stop_at):
                return response
            response = self.client.get(location)
        raise AssertionError("too many redirects")

    def submit_email(self, login_page: httpx.Response, email: str) -> httpx.Response:
        """Fill in the work-email form on ``login_page`` and send it."""
        assert login_page.status_code == 200, login_page.text
        nxt = re.search(r'name="next" value="([^"]*)"', login_page.text)
        data = {
            "email": email,
            "csrf_token": csrf_of(login_page.text),
            "next": (nxt.group(1) if nxt else "").replace("&amp;", "&"),
        }
        base = f"{login_page.url.scheme}://{login_page.url.netloc.decode()}"
        return self.client.post(base + "/login", data=data)

    def okta_login(self, to_okta: httpx.Response, sub: str) -> httpx.Response:
        """Given our redirect to Okta, sign in there as ``sub``; returns Okta's redirect back."""
        assert to_okta.status_code == 303, to_okta.text
        okta_url = to_okta.headers["location"]
        form = self.client.get(okta_url)
        assert form.status_code == 200, form.text
        back = self.client.post(okta_url, data={"sub": sub})
        assert back.status_code == 302, back.text
        return back

    def sign_in(
        self, start: str, email: str, *, sub: str | None = None, stop_at: str | None = None
    ) -> httpx.Response:
        """From ``start`` (a URL that needs sign-in) through /login and Okta, and on."""
        page = self.follow(self.get(start), stop_at=stop_at)
        to_okta = self.submit_email(page, email)
        back = self.okta_login(to_okta, sub or email)
        return self.follow(self.get(back.headers["location"]), stop_at=stop_at)


# -- the panel (a plain PKCE client) --------------------------------------------------------------


def s256(verifier: str) -> str:
    return (
        base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    )


@dataclass
class Panel:
    base_url: str
    port: int = 53682
    verifier: str = field(default_factory=lambda: secrets.token_urlsafe(48))
    state: str = field(default_factory=lambda: secrets.token_urlsafe(16))
    nonce: str = field(default_factory=lambda: secrets.token_urlsafe(16))

    @property
    def redirect_uri(self) -> str:
        return f"http://127.0.0.1:{self.port}/callback"

    def authorize_url(self, **overrides: str | None) -> str:
        params: dict[str, str | None] = {
            "response_type": "code",
            "client_id": PANEL,
            "redirect_uri": self.redirect_uri,
            "scope": "openid profile email offline_access",
            "state": self.state,
            "nonce": self.nonce,
            "code_challenge": s256(self.verifier),
            "code_challenge_method": "S256",
        }
        params.update(overrides)
        return (
            self.base_url
            + "/oauth/authorize?"
            + urlencode({k: v for k, v in params.items() if v is not None})
        )

    def code_from(self, response: httpx.Response) -> str:
        assert response.status_code in (302, 303), response.text
        location = response.headers["location"]
        assert location.startswith(self.redirect_uri + "?"), location
        query = parse_qs(urlsplit(location).query)
        assert query["state"] == [self.state]
        assert query["iss"] == [self.base_url]
        return query["code"][0]

    def exchange(self, code: str, *, verifier: str | None = "", **extra: str) -> httpx.Response:
        data = {
            "grant_type": "authorization_code",
            "code": code,
            "client_id": PANEL,
            "redirect_uri": self.redirect_uri,
        }
        if verifier is not None:
            data["code_verifier"] = verifier or self.verifier
        data.update(extra)
        return post(self.base_url + "/oauth/token", data=data)

    def refresh(self, refresh_token: str) -> httpx.Response:
        return post(
            self.base_url + "/oauth/token",
            data={
                "grant_type": "refresh_token",
                "refresh_token": refresh_token,
                "client_id": PANEL,
            },
        )

    def me(self, access_token: str) -> httpx.Response:
        return get(
            self.base_url + "/api/v1/me", headers={"Authorization": f"Bearer {access_token}"}
        )
