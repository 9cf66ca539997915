"""The audit log: one row per administrative or provisioning change. Never a secret in it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from backend.store.compiled import Statement, Tx
from backend.store.models import AuditEntry
from backend.store.models.base import utcnow

__all__ = ["AuditRecord", "list_entries", "record"]

CLI_ACTOR = "cli"


@dataclass(frozen=True, slots=True)
class AuditRecord:
    id: int
    at: datetime
    org_id: str | None
    actor: str
    action: str
    target_type: str
    target_id: str
    detail: dict[str, Any]


# One precompiled insert: SCIM writes an audit row on its hot path (create, update, deactivate).
_INSERT = Statement(
    sa.insert(AuditEntry).values(
        at=sa.bindparam("at", type_=AuditEntry.at.type),
        org_id=sa.bindparam("org_id"),
        actor=sa.bindparam("actor"),
        action=sa.bindparam("action"),
        target_type=sa.bindparam("target_type"),
        target_id=sa.bindparam("target_id"),
        detail=sa.bindparam("detail", type_=AuditEntry.detail.type),
    )
)


def record(
    tx: Tx,
    *,
    actor: str,
    action: str,
    target_type: str,
    target_id: str,
    org_id: str | None,
    **detail: Any,
) -> None:
    # Inside a group-commit batch, written with the batch's other audit rows before its commit.
    _INSERT.defer(tx, at=utcnow(), org_id=org_id, actor=actor, action=action,
                  target_type=target_type, target_id=target_id, detail=detail)  # fmt: skip


def list_entries(
    session: Session,
    org_id: str,
    *,
    action_prefix: str | None = None,
    actor: str | None = None,
    before_id: int | None = None,
    limit: int = 50,
) -> list[AuditRecord]:
    """Newest first; page with ``before_id`` (the last id of the previous page)."""
    q = sa.select(AuditEntry).where(AuditEntry.org_id == org_id)
    if action_prefix:
        q = q.where(AuditEntry.action.startswith(action_prefix))
    if actor:
        q = q.where(AuditEntry.actor == actor)
    if before_id is not None:
        q = q.where(AuditEntry.id < before_id)
    rows = session.scalars(q.order_by(AuditEntry.id.desc()).limit(limit))
    return [
        AuditRecord(
            id=r.id,
            at=r.at,
            org_id=r.org_id,
            actor=r.actor,
            action=r.action,
            target_type=r.target_type,
            target_id=r.target_id,
            detail=dict(r.detail or {}),
        )
        for r in rows
    ]
