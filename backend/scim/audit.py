"""Audit rows for SCIM changes, the same rows ``backend.domain.audit.record`` writes, inserted
with one precompiled statement (``sql``) instead of an ORM flush."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from backend.scim.sql import Statement
from backend.store.models import AuditEntry
from backend.store.models.base import utcnow

__all__ = ["record"]

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


def record(session: Session, *, actor: str, action: str, target_type: str, target_id: str,
           org_id: str | None, **detail: Any) -> None:  # fmt: skip
    _INSERT.run(session, at=utcnow(), org_id=org_id, actor=actor, action=action,
                target_type=target_type, target_id=target_id, detail=detail)  # fmt: skip
