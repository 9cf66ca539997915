"""The non-Qt objects that serve one backend: its auth session and its API client.

``Services`` is what the controller works with; ``SessionTokens`` adapts the auth session to
the API client's ``TokenSource`` (auth errors become API errors).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import httpx

from panel.api.client import ApiClient
from panel.api.errors import Offline, ServerError, SignedOut
from panel.api.models import Me, Release
from panel.auth.errors import BackendUnreachable, SessionEnded
from panel.auth.oauth import OAuthClient
from panel.auth.session import AuthSession
from panel.auth.store import TokenStore

__all__ = ["Services", "SessionTokens", "build_services"]


class SessionTokens:
    def __init__(self, session: AuthSession) -> None:
        self._session = session

    def access_token(self) -> str:
        return self._translate(self._session.access_token)

    def refresh_after_401(self, rejected: str) -> str:
        return self._translate(lambda: self._session.refresh_after_401(rejected))

    @staticmethod
    def _translate(call: Callable[[], str]) -> str:
        try:
            return call()
        except SessionEnded as exc:
            raise SignedOut(exc.reason or "revoked", exc.description) from exc
        except BackendUnreachable as exc:
            raise Offline(str(exc)) from exc


@dataclass(frozen=True, slots=True)
class Account:
    me: Me
    releases: tuple[Release, ...]


@dataclass(slots=True)
class Services:
    backend_url: str
    auth: AuthSession
    api: ApiClient
    http: httpx.Client

    def account(self, platform: str | None) -> Account:
        """The signed-in editor's profile and the latest integrations (blocking)."""
        me = self.api.me()
        try:
            releases = tuple(self.api.latest_releases(platform))
        except (Offline, ServerError):  # a nice-to-have: the panel works without them
            releases = ()
        return Account(me=me, releases=releases)

    def close(self) -> None:
        self.http.close()


def build_services(
    backend_url: str,
    *,
    store: TokenStore,
    transport: httpx.BaseTransport | None = None,
    clock: Callable[[], float],
    sleep: Callable[[float], None],
    receiver_timeout: float = 300.0,
    verify: bool | str = True,
) -> Services:
    http = httpx.Client(
        transport=transport,
        timeout=httpx.Timeout(10.0, connect=5.0),
        follow_redirects=False,
        verify=verify,
        headers={"User-Agent": "QuickturePanel/0.1"},
    )
    oauth = OAuthClient(http, backend_url, clock=clock)
    session = AuthSession(oauth, store, clock=clock, receiver_timeout=receiver_timeout)
    api = ApiClient(http, backend_url, SessionTokens(session), sleep=sleep)
    return Services(backend_url=backend_url, auth=session, api=api, http=http)
