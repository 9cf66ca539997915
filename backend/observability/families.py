"""Route families: the coarse, bounded label that logs and metrics group requests by."""

from __future__ import annotations

__all__ = ["FAMILIES", "family_of"]

FAMILIES = ("scim", "oauth", "login", "dashboard", "api", "static", "health", "other")

# Longest prefix first is not needed: no prefix below is a prefix of another family's.
_PREFIXES: tuple[tuple[str, str], ...] = (
    ("/scim/", "scim"),
    ("/oauth/", "oauth"),
    ("/.well-known/", "oauth"),
    ("/login", "login"),
    ("/startlogin", "login"),
    ("/logout", "login"),
    ("/api/", "api"),
    ("/static/", "static"),
    ("/dashboard", "dashboard"),
    ("/downloads/", "dashboard"),
    ("/admin", "dashboard"),
    ("/healthz", "health"),
    ("/metrics", "health"),
)


def family_of(path: str) -> str:
    """The family of a request path (``other`` for anything unknown, including ``/``)."""
    for prefix, family in _PREFIXES:
        if path == prefix.rstrip("/") or path.startswith(prefix):
            return family
    return "other"
