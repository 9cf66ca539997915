"""Pages that cost the same at user 100,000 as at user 1: keysets instead of OFFSET, and a
per-connection counter instead of COUNT.

Each user and group has ``seq``, handed out by its connection's row in ``scim_counters``, which
also counts the live users and groups. SCIM pages by 1-based ``startIndex``; we turn that into
"rows with ``seq`` after N":

1. No filter and nothing ever deleted (``users == user_seq``, the normal case: Okta
   deactivates, it does not delete): the seqs are exactly 1..total, so ``startIndex = s`` is
   ``seq >= s``. Stateless, so any backend process answers any page.
2. Otherwise the previous page told us: after serving ``startIndex = s`` with ``n`` rows whose
   last ``seq`` is ``k``, we remember that ``startIndex = s + n`` starts after ``k``. The
   memory is a small LRU per process (a bounded cache, not per-user state); a miss, as on
   another process behind a load balancer, falls back to OFFSET, which is correct, only slower.

Either way the order is ``seq``, creation order, so an import never skips or repeats a user
that existed when it started, whatever is created meanwhile.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass

__all__ = ["Cursors", "Plan", "plan"]

CACHE_SIZE = 4096


class Cursors:
    """``(connection, kind, filter, startIndex) -> seq of the row before it``, LRU-bounded."""

    def __init__(self, size: int = CACHE_SIZE) -> None:
        self._size = size
        self._map: OrderedDict[tuple[str, str, str, int], int] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple[str, str, str, int]) -> int | None:
        with self._lock:
            seq = self._map.get(key)
            if seq is not None:
                self._map.move_to_end(key)
            return seq

    def put(self, key: tuple[str, str, str, int], seq: int) -> None:
        with self._lock:
            self._map[key] = seq
            self._map.move_to_end(key)
            while len(self._map) > self._size:
                self._map.popitem(last=False)

    def __len__(self) -> int:
        return len(self._map)


@dataclass(frozen=True, slots=True)
class Plan:
    """Fetch rows with ``seq > after`` (keyset) or skip ``offset`` rows (fallback)."""

    after: int | None
    offset: int


def plan(
    cursors: Cursors,
    key: tuple[str, str, str, int],
    *,
    start_index: int,
    dense: bool,
) -> Plan:
    if start_index <= 1:
        return Plan(after=0, offset=0)
    if dense:
        return Plan(after=start_index - 1, offset=0)
    seq = cursors.get(key)
    if seq is not None:
        return Plan(after=seq, offset=0)
    return Plan(after=None, offset=start_index - 1)
