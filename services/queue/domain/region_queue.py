"""RegionQueue: one region's waiting cases, most urgent first, FIFO within a level.

Order is (urgency 1..5, queued_at, sequence). A binary heap with lazy deletion:
push, pop, remove and reprioritise are O(log n) amortised; removed entries are
skipped when they surface, and the heap is compacted when stale entries outnumber
live ones, so memory stays proportional to the number waiting.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass

URGENCIES = (1, 2, 3, 4, 5)

# (urgency, queued_at epoch seconds, sequence, case_id): tuples compare fast in C.
HeapEntry = tuple[int, float, int, str]


@dataclass(frozen=True, slots=True)
class Waiting:
    """A case in the queue, as the heap orders it."""

    case_id: str
    urgency: int
    queued_at: float
    sequence: int


class RegionQueue:
    """The waiting cases of one region."""

    __slots__ = ("region", "_heap", "_live", "_depth")

    def __init__(self, region: str) -> None:
        self.region = region
        self._heap: list[HeapEntry] = []
        self._live: dict[str, HeapEntry] = {}
        self._depth = [0] * 6  # index = urgency; O(1) depth figures

    def __len__(self) -> int:
        return len(self._live)

    def __contains__(self, case_id: object) -> bool:
        return case_id in self._live

    def push(self, case_id: str, urgency: int, queued_at: float, sequence: int) -> None:
        """Add a case; ValueError if it is already waiting or the urgency is not 1..5."""
        if urgency not in URGENCIES:
            raise ValueError(f"urgency must be 1..5, got {urgency!r}")
        if case_id in self._live:
            raise ValueError(f"case {case_id} is already waiting in {self.region}")
        entry = (urgency, queued_at, sequence, case_id)
        self._live[case_id] = entry
        self._depth[urgency] += 1
        heapq.heappush(self._heap, entry)

    def peek(self) -> Waiting | None:
        """The most urgent waiting case, without removing it."""
        self._drop_stale_top()
        if not self._heap:
            return None
        return Waiting(self._heap[0][3], *self._heap[0][:3])

    def pop(self) -> Waiting | None:
        """Remove and return the most urgent waiting case (None when empty)."""
        self._drop_stale_top()
        if not self._heap:
            return None
        entry = heapq.heappop(self._heap)
        self._forget(entry)
        return Waiting(entry[3], *entry[:3])

    def remove(self, case_id: str) -> Waiting:
        """Take a case out wherever it is; KeyError if it is not waiting here."""
        entry = self._live[case_id]
        self._forget(entry)  # its heap entry is now stale and skipped later
        self._maybe_compact()
        return Waiting(case_id, *entry[:3])

    def get(self, case_id: str) -> Waiting | None:
        entry = self._live.get(case_id)
        return None if entry is None else Waiting(case_id, *entry[:3])

    def depth(self, urgency: int) -> int:
        """How many cases of this urgency are waiting."""
        return self._depth[urgency]

    def _forget(self, entry: HeapEntry) -> None:
        del self._live[entry[3]]
        self._depth[entry[0]] -= 1

    def _drop_stale_top(self) -> None:
        heap, live = self._heap, self._live
        while heap and live.get(heap[0][3]) is not heap[0]:
            heapq.heappop(heap)

    def _maybe_compact(self) -> None:
        if len(self._heap) > 64 and len(self._heap) > 2 * len(self._live):
            self._heap = list(self._live.values())
            heapq.heapify(self._heap)
