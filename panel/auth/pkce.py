"""PKCE (RFC 7636, S256 only), ``state`` and ``nonce``: random values from ``secrets``."""

from __future__ import annotations

import secrets

from authlib.oauth2.rfc7636 import create_s256_code_challenge

__all__ = ["new_nonce", "new_state", "new_verifier", "s256_challenge"]


def new_verifier() -> str:
    """A code verifier: 64 URL-safe characters (RFC 7636 allows 43 to 128)."""
    return secrets.token_urlsafe(48)


def s256_challenge(verifier: str) -> str:
    return str(create_s256_code_challenge(verifier))


def new_state() -> str:
    return secrets.token_urlsafe(24)


def new_nonce() -> str:
    return secrets.token_urlsafe(24)
