"""Migrations: an empty database goes up to head and back down, and the models agree with it."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from backend.store.db import Database, NotMigrated, Unreachable
from backend.store.models import Base


def test_up_down_up(any_db_url):
    db = Database(any_db_url)
    with pytest.raises(NotMigrated, match="quickture-backend migrate"):
        db.check()
    db.migrate()
    db.check()
    tables = set(sa.inspect(db.engine).get_table_names())
    assert set(Base.metadata.tables) <= tables
    db.downgrade("base")
    assert set(sa.inspect(db.engine).get_table_names()) <= {"alembic_version"}
    db.migrate()
    db.check()
    db.dispose()


def test_models_match_the_migrations(any_db_url):
    db = Database(any_db_url)
    db.migrate()
    with db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    db.dispose()
    assert diff == [], "models and migrations disagree: " + repr(diff)


def test_the_panel_client_is_seeded(runtime):
    with runtime.db.read() as s:
        row = s.execute(sa.text("SELECT client_id, is_public FROM oauth_clients")).all()
    assert [tuple(r) for r in row] == [("quickture-panel", True)]


def test_sqlite_pragmas(runtime):
    with runtime.db.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 10_000


def test_unreachable_database():
    db = Database("postgresql+psycopg://nobody@127.0.0.1:1/none")
    with pytest.raises(Unreachable, match="cannot use the database"):
        db.check()
    with pytest.raises(Unreachable):
        db.ping()
