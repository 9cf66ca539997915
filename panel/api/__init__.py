"""A typed httpx client for the backend's ``/api/v1``."""

from panel.api.client import ApiClient, TokenSource
from panel.api.errors import ApiError, Offline, ServerError, SignedOut
from panel.api.models import Me, Organization, Release

__all__ = [
    "ApiClient",
    "ApiError",
    "Me",
    "Offline",
    "Organization",
    "Release",
    "ServerError",
    "SignedOut",
    "TokenSource",
]
