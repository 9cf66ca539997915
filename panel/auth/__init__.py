"""RFC 8252 native-app sign-in for the panel: PKCE, a loopback receiver, the keychain.

No Qt in here: everything is plain, blocking Python that the panel runs on worker threads.
"""

from panel.auth.errors import (
    AuthError,
    AuthorizationDenied,
    BackendMisconfigured,
    BackendUnreachable,
    IdTokenInvalid,
    KeychainUnavailable,
    SessionEnded,
    SignInCancelled,
    SignInTimedOut,
    TokenRefused,
)
from panel.auth.oauth import OAuthClient, TokenSet
from panel.auth.session import AuthSession, PendingSignIn, SignOutResult
from panel.auth.store import KeyringTokenStore, MemoryTokenStore, StoredSession, TokenStore

__all__ = [
    "AuthError",
    "AuthSession",
    "AuthorizationDenied",
    "BackendMisconfigured",
    "BackendUnreachable",
    "IdTokenInvalid",
    "KeychainUnavailable",
    "KeyringTokenStore",
    "MemoryTokenStore",
    "OAuthClient",
    "PendingSignIn",
    "SessionEnded",
    "SignInCancelled",
    "SignInTimedOut",
    "SignOutResult",
    "StoredSession",
    "TokenRefused",
    "TokenSet",
    "TokenStore",
]
