"""Our authorization server: Authlib's core behind a thin Starlette adapter.

Authlib knows no web framework; this module turns a Starlette request into an
``OAuth2Request`` (``oauth2_request``) and Authlib's ``(status, body, headers)`` back into a
Starlette response (``handle_response``). Every call runs inside one database transaction that
the caller binds with ``server.bound(session)``, so a code claim, a token family revocation and
the new tokens commit or roll back together.
"""

from __future__ import annotations

import json
import secrets
from collections import defaultdict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from authlib.oauth2 import AuthorizationServer, OAuth2Request
from authlib.oauth2.rfc6749 import OAuth2Payload
from authlib.oauth2.rfc7009 import RevocationEndpoint
from sqlalchemy.orm import Session
from starlette.datastructures import Headers
from starlette.responses import Response

from backend.oauth.grants import (
    REFRESH_TOKEN_LIFETIME,
    CodeGrant,
    IdTokenExtension,
    RotatingRefreshGrant,
    S256Challenge,
    revoke_family,
    secret_hash,
)
from backend.oauth.keys import KeyStore, SigningKeyInfo
from backend.oauth.models import ClientView, GrantUser
from backend.oauth.tokens import AccessTokenError, decode_access_token, encode_access_token
from backend.settings import Settings
from backend.store.models import OAuthClient, RefreshToken
from backend.store.models.base import new_id, utcnow

__all__ = ["SCOPES", "QuicktureAuthorizationServer", "StarletteOAuth2Request"]

SCOPES = ["openid", "profile", "email", "offline_access"]
REFRESH_TOKEN_PREFIX = "qtrt_"

_db: ContextVar[Session | None] = ContextVar("quickture_oauth_db", default=None)
_key: ContextVar[SigningKeyInfo | None] = ContextVar("quickture_oauth_key", default=None)


class _Payload(OAuth2Payload):
    def __init__(self, items: Iterable[tuple[str, str]]) -> None:
        datalist: defaultdict[str, list[str]] = defaultdict(list)
        for k, v in items:
            datalist[k].append(v)
        self._datalist = datalist
        self._data = {k: vs[0] for k, vs in datalist.items()}

    @property
    def data(self) -> dict[str, str]:
        return self._data

    @property
    def datalist(self) -> defaultdict[str, list[str]]:
        return self._datalist


class StarletteOAuth2Request(OAuth2Request):
    """A request as Authlib sees it: the public URL, headers, query and form parameters."""

    def __init__(
        self,
        method: str,
        uri: str,
        headers: Headers,
        query: list[tuple[str, str]],
        form: list[tuple[str, str]],
    ) -> None:
        super().__init__(method, uri, headers=headers)
        self._args = dict(query)
        self._form = dict(form)
        self.payload = _Payload([*query, *form])

    @property
    def args(self) -> dict[str, str]:
        return self._args

    @property
    def form(self) -> dict[str, str]:
        return self._form


@dataclass(frozen=True, slots=True)
class _RevocationTarget:
    family_id: str
    client_id: str

    def check_client(self, client: ClientView) -> bool:
        return client.client_id == self.client_id


class _Revocation(RevocationEndpoint):
    """RFC 7009. A refresh token or an access token revokes its whole family."""

    CLIENT_AUTH_METHODS = ["none"]

    def query_token(self, token_string: str, token_type_hint: str | None) -> Any:
        server: QuicktureAuthorizationServer = self.server
        s = server.db
        row = s.execute(
            sa.select(RefreshToken.family_id, RefreshToken.client_id).where(
                RefreshToken.token_hash == secret_hash(token_string)
            )
        ).first()
        if row is not None:
            return _RevocationTarget(row.family_id, row.client_id)
        try:
            claims = decode_access_token(
                token_string,
                issuer=server.issuer,
                public_key=lambda kid: server.keys.public_key(s, kid),
            )
        except AccessTokenError:
            return None
        return _RevocationTarget(claims.sid, claims.client_id) if claims.sid else None

    def revoke_token(self, token: _RevocationTarget, request: Any) -> None:
        revoke_family(self.server.db, RefreshToken.family_id == token.family_id)


