"""The relying party toward each connection's Okta, built on Authlib's OAuth 2.0 client.

- Discovery (``<issuer>/.well-known/openid-configuration``) and the JWKS are cached per issuer
  for ``ttl``; the JWKS is fetched again when an ID token names a ``kid`` we do not have (Okta
  rotates its keys). The cache is only a cache: every process can rebuild it.
- The authorization request carries ``state``, ``nonce``, PKCE S256 and ``login_hint``.
- The code is exchanged with ``client_secret_basic`` or ``client_secret_post``, whichever the
  issuer's metadata lists (basic preferred; the OIDC default when it lists none).
- The ID token is checked with Authlib's ``CodeIDToken``: signature via the JWKS, ``iss``
  exactly the discovered issuer, ``aud`` our Client ID, ``exp``, ``iat`` and ``nonce``.

Network and protocol failures become ``LoginError`` subclasses (``backend.sso.errors``).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx2
from authlib.integrations.httpx_client import OAuth2Client, OAuthError
from authlib.oidc.core import CodeIDToken
from joserfc import jwt
from joserfc.errors import ExpiredTokenError, InvalidClaimError, InvalidKeyIdError, JoseError
from joserfc.jwk import KeySet
from joserfc.jws import JWSRegistry

from backend.sso.errors import InvalidIdToken, IssuerMismatch, ProviderUnavailable

__all__ = ["ClientConfig", "ProviderMetadata", "Providers"]

SCOPE = "openid email profile"
DEFAULT_TTL_SECONDS = 3600.0
ID_TOKEN_LEEWAY_SECONDS = 120


@dataclass(frozen=True, slots=True)
class ProviderMetadata:
    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str
    token_endpoint_auth_method: str
    id_token_algs: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ClientConfig:
    """Our registration at one connection's Okta."""

    issuer: str
    client_id: str
    client_secret: str | None
    redirect_uri: str


def choose_auth_method(supported: object) -> str:
    methods = supported if isinstance(supported, list) else ["client_secret_basic"]
    for method in ("client_secret_basic", "client_secret_post"):
        if method in methods:
            return method
    raise ProviderUnavailable(
        "Your Okta does not accept a client secret at its token endpoint "
        f"(it lists {', '.join(map(str, methods)) or 'nothing'})."
    )


def parse_metadata(issuer: str, doc: Any) -> ProviderMetadata:
    """Check a discovery document against the issuer we were configured with."""
    if not isinstance(doc, dict):
        raise ProviderUnavailable("Okta's discovery document is not a JSON object.")
    found = doc.get("issuer")
    if not isinstance(found, str) or found.rstrip("/") != issuer.rstrip("/"):
        raise ProviderUnavailable(
            f"Okta's discovery document names the issuer {found!r}, not {issuer!r}: the issuer "
            "URL on the SSO Management page may be wrong."
        )
    missing = [
        name
        for name in ("authorization_endpoint", "token_endpoint", "jwks_uri")
        if not isinstance(doc.get(name), str) or not doc[name].startswith(("https://", "http://"))
    ]
    if missing:
        raise ProviderUnavailable(
            f"Okta's discovery document lacks {', '.join(missing)}: it is not usable."
        )
    algs = doc.get("id_token_signing_alg_values_supported") or ["RS256"]
    algs = [a for a in algs if isinstance(a, str) and a != "none"] or ["RS256"]
    return ProviderMetadata(
        issuer=found,
        authorization_endpoint=doc["authorization_endpoint"],
        token_endpoint=doc["token_endpoint"],
        jwks_uri=doc["jwks_uri"],
        token_endpoint_auth_method=choose_auth_method(
            doc.get("token_endpoint_auth_methods_supported")
        ),
        id_token_algs=tuple(algs),
    )


