"""Everything that can go wrong while signing in or keeping a session, as one tree.

::

    AuthError
    ├── SignInCancelled        the editor clicked Cancel
    ├── SignInTimedOut         nothing came back to the loopback receiver in time
    ├── AuthorizationDenied    the authorization server sent ``error=...`` to the callback
    ├── BackendUnreachable     no answer from the backend (offline, DNS, TLS, timeout)
    ├── BackendMisconfigured   the backend answered, but not as a Quickture backend should
    ├── IdTokenInvalid         the ID token failed signature, iss, aud, nonce or exp checks
    ├── TokenRefused           the token endpoint refused (an RFC 6749 error body)
    │   └── SessionEnded       the refresh token is no good any more (``reason`` says why)
    └── KeychainUnavailable    the OS keychain cannot be used (the session lives for this run)

Each carries only what the editor's message needs; none carries a token.
"""

from __future__ import annotations

__all__ = [
    "AuthError",
    "AuthorizationDenied",
    "BackendMisconfigured",
    "BackendUnreachable",
    "IdTokenInvalid",
    "KeychainUnavailable",
    "SessionEnded",
    "SignInCancelled",
    "SignInTimedOut",
    "TokenRefused",
]


class AuthError(Exception):
    """Base of every sign-in and session error."""


class SignInCancelled(AuthError):
    """The editor cancelled the sign-in."""


class SignInTimedOut(AuthError):
    """The browser did not come back to the panel in time."""


class AuthorizationDenied(AuthError):
    """The authorization server redirected back with an OAuth error instead of a code."""

    def __init__(self, error: str, description: str | None = None) -> None:
        super().__init__(f"{error}: {description}" if description else error)
        self.error = error
        self.description = description


class BackendUnreachable(AuthError):
    """The backend could not be reached at all."""


class BackendMisconfigured(AuthError):
    """The backend's answer is not what a Quickture authorization server sends."""


class IdTokenInvalid(AuthError):
    """The ID token could not be trusted."""


class TokenRefused(AuthError):
    """An RFC 6749 error from the token endpoint."""

    def __init__(
        self, error: str, description: str | None = None, reason: str | None = None
    ) -> None:
        super().__init__(f"{error}: {description}" if description else error)
        self.error = error
        self.description = description
        self.reason = reason


class SessionEnded(TokenRefused):
    """The stored session cannot continue: signed out elsewhere, deactivated, removed...

    ``reason`` is one of the backend's ``reason`` values: ``revoked``, ``invalid``,
    ``deactivated``, ``not_provisioned``, ``expired``.
    """

    def __init__(self, reason: str, description: str | None = None) -> None:
        super().__init__("invalid_grant", description, reason)


class KeychainUnavailable(AuthError):
    """No usable OS keychain: the session is kept in memory for this run only."""
