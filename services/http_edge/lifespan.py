"""What every service's lifespan does around its own start-up: run background tasks, log one that
crashes, and on shutdown mark the service not ready, stop the tasks and close its clients."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from typing import Any


def log_crash(log: logging.Logger) -> Callable[[asyncio.Task[Any]], None]:
    """A done-callback that logs a task that stopped on an exception (by its name)."""

    def done(task: asyncio.Task[Any]) -> None:
        if not task.cancelled() and task.exception() is not None:
            exc = task.exception()
            log.error("%s stopped: %s: %s", task.get_name(), type(exc).__name__, exc)

    return done


@asynccontextmanager
async def running(
    app: Any,
    log: logging.Logger,
    tasks: Sequence[asyncio.Task[Any]],
    close: Sequence[Callable[[], Awaitable[Any]]] = (),
) -> AsyncIterator[None]:
    """Run ``tasks`` while the app serves; then ``state.ready = False``, cancel them, await each
    ``close`` in order (e.g. the producer last, after what still publishes through it)."""
    for task in tasks:
        task.add_done_callback(log_crash(log))
    try:
        yield
    finally:
        app.state.ready = False
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for closing in close:
            await closing()
