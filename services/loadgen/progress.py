"""A live progress bar on stderr while the run goes (rich): elapsed against the planned
duration (or count), with what has been submitted, queued, called and texted so far."""

from __future__ import annotations

import asyncio
import contextlib
import time
from types import TracebackType

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from services.loadgen.ledger import Ledger
from services.loadgen.settings import LoadSettings


class LiveProgress:
    def __init__(self, settings: LoadSettings, ledger: Ledger) -> None:
        self.ledger = ledger
        self.by_count = settings.duration_s is None
        total = float(settings.count if self.by_count else settings.duration_s or 0)  # type: ignore[arg-type]
        self._progress = Progress(
            TextColumn("[bold]{task.fields[phase]:<9}"),
            BarColumn(),
            TextColumn("{task.fields[stats]}"),
            TimeElapsedColumn(),
            console=Console(stderr=True),
            disable=not settings.progress,
            transient=False,
        )
        self._task = self._progress.add_task("load", total=total, phase="sending", stats="")
        self._updater: asyncio.Task[None] | None = None

    def __enter__(self) -> LiveProgress:
        self._progress.start()
        self._updater = asyncio.get_running_loop().create_task(self._update_forever())
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._updater is not None:
            self._updater.cancel()
        self._update()
        self._progress.stop()

    def phase(self, name: str) -> None:
        self._progress.update(self._task, phase=name)

    async def _update_forever(self) -> None:
        with contextlib.suppress(asyncio.CancelledError):
            while True:
                self._update()
                await asyncio.sleep(0.25)

    def _update(self) -> None:
        c = self.ledger.counters
        done = c["submitted"] if self.by_count else time.monotonic() - self.ledger.t0
        stats = (
            f"sent {c['submitted']}  queued {len(self.ledger.queued_seen)}  "
            f"called {c['called']}  sms {len(self.ledger.sms_seen)}  "
            f"errors {c['outcome_http_5xx'] + c['outcome_timeout'] + c['outcome_error']}"
        )
        self._progress.update(self._task, completed=done, stats=stats)
