"""RegionQueue: one region's waiting cases, most urgent first, FIFO within a level.

Order is (urgency 1..5, lane, queued_at, sequence, case_id). ``lane`` 0 is the front of an
urgency level (a called patient who did not answer goes back there), lane 1 the normal
place. The order is kept in a ``sortedcontainers.SortedList`` (a B-tree-like list of
sorted lists with a positional index), which gives what a binary heap cannot:

- push, pop, remove, change urgency: O(log n) (pop of the front is the cheapest);
- position of a case: O(log n) via bisect on the positional index;
- depth per urgency: O(1) counters; oldest wait per urgency: O(log n) bisect.

Each entry is a 2-tuple ``(rank, case_id)`` where ``rank`` packs urgency, lane,
queued_at in microseconds and sequence into one int: one C-level int comparison
orders two cases, and an entry costs a tuple and an int instead of a 5-tuple of objects.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from itertools import islice

from sortedcontainers import SortedList

URGENCIES = (1, 2, 3, 4, 5)

_SEQ_BITS = 40  # 1e12 sequence numbers per region
_TIME_BITS = 52  # epoch microseconds until year 2112
_LEVEL_SHIFT = _SEQ_BITS + _TIME_BITS
_SEQ_MASK = (1 << _SEQ_BITS) - 1
_TIME_MASK = (1 << _TIME_BITS) - 1
FRONT, NORMAL = 0, 1

Entry = tuple[int, str]


@dataclass(frozen=True, slots=True)
class Waiting:
    """A case in the queue, as the queue orders it."""

    case_id: str
    urgency: int
    queued_at: float
    sequence: int
    front: bool = False


def pack_rank(urgency: int, front: bool, queued_at: float, sequence: int) -> int:
    """The sort key of a case as one int (smaller = served earlier)."""
    level = urgency * 2 + (FRONT if front else NORMAL)
    micros = int(round(queued_at * 1_000_000)) & _TIME_MASK
    return (level << _LEVEL_SHIFT) | (micros << _SEQ_BITS) | (sequence & _SEQ_MASK)


def unpack_rank(rank: int, case_id: str) -> Waiting:
    """The fields packed into ``rank``, for the case ``case_id``."""
    level = rank >> _LEVEL_SHIFT
    micros = (rank >> _SEQ_BITS) & _TIME_MASK
    return Waiting(case_id, level // 2, micros / 1_000_000, rank & _SEQ_MASK, level % 2 == FRONT)


class RegionQueue:
    """The waiting cases of one region."""

    __slots__ = ("region", "_order", "_rank", "_depth")

    def __init__(self, region: str) -> None:
        self.region = region
        self._order: SortedList = SortedList()
        self._rank: dict[str, int] = {}
        self._depth = [0] * 6  # index = urgency; O(1) depth figures

    def __len__(self) -> int:
        return len(self._rank)

    def __contains__(self, case_id: object) -> bool:
        return case_id in self._rank

    def push(self, case_id: str, urgency: int, queued_at: float, sequence: int, front: bool = False) -> None:
        """Add a case; ValueError if it is already waiting or the urgency is not 1..5."""
        if urgency not in URGENCIES:
            raise ValueError(f"urgency must be 1..5, got {urgency!r}")
        if case_id in self._rank:
            raise ValueError(f"case {case_id} is already waiting in {self.region}")
        rank = pack_rank(urgency, front, queued_at, sequence)
        self._rank[case_id] = rank
        self._depth[urgency] += 1
        self._order.add((rank, case_id))

    def bulk_load(self, cases: list[tuple[str, int, float, int, bool]]) -> None:
        """Add many cases at once (recovery): one sort instead of n inserts.

        The ranks are packed inline (``pack_rank``'s arithmetic, without a call per case):
        at 1M waiting this loop is a good part of a restart's recovery.
        """
        level, seq_bits, seq_mask, time_mask = _LEVEL_SHIFT, _SEQ_BITS, _SEQ_MASK, _TIME_MASK
        entries = [
            (
                (((u << 1) | (NORMAL if not f else FRONT)) << level)
                | ((int(round(q * 1_000_000)) & time_mask) << seq_bits)
                | (s & seq_mask),
                c,
            )
            for c, u, q, s, f in cases
        ]
        self._rank.update({c: rank for rank, c in entries})
        for _, u, _, _, _ in cases:
            self._depth[u] += 1
        self._order.update(entries)

    def peek(self) -> Waiting | None:
        """The most urgent waiting case, without removing it."""
        if not self._order:
            return None
        rank, case_id = self._order[0]
        return unpack_rank(rank, case_id)

    def pop(self) -> Waiting | None:
        """Remove and return the most urgent waiting case (None when empty)."""
        if not self._order:
            return None
        rank, case_id = self._order.pop(0)
        del self._rank[case_id]
        self._depth[rank >> (_LEVEL_SHIFT + 1)] -= 1
        return unpack_rank(rank, case_id)

    def remove(self, case_id: str) -> Waiting:
        """Take a case out wherever it is; KeyError if it is not waiting here."""
        rank = self._rank.pop(case_id)
        self._order.remove((rank, case_id))
        self._depth[rank >> (_LEVEL_SHIFT + 1)] -= 1
        return unpack_rank(rank, case_id)

    def change_urgency(self, case_id: str, urgency: int) -> Waiting:
        """Move a waiting case to another urgency, keeping its queued_at, sequence and lane."""
        if urgency not in URGENCIES:
            raise ValueError(f"urgency must be 1..5, got {urgency!r}")
        old = self.remove(case_id)
        self.push(case_id, urgency, old.queued_at, old.sequence, old.front)
        return self.get(case_id)  # type: ignore[return-value]

    def get(self, case_id: str) -> Waiting | None:
        """The waiting case ``case_id``, or None."""
        rank = self._rank.get(case_id)
        return None if rank is None else unpack_rank(rank, case_id)

    def position(self, case_id: str) -> int | None:
        """1-based place among everyone waiting in the region (O(log n)); None if not waiting."""
        rank = self._rank.get(case_id)
        if rank is None:
            return None
        return int(self._order.bisect_left((rank, case_id))) + 1

    def depth(self, urgency: int) -> int:
        """How many cases of this urgency are waiting."""
        return self._depth[urgency]

    def waiting_up_to(self, urgency: int) -> int:
        """How many cases of this urgency or a more urgent one are waiting."""
        return sum(self._depth[1 : urgency + 1])

    def oldest_queued_at(self, urgency: int) -> float | None:
        """The earliest queued_at among waiting cases of this urgency (None if none)."""
        if not self._depth[urgency]:
            return None
        oldest: float | None = None
        for front in (True, False):
            start = (urgency * 2 + (FRONT if front else NORMAL)) << _LEVEL_SHIFT
            i = self._order.bisect_left((start, ""))
            if i < len(self._order):
                rank, case_id = self._order[i]
                if rank >> (_LEVEL_SHIFT + 1) == urgency:
                    at = unpack_rank(rank, case_id).queued_at
                    oldest = at if oldest is None else min(oldest, at)
        return oldest

    def head(self, k: int) -> Iterator[Waiting]:
        """The first ``k`` waiting cases, in serving order."""
        for rank, case_id in islice(self._order, k):
            yield unpack_rank(rank, case_id)

    def page(self, offset: int, limit: int) -> Iterator[Waiting]:
        """Waiting cases ``offset`` to ``offset + limit`` in serving order (O(log n + limit))."""
        for rank, case_id in self._order.islice(offset, offset + limit):
            yield unpack_rank(rank, case_id)

    def __iter__(self) -> Iterator[Waiting]:
        for rank, case_id in self._order:
            yield unpack_rank(rank, case_id)
