"""Keys by the time they were stamped, in coarse time buckets: what is due pops in O(due + buckets).

Intake learns entries out of time order (a rebuild reads partitions side by side, days apart), so
"the oldest learned first" would keep an old entry behind a young one. Buckets of ``bucket_s``
seconds fix that at the cost of ``bucket_s`` of slack: a key is due once its whole bucket is
older than the cutoff. A key may sit in several buckets (stamped again later) or be gone from
its owner: ``due`` hands out candidates, the owner checks its own time before dropping one.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterator


class Expiry:
    def __init__(self, bucket_s: float = 60.0) -> None:
        self.bucket_s = bucket_s
        self._buckets: dict[int, list[str]] = {}
        self._order: list[int] = []  # a heap of the bucket numbers in _buckets

    def add(self, key: str, at: float) -> None:
        bucket = int(at // self.bucket_s)
        keys = self._buckets.get(bucket)
        if keys is None:
            keys = self._buckets[bucket] = []
            heapq.heappush(self._order, bucket)
        keys.append(key)

    def due(self, cutoff: float) -> Iterator[str]:
        """The keys of every bucket that ends at or before ``cutoff`` (each bucket handed out once)."""
        while self._order and (self._order[0] + 1) * self.bucket_s <= cutoff:
            yield from self._buckets.pop(heapq.heappop(self._order))
