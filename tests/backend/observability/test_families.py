from __future__ import annotations

import pytest

from backend.observability.families import FAMILIES, family_of


@pytest.mark.parametrize(
    ("path", "family"),
    [
        ("/scim/v2/Users", "scim"),
        ("/scim/v2/Users/abc", "scim"),
        ("/oauth/token", "oauth"),
        ("/.well-known/openid-configuration", "oauth"),
        ("/login", "login"),
        ("/login/callback", "login"),
        ("/startlogin", "login"),
        ("/logout", "login"),
        ("/dashboard", "dashboard"),
        ("/dashboard/sso", "dashboard"),
        ("/downloads/0a1b", "dashboard"),
        ("/api/v1/me", "api"),
        ("/static/app.css", "static"),
        ("/healthz", "health"),
        ("/metrics", "health"),
        ("/", "other"),
        ("/scimx", "other"),
        ("/apiary", "other"),
    ],
)
def test_family_of(path: str, family: str) -> None:
    assert family_of(path) == family
    assert family in FAMILIES
