"""triage up restarts a crashed service with growing backoff and logs every crash and restart."""

from __future__ import annotations

from dataclasses import dataclass

from services.supervisor import Backoff, Supervised, Supervisor


@dataclass
class FakeService:
    name: str
    running: bool = True
    code: int | None = None
    starts: int = 0

    def alive(self) -> bool:
        return self.running

    def exit_code(self) -> int | None:
        return self.code

    def crash(self, code: int = -9) -> None:
        self.running, self.code = False, code


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def _supervise(*services: FakeService) -> tuple[Supervisor, Clock, list[str]]:
    clock, lines = Clock(), []

    def start(child: Supervised) -> None:
        assert isinstance(child, FakeService)
        child.running, child.code, child.starts = True, None, child.starts + 1

    return Supervisor(list(services), start, lines.append, Backoff(1, 2, 30, 60), clock), clock, lines


def test_the_backoff_doubles_per_crash_in_a_row_up_to_its_cap() -> None:
    assert [Backoff(1, 2, 30).delay(n) for n in (1, 2, 3, 5, 6, 9)] == [1, 2, 4, 16, 30, 30]


def test_a_killed_queue_is_restarted_after_the_backoff_and_the_other_services_are_left_alone() -> None:
    queue, intake = FakeService("queue"), FakeService("intake")
    sup, clock, lines = _supervise(queue, intake)
    queue.crash()
    sup.poll()
    assert lines == ["service queue exited with code -9; restarting it in 1 s (crash 1 in a row)"]
    clock.now = 0.5
    sup.poll()
    assert queue.starts == 0
    clock.now = 1.0
    sup.poll()
    assert (queue.starts, intake.starts, queue.alive()) == (1, 0, True)
    assert lines[-1] == "restarting queue (crash 1 in a row)"


def test_a_service_that_keeps_crashing_waits_longer_each_time_until_it_stays_up_a_minute() -> None:
    queue = FakeService("queue")
    sup, clock, lines = _supervise(queue)
    delays = []
    for _ in range(3):
        queue.crash()
        sup.poll()
        delays.append(lines[-1].split(" in ")[1].split(" s")[0])
        clock.now += 100  # long enough for any delay, but the crash comes right after the restart
        sup.poll()
        queue.crash()
        sup.poll()
        clock.now += 100
        sup.poll()
    assert delays == ["1", "4", "16"]
    clock.now += 60  # up for a minute: the next crash starts the backoff afresh
    sup.poll()
    queue.crash()
    sup.poll()
    assert lines[-1].endswith("restarting it in 1 s (crash 1 in a row)")
    assert sup.restarts == 6