class QuicktureAuthorizationServer(AuthorizationServer):
    def __init__(self, settings: Settings, keys: KeyStore) -> None:
        super().__init__(scopes_supported=SCOPES)
        self.settings = settings
        self.issuer = settings.base_url
        self.keys = keys
        self.register_token_generator("default", self._generate_token)
        self.register_grant(CodeGrant, [S256Challenge(required=True), IdTokenExtension(self)])
        self.register_grant(RotatingRefreshGrant)
        self.register_endpoint(_Revocation(self))

    # -- the transaction of this request --------------------------------------------------------

    @contextmanager
    def bound(self, s: Session) -> Iterator[None]:
        db_token = _db.set(s)
        key_token = _key.set(None)
        try:
            yield
        finally:
            _key.reset(key_token)
            _db.reset(db_token)

    @property
    def db(self) -> Session:
        s = _db.get()
        if s is None:
            raise RuntimeError("the authorization server is used outside server.bound(session)")
        return s

    def signing_key(self) -> SigningKeyInfo:
        key = _key.get()
        if key is None:
            key = self.keys.current(self.db)
            _key.set(key)
        return key

    def oauth2_request(
        self,
        method: str,
        path: str,
        headers: Headers,
        query: list[tuple[str, str]],
        form: list[tuple[str, str]] | None = None,
    ) -> StarletteOAuth2Request:
        return StarletteOAuth2Request(
            method, self.settings.url(path), headers, query, list(form or [])
        )

    # -- what Authlib asks of a framework integration ---------------------------------------------

    def query_client(self, client_id: str) -> ClientView | None:
        row = self.db.get(OAuthClient, client_id) if client_id else None
        if row is None:
            return None
        return ClientView(
            client_id=row.client_id,
            name=row.name,
            is_public=row.is_public,
            loopback_redirect=row.loopback_redirect,
            redirect_uris=tuple(row.redirect_uris or ()),
            scope=row.scope,
        )

    def create_oauth2_request(self, request: Any) -> OAuth2Request:
        if not isinstance(request, OAuth2Request):
            raise TypeError("build the request with server.oauth2_request(...)")
        return request

    def handle_response(self, status: int, body: Any, headers: Any) -> Response:
        if isinstance(body, dict):
            body = json.dumps(body)
        return Response(body, status_code=status, headers=dict(headers))

    def send_signal(self, name: str, *args: Any, **kwargs: Any) -> None:
        return None

    def save_token(self, token: dict[str, Any], request: Any) -> None:
        refresh = token.get("refresh_token")
        if not refresh:
            return
        who: GrantUser = request.user
        client: ClientView = request.client
        now = utcnow()
        self.db.add(
            RefreshToken(
                id=new_id(),
                token_hash=secret_hash(refresh),
                family_id=who.family_id,
                code_hash=who.code_hash,
                client_id=client.client_id,
                user_id=who.user.id,
                scope=token.get("scope", ""),
                created_at=now,
                expires_at=now + REFRESH_TOKEN_LIFETIME,
            )
        )

    def _generate_token(
        self,
        grant_type: str,
        client: ClientView,
        user: GrantUser | None = None,
        scope: str | None = None,
        expires_in: int | None = None,
        include_refresh_token: bool = True,
    ) -> dict[str, Any]:
        if user is None:
            raise RuntimeError("tokens are only issued to users")
        scope = scope or ""
        access, lifetime = encode_access_token(
            self.signing_key(),
            issuer=self.issuer,
            sub=user.user.id,
            org=user.user.org_id,
            scope=scope,
            client_id=client.client_id,
            sid=user.family_id,
        )
        token: dict[str, Any] = {
            "token_type": "Bearer",
            "access_token": access,
            "expires_in": lifetime,
            "scope": scope,
        }
        if include_refresh_token:
            token["refresh_token"] = REFRESH_TOKEN_PREFIX + secrets.token_urlsafe(32)
        return token
