"""``asyncio.timeout`` for every request at once, at a coarse grain: one timer per 50 ms slot.

Each ``asyncio.timeout`` schedules a timer on the loop when a request starts and cancels it when
the request ends (a heap push and a removal per request: ~3% of intake's CPU in a py-spy profile
at full load). Intake's request timeout is seconds long (INTAKE_REQUEST_TIMEOUT_S, 10 s), so a
deadline rounded up to the next 50 ms slot changes nothing a client can see, and every request
started within one slot shares one timer. On expiry the request's task is cancelled and the
context raises TimeoutError, as ``asyncio.timeout`` does (the same ``uncancel`` bookkeeping, so
an outside cancellation still propagates).
"""

from __future__ import annotations

import asyncio
import math
from types import TracebackType


class Deadlines:
    """Hands out ``within(seconds)`` contexts; their timers are shared per ``grain_s`` slot."""

    def __init__(self, grain_s: float = 0.05) -> None:
        self.grain_s = grain_s
        self._slots: dict[int, dict[asyncio.Task[object], Deadline]] = {}

    def within(self, seconds: float) -> Deadline:
        return Deadline(self, seconds)

    def _join(self, deadline: Deadline, task: asyncio.Task[object]) -> int:
        loop = asyncio.get_running_loop()
        slot = math.ceil((loop.time() + deadline.seconds) / self.grain_s)
        members = self._slots.get(slot)
        if members is None:
            members = self._slots[slot] = {}
            loop.call_at(slot * self.grain_s, self._expire, slot)
        members[task] = deadline
        return slot

    def _leave(self, slot: int, task: asyncio.Task[object]) -> None:
        members = self._slots.get(slot)
        if members is not None:
            members.pop(task, None)

    def _expire(self, slot: int) -> None:
        for task, deadline in self._slots.pop(slot, {}).items():
            deadline.expired = True
            task.cancel()


class Deadline:
    """One request's ``async with``: TimeoutError when its slot's timer fires first."""

    __slots__ = ("_cancelling", "_owner", "_slot", "_task", "expired", "seconds")

    def __init__(self, owner: Deadlines, seconds: float) -> None:
        self._owner, self.seconds, self.expired = owner, seconds, False

    async def __aenter__(self) -> Deadline:
        task = asyncio.current_task()
        if task is None:
            raise RuntimeError("a deadline must be used inside a task")
        self._task, self._cancelling = task, task.cancelling()
        self._slot = self._owner._join(self, task)
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._owner._leave(self._slot, self._task)
        # as asyncio.timeout: ours was the cancellation (no other one pending) -> TimeoutError
        if self.expired and self._task.uncancel() <= self._cancelling and exc_type is asyncio.CancelledError:
            raise TimeoutError from exc
