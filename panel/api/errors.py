"""Errors of the ``/api/v1`` client.

::

    ApiError
    ├── Offline        no answer (connection refused, DNS, timeout) after the retries
    ├── ServerError    the backend answered 5xx (after the retries) or something unreadable
    └── SignedOut      the session is over; ``reason`` is the backend's 401 ``reason``
"""

from __future__ import annotations

__all__ = ["ApiError", "Offline", "ServerError", "SignedOut"]


class ApiError(Exception):
    """Base of the API client's errors."""


class Offline(ApiError):
    """The backend could not be reached."""


class ServerError(ApiError):
    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class SignedOut(ApiError):
    """``reason``: ``expired``, ``invalid``, ``revoked``, ``deactivated``, ``not_provisioned``."""

    def __init__(self, reason: str, description: str | None = None) -> None:
        super().__init__(f"{reason}: {description}" if description else reason)
        self.reason = reason
        self.description = description
