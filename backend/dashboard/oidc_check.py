"""Checking an Okta (OpenID Provider) from the backend's side, in plain words for an IT admin.

- ``discover``: the issuer's ``/.well-known/openid-configuration`` answers, is JSON, names the
  same issuer and the endpoints we need.
- ``check_jwks``: the ``jwks_uri`` answers with at least one key.
- ``probe_client``: the client ID and secret at the token endpoint, with an authorization code
  that cannot exist. Okta checks the client before the code, so ``invalid_client`` means the ID
  or secret is wrong, and ``invalid_grant`` means they were accepted (and nothing was issued).

Every check takes an ``httpx.Client`` (the test seam) and raises ``CheckFailed`` whose message
says what is wrong and what to do.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlsplit

import httpx

__all__ = [
    "CheckFailed",
    "Discovery",
    "ProbeResult",
    "check_jwks",
    "check_settings",
    "discover",
    "probe_client",
]

TIMEOUT = httpx.Timeout(5.0)
REQUIRED = ("authorization_endpoint", "token_endpoint", "jwks_uri")


class CheckFailed(Exception):
    """A check failed; the message is a sentence for the admin."""


@dataclass(frozen=True, slots=True)
class Discovery:
    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str


@dataclass(frozen=True, slots=True)
class ProbeResult:
    accepted: bool | None  # None: Okta answered something we cannot read as yes or no
    error: str
    description: str


def discovery_url(issuer: str) -> str:
    return issuer.rstrip("/") + "/.well-known/openid-configuration"


def discover(client: httpx.Client, issuer: str) -> Discovery:
    url = discovery_url(issuer)
    body = _get_json(client, url, what="the discovery document")
    if not isinstance(body, dict):
        raise CheckFailed(f"{url} did not answer with an OpenID configuration document.")
    named = str(body.get("issuer", "")).rstrip("/")
    if named != issuer.rstrip("/"):
        raise CheckFailed(
            f"{url} names the issuer {named or '(none)'!r}, not {issuer!r}. Use exactly the "
            "Okta domain of your organization, such as https://your-company.okta.com."
        )
    missing = [k for k in REQUIRED if not isinstance(body.get(k), str) or not body[k]]
    if missing:
        raise CheckFailed(f"{url} does not list {', '.join(missing)}; is this an Okta issuer?")
    for key in REQUIRED:
        if not _safe_endpoint(body[key]):
            raise CheckFailed(
                f"{url} lists {key} {body[key]!r}, which is not https; Quickture will not send "
                "your Client Secret or sign-ins over an unencrypted connection."
            )
    return Discovery(
        issuer=named,
        authorization_endpoint=body["authorization_endpoint"],
        token_endpoint=body["token_endpoint"],
        jwks_uri=body["jwks_uri"],
    )


def check_jwks(client: httpx.Client, jwks_uri: str) -> int:
    """The number of signing keys published at ``jwks_uri``."""
    body = _get_json(client, jwks_uri, what="the signing keys (JWKS)")
    keys = body.get("keys") if isinstance(body, dict) else None
    if not isinstance(keys, list) or not keys:
        raise CheckFailed(f"{jwks_uri} publishes no signing keys, so no sign-in can be verified.")
    return len(keys)


def probe_client(
    client: httpx.Client,
    token_endpoint: str,
    client_id: str,
    client_secret: str,
    redirect_uri: str,
) -> ProbeResult:
    """Present the client credentials with a made-up code; nothing can be issued."""
    # RFC 6749 2.3.1: the ID and secret are form-encoded before Basic authentication.
    auth = httpx.BasicAuth(quote(client_id, safe=""), quote(client_secret, safe=""))
    data = {
        "grant_type": "authorization_code",
        "code": "quickture-health-check-" + secrets.token_urlsafe(16),
        "redirect_uri": redirect_uri,
    }
    try:
        r = client.post(token_endpoint, data=data, auth=auth, timeout=TIMEOUT)
    except httpx.HTTPError as exc:
        raise CheckFailed(
            f"Okta's token endpoint {token_endpoint} did not answer: {_describe(exc)}."
        ) from exc
    body: Any
    try:
        body = r.json()
    except ValueError:
        body = {}
    error = str(body.get("error", "")) if isinstance(body, dict) else ""
    description = str(body.get("error_description", "")) if isinstance(body, dict) else ""
    if error == "invalid_client" or r.status_code == 401:
        return ProbeResult(False, error or "invalid_client", description)
    if error in ("invalid_grant", "unauthorized_client"):
        return ProbeResult(True, error, description)
    return ProbeResult(None, error or f"HTTP {r.status_code}", description)


def check_settings(
    client: httpx.Client,
    issuer: str,
    client_id: str,
    client_secret: str | None,
    redirect_uri: str,
) -> Discovery:
    """What the wizard and the Manage page check before saving: discovery, and, when there is a
    secret, that Okta does not reject the Client ID and Secret. Only a clear rejection stops the
    save; an unclear or unreachable token endpoint is left to the health page."""
    found = discover(client, issuer)
    if client_secret:
        try:
            result = probe_client(
                client, found.token_endpoint, client_id, client_secret, redirect_uri
            )
        except CheckFailed:
            return found
        if result.accepted is False:
            raise CheckFailed(
                "Okta rejected the Client ID or Client Secret. Copy both again from the "
                "General tab of the Quickture app in Okta (Client Credentials)."
            )
    return found


def _safe_endpoint(url: str) -> bool:
    """https, or http on loopback (a local test provider), as for the issuer itself."""
    parts = urlsplit(url)
    if parts.scheme == "https" and parts.hostname:
        return True
    return parts.scheme == "http" and parts.hostname in ("127.0.0.1", "::1", "localhost")


def _get_json(client: httpx.Client, url: str, *, what: str) -> Any:
    try:
        r = client.get(url, timeout=TIMEOUT, headers={"Accept": "application/json"})
    except httpx.HTTPError as exc:
        raise CheckFailed(
            f"Quickture could not reach {url} for {what}: {_describe(exc)}. "
            "Check the Okta domain for typos."
        ) from exc
    if r.status_code != 200:
        raise CheckFailed(
            f"{url} answered HTTP {r.status_code} instead of {what}. "
            "Check the Okta domain: it is the address you sign in to Okta at."
        )
    try:
        return r.json()
    except ValueError as exc:
        raise CheckFailed(f"{url} did not answer with JSON, so it is not {what}.") from exc


def _describe(exc: httpx.HTTPError) -> str:
    if isinstance(exc, httpx.ConnectError):
        return "the connection was refused or the name does not resolve"
    if isinstance(exc, httpx.TimeoutException):
        return "it did not answer within 5 seconds"
    return type(exc).__name__
