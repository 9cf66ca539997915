"""One mock Okta and one backend per test module (users are unique per test)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.backend.sso.kit import (
    Backend,
    Browser,
    MockOkta,
    mock_okta,
    running_backend,
)


@pytest.fixture(scope="module")
def okta() -> Iterator[MockOkta]:
    with mock_okta() as provider:
        yield provider


@pytest.fixture(scope="module")
def backend(tmp_path_factory: pytest.TempPathFactory, okta: MockOkta) -> Iterator[Backend]:
    with running_backend(tmp_path_factory.mktemp("signin") / "data", okta) as b:
        yield b


@pytest.fixture
def browser() -> Iterator[Browser]:
    b = Browser()
    yield b
    b.client.close()
