"""One editor's session with one backend: sign in, restore, keep fresh, sign out.

Blocking and thread-safe: the panel calls it from worker threads, never the GUI thread.
The access token stays in memory; the refresh token goes to the token store (the OS keychain)
the moment it arrives, replacing the previous one (rotation). Refreshes are serialised: two
threads must never spend the same refresh token, or the backend sees reuse and revokes the
whole family.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass

from panel.auth.errors import AuthError, AuthorizationDenied, KeychainUnavailable, SessionEnded
from panel.auth.loopback import DEFAULT_TIMEOUT, LoopbackReceiver
from panel.auth.oauth import OAuthClient, TokenSet
from panel.auth.pkce import new_state
from panel.auth.request import AuthRequest, new_auth_request
from panel.auth.store import MemoryTokenStore, StoredSession, TokenStore

__all__ = ["AuthSession", "PendingSignIn", "SignOutResult"]

REFRESH_MARGIN_SECONDS = 60.0


@dataclass(frozen=True, slots=True)
class SignOutResult:
    server_told: bool


class PendingSignIn:
    """A started sign-in: open ``url`` in the browser, then ``finish()`` (blocking) or
    ``cancel()`` (any thread)."""

    def __init__(
        self, session: AuthSession, request: AuthRequest, receiver: LoopbackReceiver
    ) -> None:
        self._session = session
        self._request = request
        self._receiver = receiver

    @property
    def url(self) -> str:
        return self._request.url

    @property
    def redirect_uri(self) -> str:
        return self._request.redirect_uri

    def cancel(self) -> None:
        self._receiver.cancel()

    def close(self) -> None:
        """Release the loopback port of a sign-in that ``finish()`` will never wait for."""
        self._receiver.close()

    def finish(self) -> None:
        """Wait for the browser, exchange the code, store the session."""
        result = self._receiver.wait()
        self._session._finish_sign_in(result.code, result.iss, self._request)


class AuthSession:
    def __init__(
        self,
        oauth: OAuthClient,
        store: TokenStore,
        *,
        clock: Callable[[], float],
        receiver_timeout: float = DEFAULT_TIMEOUT,
    ) -> None:
        self._oauth = oauth
        self._store = store
        self._clock = clock
        self._receiver_timeout = receiver_timeout
        self._lock = threading.RLock()
        self._tokens: TokenSet | None = None
        self._subject: str | None = None
        self.keychain_problem: str | None = None

    @property
    def backend_url(self) -> str:
        return self._oauth.backend_url

    @property
    def persistent(self) -> bool:
        return self._store.persistent

    @property
    def signed_in(self) -> bool:
        with self._lock:
            return self._tokens is not None

    # signing in ------------------------------------------------------------------------------

    def begin_sign_in(self) -> PendingSignIn:
        metadata = self._oauth.metadata()
        state = new_state()
        receiver = LoopbackReceiver(state, timeout=self._receiver_timeout)
        try:
            request = new_auth_request(metadata, receiver.redirect_uri, state=state)
        except BaseException:
            receiver.close()
            raise
        return PendingSignIn(self, request, receiver)

    def _finish_sign_in(self, code: str, iss: str | None, request: AuthRequest) -> None:
        if iss is not None and iss.rstrip("/") != self._oauth.metadata().issuer.rstrip("/"):
            raise AuthorizationDenied("invalid_request", "the answer came from another issuer")
        tokens = self._oauth.exchange_code(code, request)
        with self._lock:
            self._subject = tokens.identity.sub if tokens.identity else None
            self._accept(tokens)

    # restoring and refreshing ----------------------------------------------------------------

    def restore(self) -> bool:
        """Resume the stored session silently; False when there is none.

        Raises ``SessionEnded`` (the entry is then deleted) or ``BackendUnreachable`` (the
        entry is kept for the next try).
        """
        with self._lock:
            try:
                stored = self._store.load(self.backend_url)
            except KeychainUnavailable as exc:
                self._fall_back(exc)
                return False
            if stored is None:
                return False
            self._subject = stored.subject
            self._refresh_with(stored.refresh_token)
            return True

    def access_token(self) -> str:
        """A bearer token that is good for at least another minute (refreshing if needed)."""
        with self._lock:
            tokens = self._require()
            if tokens.expires_at - self._clock() < REFRESH_MARGIN_SECONDS:
                tokens = self._refresh_with(self._require_refresh_token())
            return tokens.access_token

    def refresh_after_401(self, rejected: str) -> str:
        """The API refused ``rejected`` as expired: refresh once, unless another thread did."""
        with self._lock:
            tokens = self._require()
            if tokens.access_token != rejected:
                return tokens.access_token
            return self._refresh_with(self._require_refresh_token()).access_token

    def _refresh_with(self, refresh_token: str) -> TokenSet:
        try:
            tokens = self._oauth.refresh(refresh_token)
        except SessionEnded:
            self._forget_locally()
            raise
        self._accept(tokens)
        return tokens

    # signing out -----------------------------------------------------------------------------

    def sign_out(self) -> SignOutResult:
        """Revoke at the backend and forget locally; offline, forget locally all the same."""
        with self._lock:
            refresh = self._tokens.refresh_token if self._tokens else None
            if refresh is None:
                try:
                    stored = self._store.load(self.backend_url)
                except KeychainUnavailable:
                    stored = None
                refresh = stored.refresh_token if stored else None
            server_told = True
            if refresh is not None:
                try:
                    self._oauth.revoke(refresh)
                except AuthError:
                    server_told = False
            self._forget_locally()
            return SignOutResult(server_told=server_told)

    def forget(self) -> None:
        """Drop the session here without telling the backend (it already ended it)."""
        with self._lock:
            self._forget_locally()

    # internals -------------------------------------------------------------------------------

    def _accept(self, tokens: TokenSet) -> None:
        if tokens.identity is not None:
            self._subject = tokens.identity.sub
        if tokens.refresh_token is not None:
            stored = StoredSession(tokens.refresh_token, self._subject)
            try:
                self._store.save(self.backend_url, stored)
            except KeychainUnavailable as exc:
                self._fall_back(exc)
                self._store.save(self.backend_url, stored)
        self._tokens = tokens

    def _fall_back(self, exc: KeychainUnavailable) -> None:
        self.keychain_problem = str(exc)
        self._store = MemoryTokenStore()

    def _forget_locally(self) -> None:
        self._tokens = None
        try:
            self._store.delete(self.backend_url)
        except KeychainUnavailable as exc:
            self._fall_back(exc)

    def _require(self) -> TokenSet:
        if self._tokens is None:
            raise SessionEnded("revoked", "not signed in")
        return self._tokens

    def _require_refresh_token(self) -> str:
        tokens = self._require()
        if tokens.refresh_token is None:
            raise SessionEnded("revoked", "no refresh token")
        return tokens.refresh_token
