"""Per-connection counters (``scim_counters``): the next ``seq`` and the live user and group
counts, bumped in the caller's transaction by one upsert each."""

from __future__ import annotations

from typing import Literal

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from backend.store.compiled import Query, Statement, Tx, connection_of
from backend.store.models import ScimCounter

__all__ = ["groups", "next_seq", "removed", "users"]

Kind = Literal["user", "group"]


def _upsert(dialect: str, kind: Kind) -> Statement:
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    count, seq = (ScimCounter.users, ScimCounter.user_seq) if kind == "user" else (
        ScimCounter.groups, ScimCounter.group_seq)  # fmt: skip
    first = {"users": 0, "groups": 0, "user_seq": 0, "group_seq": 0}
    first.update({count.key: 1, seq.key: 1})
    return Statement(
        insert(ScimCounter)
        .values(connection_id=sa.bindparam("c"), **first)
        .on_conflict_do_update(
            index_elements=[ScimCounter.connection_id],
            set_={count.key: count + 1, seq.key: seq + 1},
        )
        .returning(seq)
    )


_UPSERTS: dict[tuple[str, Kind], Statement] = {
    (d, k): _upsert(d, k) for d in ("sqlite", "postgresql") for k in ("user", "group")
}


def next_seq(tx: Tx, connection_id: str, kind: Kind) -> int:
    """Count one more ``kind`` and return its ``seq``."""
    dialect = "postgresql" if connection_of(tx).dialect.name == "postgresql" else "sqlite"
    return int(_UPSERTS[dialect, kind].scalar(tx, c=connection_id))


def removed(tx: Tx, connection_id: str, kind: Kind) -> None:
    count = ScimCounter.users if kind == "user" else ScimCounter.groups
    tx.execute(
        sa.update(ScimCounter)
        .where(ScimCounter.connection_id == connection_id)
        .values({count.key: count - 1})
    )


_USERS = Query(
    sa.select(ScimCounter.users, ScimCounter.user_seq).where(
        ScimCounter.connection_id == sa.bindparam("c")
    )
)


def users(tx: Tx, connection_id: str) -> tuple[int, int]:
    """(live users, last seq handed out)."""
    row = _USERS.first(tx, c=connection_id)
    return (int(row[0]), int(row[1])) if row else (0, 0)


def groups(tx: Tx, connection_id: str) -> tuple[int, int]:
    row = tx.execute(
        sa.select(ScimCounter.groups, ScimCounter.group_seq).where(
            ScimCounter.connection_id == connection_id
        )
    ).first()
    return (int(row[0]), int(row[1])) if row else (0, 0)
