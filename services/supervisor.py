"""Keeping ``triage up``'s services running: a crashed one is restarted with backoff, and logged.

A service that dies (a kill -9, an out-of-memory kill, a bug) is started again after 1 s, then
2, 4 ... up to 30 s while it keeps crashing; once it has run for a minute the backoff resets.
The rest of the stack keeps running meanwhile (at-least-once processing and the services'
own recovery make a restart safe).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol


class Supervised(Protocol):
    """What the supervisor needs of a child process (services.process_group.Child has it)."""

    name: str

    def alive(self) -> bool: ...

    def exit_code(self) -> int | None: ...


@dataclass(frozen=True)
class Backoff:
    """Restart delays: ``initial_s * factor**n`` capped at ``max_s``; reset after ``stable_s`` up."""

    initial_s: float = 1.0
    factor: float = 2.0
    max_s: float = 30.0
    stable_s: float = 60.0

    def delay(self, crashes_in_a_row: int) -> float:
        """Seconds to wait before restarting after the n-th crash in a row (n >= 1)."""
        return min(self.max_s, self.initial_s * self.factor ** max(0, crashes_in_a_row - 1))


@dataclass
class _Track:
    started_at: float
    crashes_in_a_row: int = 0
    restart_at: float | None = None


@dataclass
class Supervisor:
    """Call ``poll()`` periodically; it restarts crashed children through ``start``."""

    children: Sequence[Supervised]
    start: Callable[[Supervised], None]
    log: Callable[[str], None]
    backoff: Backoff = field(default_factory=Backoff)
    clock: Callable[[], float] = time.monotonic
    restarts: int = 0
    _tracks: dict[str, _Track] = field(default_factory=dict)

    def __post_init__(self) -> None:
        now = self.clock()
        self._tracks = {c.name: _Track(started_at=now) for c in self.children}

    def poll(self) -> None:
        """Notice crashes, schedule restarts with backoff, and start the ones that are due."""
        now = self.clock()
        for child in self.children:
            track = self._tracks[child.name]
            if track.restart_at is not None:
                if now >= track.restart_at:
                    track.restart_at, track.started_at = None, now
                    self.restarts += 1
                    self.log(f"restarting {child.name} (crash {track.crashes_in_a_row} in a row)")
                    self.start(child)
                continue
            if child.alive():
                if now - track.started_at >= self.backoff.stable_s:
                    track.crashes_in_a_row = 0  # it has been up long enough: a fresh start next time
                continue
            track.crashes_in_a_row += 1
            delay = self.backoff.delay(track.crashes_in_a_row)
            track.restart_at = now + delay
            self.log(
                f"service {child.name} exited with code {child.exit_code()}; "
                f"restarting it in {delay:.0f} s (crash {track.crashes_in_a_row} in a row)"
            )
