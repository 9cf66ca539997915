"""One mock Okta and one backend per test module (users are unique per test)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.backend.sso.kit import (
    MOCK_PROVIDER_WARNINGS,
    Backend,
    Browser,
    MockOkta,
    mock_okta,
    running_backend,
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(item.path).parents:
            for spec in MOCK_PROVIDER_WARNINGS:
                item.add_marker(pytest.mark.filterwarnings(spec))


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
