"""Fixtures shared by every test package.

- ``settings`` / ``runtime``: a fresh data dir and a migrated SQLite database per test.
- ``pg_admin_url``: one PostgreSQL server for the whole session (fails in CI if missing).
- ``any_db_url``: parametrised over SQLite and PostgreSQL: a fresh, empty database per test.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest
from cryptography.fernet import Fernet

from backend.runtime import Runtime
from backend.settings import Settings
from tests.helpers.postgres import create_database, postgres_server
from tests.helpers.requirements import missing


def make_settings(data_dir: Path, *, database_url: str | None = None,
                  base_url: str = "http://127.0.0.1:8000") -> Settings:  # fmt: skip
    return Settings(
        data_dir=data_dir,
        database_url=database_url or f"sqlite:///{data_dir / 'quickture.db'}",
        base_url=base_url,
        secret_key=Fernet.generate_key().decode(),
    )


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path / "data")


@pytest.fixture
def runtime(settings: Settings) -> Iterator[Runtime]:
    rt = Runtime.open(settings)
    rt.db.migrate()
    yield rt
    rt.close()


@pytest.fixture(scope="session")
def pg_admin_url() -> Iterator[str]:
    try:
        with postgres_server() as url:
            yield url
    except FileNotFoundError as exc:
        missing(f"PostgreSQL is not installed: {exc}")


@pytest.fixture
def pg_url(pg_admin_url: str) -> str:
    """A fresh, empty PostgreSQL database for one test."""
    return create_database(pg_admin_url, "t_" + uuid.uuid4().hex[:12])


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def any_db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'any.db'}"
    return str(request.getfixturevalue("pg_url"))


@pytest.fixture
def any_runtime(any_db_url: str, tmp_path: Path) -> Iterator[Runtime]:
    rt = Runtime.open(make_settings(tmp_path / "data", database_url=any_db_url))
    rt.db.migrate()
    yield rt
    rt.close()
