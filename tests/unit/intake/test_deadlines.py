"""Coarse shared request deadlines behave like asyncio.timeout."""

from __future__ import annotations

import asyncio

import pytest

from services.intake.deadlines import Deadlines


def test_a_request_past_its_deadline_raises_timeout_error() -> None:
    async def main() -> None:
        deadlines = Deadlines(grain_s=0.01)
        with pytest.raises(TimeoutError):
            async with deadlines.within(0.02):
                await asyncio.sleep(5)

    asyncio.run(main())


def test_a_request_within_its_deadline_returns_and_is_not_cancelled_later() -> None:
    async def main() -> str:
        deadlines = Deadlines(grain_s=0.01)
        async with deadlines.within(0.05):
            await asyncio.sleep(0)
        await asyncio.sleep(0.1)  # past the slot's timer: nothing may cancel this task now
        return "done"

    assert asyncio.run(main()) == "done"


def test_many_requests_in_one_slot_each_time_out_and_the_fast_ones_do_not() -> None:
    async def one(deadlines: Deadlines, work_s: float) -> str:
        try:
            async with deadlines.within(0.05):
                await asyncio.sleep(work_s)
        except TimeoutError:
            return "timeout"
        return "ok"

    async def main() -> list[str]:
        deadlines = Deadlines(grain_s=0.02)
        return list(await asyncio.gather(*(one(deadlines, 0.0 if i % 2 else 5.0) for i in range(20))))

    answers = asyncio.run(main())
    assert answers == ["timeout", "ok"] * 10


def test_an_outside_cancellation_still_propagates_as_cancellation() -> None:
    async def main() -> None:
        deadlines = Deadlines(grain_s=0.01)

        async def request() -> None:
            async with deadlines.within(5):
                await asyncio.sleep(5)

        task = asyncio.ensure_future(request())
        await asyncio.sleep(0.01)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(main())
