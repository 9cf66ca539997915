"""A typed client for the backend's ``/api/v1`` (see ``docs/api.md``).

Blocking (run it off the GUI thread). GETs are idempotent, so a connection failure or a
502/503/504 is retried with exponential backoff; a 401 with ``reason: expired`` refreshes the
access token once and retries; any other 401 is ``SignedOut`` with the backend's reason.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

import httpx

from panel.api.errors import Offline, ServerError, SignedOut
from panel.api.models import Me, Release

__all__ = ["ApiClient", "TokenSource"]

RETRY_STATUSES = frozenset({502, 503, 504})


class TokenSource(Protocol):
    """Where access tokens come from (``panel.auth.AuthSession`` in the app).

    Both methods raise ``SignedOut`` or ``Offline`` (the session adapter translates)."""

    def access_token(self) -> str: ...

    def refresh_after_401(self, rejected: str) -> str: ...


class ApiClient:
    def __init__(
        self,
        http: httpx.Client,
        base_url: str,
        tokens: TokenSource,
        *,
        retries: int = 3,
        backoff: float = 0.5,
        sleep: Callable[[float], None],
    ) -> None:
        self._http = http
        self._base = base_url.rstrip("/") + "/api/v1"
        self._tokens = tokens
        self._retries = retries
        self._backoff = backoff
        self._sleep = sleep

    def me(self) -> Me:
        return Me.from_json(self._get("/me"))

    def latest_releases(self, platform: str | None = None) -> list[Release]:
        params = {"platform": platform} if platform else None
        data = self._get("/releases/latest", params=params)
        if not isinstance(data, dict) or not isinstance(data.get("releases"), list):
            raise ServerError("the backend's releases answer is not what the panel expects")
        return [Release.from_json(r) for r in data["releases"]]

    def _get(self, path: str, params: dict[str, str] | None = None) -> Any:
        token = self._tokens.access_token()
        refreshed = False
        while True:
            response = self._get_with_retries(path, params, token)
            if response.status_code != 401:
                break
            reason, description = _reason(response)
            if reason == "expired" and not refreshed:
                token = self._tokens.refresh_after_401(token)
                refreshed = True
                continue
            raise SignedOut(reason, description)
        if response.status_code >= 400:
            raise ServerError(
                f"the backend answered {response.status_code} to {path}", response.status_code
            )
        try:
            return response.json()
        except ValueError as exc:
            raise ServerError(f"the backend's answer to {path} is not JSON") from exc

    def _get_with_retries(
        self, path: str, params: dict[str, str] | None, token: str
    ) -> httpx.Response:
        headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
        attempt = 0
        while True:
            try:
                response = self._http.get(self._base + path, params=params, headers=headers)
            except httpx.TransportError as exc:
                if attempt >= self._retries:
                    raise Offline(f"the backend could not be reached: {exc}") from exc
            else:
                if response.status_code not in RETRY_STATUSES:
                    return response
                if attempt >= self._retries:
                    raise ServerError(
                        f"the backend answered {response.status_code}", response.status_code
                    )
            self._sleep(self._backoff * (2**attempt))
            attempt += 1


def _reason(response: httpx.Response) -> tuple[str, str | None]:
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict) and isinstance(body.get("reason"), str):
        description = body.get("error_description")
        return body["reason"], description if isinstance(description, str) else None
    return "invalid", None
