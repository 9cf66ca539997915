"""Fixtures for the panel's tests: an in-memory keyring, the fake backend, services."""

from __future__ import annotations

from collections.abc import Iterator

import keyring
import pytest

from panel.auth.store import KeyringTokenStore
from panel.services import Services, build_services
from tests.panel.fakes import BACKEND, FakeBackend
from tests.panel.keyrings import MemoryKeyring, using_memory_keyring


@pytest.fixture
def memory_keyring() -> Iterator[MemoryKeyring]:
    with using_memory_keyring() as backend:
        yield backend


@pytest.fixture
def fake() -> FakeBackend:
    return FakeBackend()


@pytest.fixture
def make_services(fake: FakeBackend, memory_keyring: MemoryKeyring):
    made: list[Services] = []

    def make(url: str = BACKEND, **kwargs) -> Services:
        kwargs.setdefault("store", KeyringTokenStore(keyring.get_keyring()))
        kwargs.setdefault("receiver_timeout", 10.0)
        services = build_services(
            url, transport=fake.transport(), clock=fake.clock, sleep=lambda _s: None, **kwargs
        )
        made.append(services)
        return services

    yield make
    for s in made:
        s.close()


# Qt's offscreen platform (the one tests use) warns that it cannot propagate a window's size
# hints; real platforms can. Every other Qt warning still fails the test.
OFFSCREEN_NOISE = r"This plugin does not support propagateSizeHints\(\)"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/panel/" in item.nodeid or "test_panel_" in item.nodeid:
            item.add_marker(pytest.mark.qt_log_ignore(OFFSCREEN_NOISE))