class Providers:
    """Discovery and keys for every issuer, cached; the token exchange; ID token checks."""

    def __init__(
        self,
        *,
        timeout: float = 10.0,
        ttl: float = DEFAULT_TTL_SECONDS,
        clock: Callable[[], float] = time.monotonic,
        client_kwargs: dict[str, Any] | None = None,
    ) -> None:
        self._timeout = timeout
        self._ttl = ttl
        self._clock = clock
        self._client_kwargs = dict(client_kwargs or {})
        # One transport (connection pool and TLS context) for every call: building a TLS
        # context per client costs ~0.3 s, more than the rest of a sign-in.
        self._client_kwargs.setdefault("transport", httpx2.HTTPTransport())
        self._metadata: dict[str, tuple[float, ProviderMetadata]] = {}
        self._jwks: dict[str, tuple[float, dict[str, Any]]] = {}
        self._lock = threading.Lock()

    # -- discovery and keys ------------------------------------------------------------------------

    def metadata(self, issuer: str) -> ProviderMetadata:
        cached = self._metadata.get(issuer)
        if cached is not None and self._clock() - cached[0] < self._ttl:
            return cached[1]
        doc = self._get_json(issuer.rstrip("/") + "/.well-known/openid-configuration", "discovery")
        md = parse_metadata(issuer, doc)
        with self._lock:
            self._metadata[issuer] = (self._clock(), md)
        return md

    def jwks(self, md: ProviderMetadata, *, force: bool = False) -> dict[str, Any]:
        cached = self._jwks.get(md.jwks_uri)
        if not force and cached is not None and self._clock() - cached[0] < self._ttl:
            return cached[1]
        doc = self._get_json(md.jwks_uri, "signing keys")
        if not isinstance(doc, dict) or not isinstance(doc.get("keys"), list):
            raise ProviderUnavailable("Okta's signing keys (JWKS) are not a valid key set.")
        with self._lock:
            self._jwks[md.jwks_uri] = (self._clock(), doc)
        return doc

    def forget(self, issuer: str) -> None:
        with self._lock:
            md = self._metadata.pop(issuer, None)
            if md is not None:
                self._jwks.pop(md[1].jwks_uri, None)

    # -- the code flow -----------------------------------------------------------------------------

    def authorization_url(
        self,
        cfg: ClientConfig,
        md: ProviderMetadata,
        *,
        state: str,
        nonce: str,
        code_verifier: str,
        login_hint: str | None,
    ) -> str:
        client = self._client(cfg, md)  # not closed: that would close the shared transport
        extra: dict[str, str] = {"nonce": nonce}
        if login_hint:
            extra["login_hint"] = login_hint
        url, _ = client.create_authorization_url(
            md.authorization_endpoint, state=state, code_verifier=code_verifier, **extra
        )
        return str(url)

    def exchange_code(
        self, cfg: ClientConfig, md: ProviderMetadata, *, code: str, code_verifier: str
    ) -> dict[str, Any]:
        client = self._client(cfg, md)
        try:
            token = client.fetch_token(
                md.token_endpoint,
                grant_type="authorization_code",
                code=code,
                code_verifier=code_verifier,
            )
        except OAuthError as exc:
            raise ProviderUnavailable(
                f"Okta refused to complete the sign-in ({exc.error}"
                + (f": {exc.description}" if exc.description else "")
                + ")."
            ) from exc
        except Exception as exc:  # network errors of the HTTP client, bad JSON
            raise ProviderUnavailable(
                f"Okta's token endpoint could not be used ({type(exc).__name__})."
            ) from exc
        if not isinstance(token, dict) or not isinstance(token.get("id_token"), str):
            raise ProviderUnavailable("Okta answered without an ID token (is 'openid' allowed?).")
        return dict(token)

    def verify_id_token(
        self,
        cfg: ClientConfig,
        md: ProviderMetadata,
        id_token: str,
        *,
        nonce: str,
        access_token: str | None,
        now: int | None = None,
    ) -> dict[str, Any]:
        registry = JWSRegistry(algorithms=list(md.id_token_algs))

        def decode(force: bool) -> jwt.Token:
            keys = KeySet.import_key_set(self.jwks(md, force=force))  # type: ignore[arg-type]
            return jwt.decode(id_token, keys, registry=registry)

        try:
            try:
                token = decode(False)
            except InvalidKeyIdError:
                token = decode(True)  # Okta rotated its keys
        except (JoseError, ValueError) as exc:
            raise InvalidIdToken(f"The ID token's signature is not valid ({exc}).") from exc
        return check_id_token_claims(
            token.claims,
            token.header,
            issuer=md.issuer,
            client_id=cfg.client_id,
            nonce=nonce,
            access_token=access_token,
            now=now,
        )

    # -- plumbing ----------------------------------------------------------------------------------

    def _client(self, cfg: ClientConfig, md: ProviderMetadata) -> OAuth2Client:
        return OAuth2Client(
            client_id=cfg.client_id,
            client_secret=cfg.client_secret,
            token_endpoint_auth_method=md.token_endpoint_auth_method,
            scope=SCOPE,
            redirect_uri=cfg.redirect_uri,
            code_challenge_method="S256",
            timeout=self._timeout,
            **self._client_kwargs,
        )

    def _get_json(self, url: str, what: str) -> Any:
        try:
            client = OAuth2Client(timeout=self._timeout, **self._client_kwargs)
            resp = client.request(
                "GET", url, withhold_token=True, headers={"Accept": "application/json"}
            )
        except Exception as exc:  # the HTTP client's connection and timeout errors
            raise ProviderUnavailable(
                f"Okta's {what} at {url} could not be fetched ({type(exc).__name__})."
            ) from exc
        if resp.status_code != 200:
            raise ProviderUnavailable(f"Okta's {what} at {url} answered HTTP {resp.status_code}.")
        try:
            return resp.json()
        except ValueError as exc:
            raise ProviderUnavailable(f"Okta's {what} at {url} is not JSON.") from exc


def check_id_token_claims(
    claims: dict[str, Any],
    header: dict[str, Any],
    *,
    issuer: str,
    client_id: str,
    nonce: str,
    access_token: str | None,
    now: int | None = None,
) -> dict[str, Any]:
    """Authlib's ID token rules, our issuer and audience, and the login's nonce."""
    iss = claims.get("iss")
    if iss != issuer:
        raise IssuerMismatch(
            f"The ID token was issued by {iss!r}, but this sign-in was started at {issuer!r}."
        )
    if not nonce:
        raise InvalidIdToken("The sign-in has no nonce to check the ID token against.")
    params: dict[str, Any] = {"nonce": nonce, "client_id": client_id}
    if access_token:
        params["access_token"] = access_token
    idt = CodeIDToken(
        claims,
        header,
        {
            "iss": {"essential": True, "value": issuer},
            "aud": {"essential": True, "value": client_id},
        },
        params,
    )
    try:
        idt.validate(now=now, leeway=ID_TOKEN_LEEWAY_SECONDS)
    except ExpiredTokenError as exc:
        raise InvalidIdToken("The ID token has expired (check the server's clock).") from exc
    except InvalidClaimError as exc:
        raise InvalidIdToken(f"The ID token's {exc.claim!r} claim is not valid.") from exc
    except JoseError as exc:
        raise InvalidIdToken(f"The ID token is not valid ({exc}).") from exc
    return dict(claims)
