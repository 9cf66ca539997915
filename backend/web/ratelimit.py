"""A fixed-window rate limit kept in the database, so it holds across backend processes."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from backend.store.models import RateLimit
from backend.store.models.base import utcnow

__all__ = ["allow"]


def allow(s: Session, key: str, *, limit: int, window: timedelta) -> bool:
    """Count one attempt for ``key``; False once ``limit`` attempts fall in the current window.

    Call inside ``rt.db.write()``: the row is updated in that transaction.
    """
    now = utcnow()
    key = key[:200]
    row = s.get(RateLimit, key, with_for_update=True)
    if row is None:
        try:
            with s.begin_nested():
                s.add(RateLimit(key=key, window_start=now, count=1))
        except sa.exc.IntegrityError:  # another process made it first: count against it
            return allow(s, key, limit=limit, window=window)
        return True
    if now - row.window_start >= window:
        row.window_start = now
        row.count = 1
        return True
    row.count += 1
    return row.count <= limit
