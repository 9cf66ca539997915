"""One mock Okta and one backend per test module: the sign-in tests' fixtures."""

from tests.backend.sso.conftest import backend, browser, okta

__all__ = ["backend", "browser", "okta"]
