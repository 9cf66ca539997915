"""What Authlib's grants see: the client, a code and a refresh token as small read-only views.

Authlib asks its models questions (``check_redirect_uri``, ``get_scope``...); these classes
answer them from values read out of the database. Rows stay in the storage layer.

The panel (``loopback_redirect``) may use ``http://127.0.0.1:<any port>/callback`` or
``http://[::1]:<any port>/callback`` (RFC 8252 section 7.3); other clients match exactly.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from authlib.oauth2.rfc6749 import ClientMixin, TokenMixin
from authlib.oauth2.rfc6749.util import scope_to_list
from authlib.oidc.core import AuthorizationCodeMixin

from backend.domain.users import UserInfo

__all__ = ["AuthorizingUser", "ClientView", "CodeView", "GrantUser", "RefreshView"]

LOOPBACK_HOSTS = ("127.0.0.1", "::1")
LOOPBACK_PATH = "/callback"


def is_loopback_redirect(uri: str) -> bool:
    """``http://127.0.0.1:<port>/callback`` or ``http://[::1]:<port>/callback``, nothing else."""
    try:
        parts = urlsplit(uri)
        port = parts.port
    except ValueError:
        return False
    return (
        parts.scheme == "http"
        and parts.hostname in LOOPBACK_HOSTS
        and port is not None
        and port > 0
        and parts.username is None
        and parts.password is None
        and parts.path == LOOPBACK_PATH
        and not parts.query
        and not parts.fragment
        and "#" not in uri
    )


@dataclass(frozen=True, slots=True)
class ClientView(ClientMixin):
    client_id: str
    name: str
    is_public: bool
    loopback_redirect: bool
    redirect_uris: tuple[str, ...]
    scope: str

    def get_client_id(self) -> str:
        return self.client_id

    def get_default_redirect_uri(self) -> str | None:
        # A loopback client must always say which port it listens on.
        return (
            None
            if self.loopback_redirect or len(self.redirect_uris) != 1
            else self.redirect_uris[0]
        )

    def get_allowed_scope(self, scope: str | None) -> str:
        allowed = scope_to_list(self.scope)
        if not scope:
            return " ".join(allowed)
        return " ".join(s for s in scope_to_list(scope) if s in allowed)

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        if self.loopback_redirect:
            return is_loopback_redirect(redirect_uri)
        return redirect_uri in self.redirect_uris

    def check_client_secret(self, client_secret: str) -> bool:
        return False  # public clients only, for now

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        return self.is_public and method == "none"

    def check_response_type(self, response_type: str) -> bool:
        return response_type == "code"

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type in ("authorization_code", "refresh_token")


@dataclass(frozen=True, slots=True)
class AuthorizingUser:
    """The signed-in browser's user at ``/oauth/authorize``."""

    user: UserInfo
    auth_time: datetime


@dataclass(frozen=True, slots=True)
class GrantUser:
    """The user a token request issues tokens to, and the refresh-token family they belong to."""

    user: UserInfo
    family_id: str
    code_hash: str | None


@dataclass(frozen=True, slots=True)
class CodeView(AuthorizationCodeMixin):
    code_hash: str
    client_id: str
    user_id: str
    redirect_uri: str
    scope: str
    nonce: str | None
    code_challenge: str
    code_challenge_method: str
    auth_time: datetime

    def get_redirect_uri(self) -> str:
        return self.redirect_uri

    def get_scope(self) -> str:
        return self.scope

    def get_nonce(self) -> str | None:
        return self.nonce

    def get_auth_time(self) -> int:
        return int(self.auth_time.timestamp())


@dataclass(frozen=True, slots=True)
class RefreshView(TokenMixin):
    id: str
    family_id: str
    code_hash: str | None
    client_id: str
    user_id: str
    scope: str
    expires_at: datetime

    def check_client(self, client: ClientMixin) -> bool:
        return bool(client.get_client_id() == self.client_id)

    def get_scope(self) -> str:
        return self.scope

    def get_expires_in(self) -> int:
        return 0

    def is_expired(self) -> bool:
        return False

    def is_revoked(self) -> bool:
        return False
