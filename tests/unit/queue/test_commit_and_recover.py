"""Property: kill -9 after any single write, any number of times, changes nothing a patient sees.

The real ``BatchCommitter`` (group commit, outputs after commit, pure ``recover``) runs over
a fake broker that dies after the N-th record write (event, marker, notice, TransferIn,
tombstone), again and again, also during recovery and the replay that follows. The same
inputs without any crash are the reference.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

from hypothesis import example, given, settings
from hypothesis import strategies as st

from proto import events as ev
from services.queue.domain.batch import COMMANDS_TOPIC, TRIAGE_TOPIC
from services.queue.domain.outputs import outputs_for
from services.queue.domain.recovery import LoggedRecord
from services.queue.domain.state import QueuePolicy, QueueState
from services.queue.partitioning import region_partition
from services.queue.write_path import BatchCommitter
from tests.support.property_depth import examples
from tests.unit.queue.fake_queue_log import PARTITIONS, Crash, FakeQueueLog, FakeSnapshotStore

REGIONS = ("SE-C", "SE-E", "SE-M")  # partitions 2, 1, 7
POLICY = QueuePolicy(no_show_attempts=2, heads_up_position=2, answer_memory=50)

op = st.one_of(
    st.tuples(st.just("triage"), st.sampled_from(REGIONS), st.integers(1, 5)),
    st.tuples(st.just("serve"), st.sampled_from(REGIONS), st.integers(0, 99)),
    st.tuples(st.just("retry-serve"), st.sampled_from(REGIONS), st.integers(0, 99)),
    st.tuples(st.just("reprioritise"), st.sampled_from(REGIONS), st.integers(0, 99)),
    st.tuples(st.just("cancel"), st.sampled_from(REGIONS), st.integers(0, 99)),
    st.tuples(st.just("transfer"), st.sampled_from(REGIONS), st.integers(0, 99)),
    st.tuples(st.just("no-show"), st.sampled_from(REGIONS), st.integers(0, 99)),
    st.tuples(st.just("duplicate-triage"), st.sampled_from(REGIONS), st.integers(0, 99)),
    st.tuples(st.just("garbage"), st.sampled_from(REGIONS), st.just(0)),
    st.tuples(st.just("set-hours"), st.sampled_from(REGIONS), st.integers(0, 99)),  # issue 14
)
ticks = st.lists(st.lists(op, max_size=6), min_size=1, max_size=8)
crashes = st.lists(st.one_of(st.integers(0, 8), st.integers(0, 40)), max_size=5)


class Scenario:
    """Turns drawn operations into input records, identically for every run."""

    def __init__(self) -> None:
        self.cases: list[ev.CaseTriaged] = []
        self.serves: list[ev.ServeNext] = []
        self.n = 0

    def records(self, ops: list[tuple[str, str, int]], now: dt.datetime) -> list[tuple[Any, str, str]]:
        out: list[tuple[Any, str, str]] = []
        for kind, region, k in ops:
            self.n += 1
            rid = f"r{self.n}"
            pick = self.cases[k % len(self.cases)] if self.cases else None
            if kind == "triage":
                case = ev.CaseTriaged(
                    event_id=f"t{self.n}",
                    case_id=f"c{self.n}",
                    region=region,
                    urgency=k,
                    symptom="fever",
                    person_pseudonym=f"p{self.n % 7}",  # type: ignore[arg-type]
                    triaged_at=now,
                    occurred_at=now,
                )
                self.cases.append(case)
                out.append((case, TRIAGE_TOPIC, region))
            elif kind == "duplicate-triage" and pick is not None:
                out.append((pick, TRIAGE_TOPIC, pick.region))
            elif kind == "serve":
                serve = ev.ServeNext(
                    event_id=f"e{self.n}", region=region, request_id=rid, clinician_id="n1", occurred_at=now
                )
                self.serves.append(serve)
                out.append((serve, COMMANDS_TOPIC, region))
            elif kind == "retry-serve" and self.serves:
                again = self.serves[k % len(self.serves)]
                out.append((again, COMMANDS_TOPIC, again.region))
            elif kind == "garbage":
                out.append((None, COMMANDS_TOPIC, region))
            elif (
                kind == "set-hours"
            ):  # a team lead closes the region (no heads-ups) or opens it round the clock
                day = [] if k % 2 else ["00:00-24:00"]
                days = {d: day for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
                hours = ev.SetOpeningHours(
                    region=region,
                    request_id=rid,
                    by="lead",
                    days=days,
                    event_id=f"e{self.n}",
                    occurred_at=now,
                )
                out.append((hours, COMMANDS_TOPIC, region))
            elif pick is not None:
                r = pick.region
                cmd: ev.Message
                if kind == "reprioritise":
                    cmd = ev.Reprioritise(
                        region=r,
                        request_id=rid,
                        case_id=pick.case_id,
                        urgency=1 + k % 5,
                        reason="worse",
                        by="nurse",
                        event_id=f"e{self.n}",
                        occurred_at=now,
                    )
                elif kind == "cancel":
                    cmd = ev.CancelCase(
                        region=r,
                        request_id=rid,
                        case_id=pick.case_id,
                        reason="well",
                        by="nurse",
                        event_id=f"e{self.n}",
                        occurred_at=now,
                    )
                elif kind == "transfer":
                    cmd = ev.TransferCase(
                        region=r,
                        request_id=rid,
                        case_id=pick.case_id,
                        to_region=REGIONS[(REGIONS.index(r) + 1) % 3],
                        reason="closer",
                        by="nurse",
                        event_id=f"e{self.n}",
                        occurred_at=now,
                    )
                else:
                    cmd = ev.MarkNoShow(
                        region=r,
                        request_id=rid,
                        case_id=pick.case_id,
                        by="nurse",
                        event_id=f"e{self.n}",
                        occurred_at=now,
                    )
                out.append((cmd, COMMANDS_TOPIC, r))
        return out


def run(
    schedule: list[list[tuple[str, str, int]]],
    crash_points: list[int],
    early: bool = False,
    late: bool = False,
    snapshot_every: int | None = None,
    transactional: bool = False,
) -> tuple[FakeQueueLog, QueueState]:
    """Feed the ticks to a worker that is killed at ``crash_points`` and restarted each time.

    ``early``: the pipelined pace of the runtime: the next tick is read and decided while the
    last batch's writes are in flight (so a kill in them finds the next batch decided in memory,
    never written); and after a crash, the next tick's inputs reach the broker before the worker
    is back, so the retried batch is bigger and ordered differently than the one that died.
    ``late``: the write a kill interrupts still lands, after the next owner read the log.
    ``snapshot_every``: snapshots every that many committed events, in chunks of 300 bytes
    (their chunk, manifest and tombstone writes are crash points too); recovery starts from them.
    ``transactional``: the broker has transactions (Apache Kafka): each partition's batch is one
    transaction, its commit (EndTxn) is a crash point too, and readers read committed.
    """
    log = FakeQueueLog(late_landing=late, transactional=transactional)
    store = FakeSnapshotStore(log) if snapshot_every is not None else None
    points = list(crash_points)
    log.arm(points.pop(0) if points else None)
    scenario = Scenario()
    worker: BatchCommitter | None = None
    partitions = sorted({region_partition(r, PARTITIONS) for r in REGIONS})

    async def life() -> BatchCommitter:
        w = BatchCommitter(
            log,
            QueueState(policy=POLICY),
            lambda r: region_partition(r, PARTITIONS),
            snapshots=store,
            snapshot_every=snapshot_every or 0,
            chunk_bytes=300,
        )
        for p in partitions:
            await w.recover(p)
        return w

    async def main() -> QueueState:
        nonlocal worker
        produced = -1

        def arrive(tick: int) -> None:
            nonlocal produced
            if tick <= produced or tick >= len(schedule):
                return
            produced = tick
            log.now = dt.datetime(2026, 11, 30, 8, 0, tzinfo=dt.UTC) + dt.timedelta(seconds=tick)
            for message, topic, region in scenario.records(schedule[tick], log.now):
                log.produce(message, topic, region)

        for tick in range(len(schedule)):
            arrive(tick)
            cut = log.ends()  # what this tick's batch reads (its high watermarks)
            while True:
                try:
                    if worker is None:
                        worker = await life()
                    batch = {}
                    for p in partitions:
                        items = log.fetch(
                            p, worker.decided[p], cut
                        )  # the reader goes on after the last decided
                        if items:
                            batch[p] = items
                    await worker.commit(batch)
                    if not early:
                        # The reference's pace: a batch's writes (and the TransferIn they send) land
                        # before the next tick is read. With ``early`` the next tick is read and
                        # decided while they are in flight, as the runtime's pipelined loop does.
                        await worker.flush()
                    break
                except Crash:
                    if worker is not None and worker.decided != worker.positions:
                        log.killed_with_next_decided += 1  # the pipelined path: N+1 decided, N in flight
                    kill(worker)
                    worker = None
                    log.arm(points.pop(0) if points else None)
                    if early:
                        arrive(tick + 1)
                        cut = log.ends()
        while True:  # the last batch is written in the background: a kill can hit it too
            try:
                if worker is None:
                    worker = await life()
                await worker.flush()
                assert cut is not None
                batch = {p: items for p in partitions if (items := log.fetch(p, worker.positions[p], cut))}
                if not batch:
                    break
                await worker.commit(batch)  # what a kill in the last tick's writes left undone
            except Crash:
                kill(worker)
                worker = None
                log.arm(points.pop(0) if points else None)
        await worker.settle()  # a snapshot still being written finishes, as at a clean stop
        return worker.state

    return log, asyncio.run(main())


def kill(worker: BatchCommitter | None) -> None:
    """kill -9 of the worker's process: none of its tasks runs on.

    A write fails in one partition's part while other partitions' parts are still in flight
    (each is its own task); in the real worker the process exits. Here the dead life's
    object would linger in the same event loop, and a part that had not issued its first write
    yet would issue it after the next life started, as that life (the fake knows a life by the
    moment of the call). So all its tasks are cancelled: what had not reached the broker never
    does (the fake lands at most the one ``late`` write, as a broker would).
    Found by hypothesis (a late write of a dead life's part queued a case twice).
    """
    if worker is None:
        return
    # every task but this test's driver: the parts still in flight, those a failed flush had
    # already taken off ``_in_flight`` before it raised, and the snapshot writes
    for task in asyncio.all_tasks():
        if task is not asyncio.current_task():
            task.cancel()


def canonical(state: QueueState) -> dict[str, Any]:
    out = {}
    for region, rs in sorted(state.regions.items()):
        if not rs.cases and not rs.answers:
            continue  # a region a command named but that never changed
        out[region] = (
            {c: r for c, r in sorted(rs.cases.items())},
            [w for w in rs.queue],
            dict(sorted(rs.waiting_person.items())),
            list(rs.answers.items()),
            list(rs.calls),
            rs.next_sequence,
            rs.hours_changed,
        )
    return out


def calls_by_request(log: FakeQueueLog) -> dict[str, set[str]]:
    """The cases each ServeNext's CaseCalled records name: orphans and voided late writes included,
    because readers of queue.events that ignore fences (staff's answer, intake) may have read them."""
    calls: dict[str, set[str]] = {}
    for records in visible(log):
        for r in records:
            if isinstance(r.event, ev.CaseCalled):
                calls.setdefault(r.event.request_id, set()).add(r.event.case_id)
    return calls


def visible(log: FakeQueueLog) -> list[list[LoggedRecord]]:
    """queue.events as a read-committed reader sees it, per partition (everything without transactions)."""
    return [log.visible(p) for p in sorted(log.events)]


snapshot_every = st.one_of(st.none(), st.integers(1, 6))


@given(ticks, crashes, st.booleans(), snapshot_every)
@settings(max_examples=examples(400), deadline=None)
def test_a_worker_killed_after_any_write_any_number_of_times_ends_as_if_never_killed(
    schedule: list[list[tuple[str, str, int]]],
    crash_points: list[int],
    late: bool,
    every: int | None,
) -> None:
    ends_as_if_never_killed(schedule, crash_points, late, every, transactional=False)


@given(ticks, crashes, st.booleans(), snapshot_every)
@settings(max_examples=examples(300), deadline=None)
def test_with_transactions_a_worker_killed_at_any_write_or_commit_ends_as_if_never_killed(
    schedule: list[list[tuple[str, str, int]]],
    crash_points: list[int],
    late: bool,
    every: int | None,
) -> None:
    ends_as_if_never_killed(schedule, crash_points, late, every, transactional=True)


def ends_as_if_never_killed(
    schedule: list[list[tuple[str, str, int]]],
    crash_points: list[int],
    late: bool,
    every: int | None,
    transactional: bool,
) -> None:
    # the reference neither crashes nor takes snapshots: recovering from snapshots changes nothing
    reference_log, reference = run(schedule, [])
    log, state = run(schedule, crash_points, late=late, snapshot_every=every, transactional=transactional)

    assert canonical(state) == canonical(reference)
    # no ServeNext answered with two different cases, and no patient called by two requests
    calls = calls_by_request(log)
    assert all(len(cases) == 1 for cases in calls.values()), calls
    assert calls == calls_by_request(reference_log)
    # the same event id never carries two different decisions (voided late writes included)
    seen: dict[str, ev.Message] = {}
    for records in visible(log):
        for r in records:
            assert seen.setdefault(r.event.event_id, r.event) == r.event
    # every notice is sent (at least once; the notifier dedupes on event_id), and only those
    assert {n.event_id for n in log.notices} == {n.event_id for n in reference_log.notices}
    assert {t.event_id for t in log.transfers} == {t.event_id for t in reference_log.transfers}
    assert set(log.tombstones) == set(reference_log.tombstones)


def committed(log: FakeQueueLog) -> list[ev.Message]:
    """The events of committed batches (followed by their marker), all partitions (a test oracle)."""
    out = []
    for records in visible(log):
        pending: list[Any] = []
        owner, void, valid = None, set(), set()
        for f in reversed(records):  # a takeover voids what it did not read (void fences too) ...
            if isinstance(f.event, ev.PartitionFenced) and f.offset not in void:
                valid.add(f.offset)
                void |= set(range(f.event.recovered_to, f.offset))
        for r in records:
            if r.offset in valid:
                owner = r.event.writer
                continue
            if r.offset in void or isinstance(r.event, ev.PartitionFenced) or (owner and r.writer != owner):
                continue  # ... and what others write after it
            if isinstance(r.event, ev.BatchCommitted):
                mine = [p.event for p in pending if p.batch_id == r.event.batch_id]
                if len(mine) == r.event.events:
                    out += mine
                    pending = []
            else:
                pending.append(r)
    return out


# Killed right after the 8th write (3 fences, tick 0's 3 records and heads-up notice, then
# the call of tick 1, before its marker); a more urgent case of the region arrives before the restart.
ORPHAN_CALL_THEN_MORE_URGENT = [[("triage", "SE-C", 3)], [("serve", "SE-C", 0)], [("triage", "SE-C", 1)]]


# Found by hypothesis: life 3's CaseCalled (r10 -> c3) is cut off by a kill and lands after
# life 4 read the log but before its fence; a more urgent c11 arrives meanwhile. Life 4 must
# still answer r10 with c3 (readers may have seen it), not call c11 (commit.py, late orphans).
LATE_ORPHAN_CALL = [
    [
        ("triage", "SE-C", 1),
        ("triage", "SE-C", 1),
        ("triage", "SE-M", 2),
        ("retry-serve", "SE-C", 0),
        ("transfer", "SE-C", 0),
        ("triage", "SE-E", 1),
    ],
    [("serve", "SE-E", 0)],
    [("triage", "SE-C", 1), ("triage", "SE-E", 1), ("serve", "SE-M", 0)],
    [("triage", "SE-M", 1)],
]


# ... and when that life dies too before committing, the next one still answers r8 with the
# voided c1 (recovery replays the inputs of voided late writes after the last commit first).
LATE_ORPHAN_CALL_THEN_DEATH = [
    [("triage", "SE-M", 1), ("retry-serve", "SE-C", 0), ("reprioritise", "SE-C", 1)],
    [
        ("triage", "SE-C", 1),
        ("triage", "SE-C", 1),
        ("triage", "SE-E", 1),
        ("retry-serve", "SE-C", 0),
        ("serve", "SE-M", 0),
    ],
    [("triage", "SE-M", 1)],
]


# Found by hypothesis after per-partition writes (1c69e83): the kill hits partition 7's part
# while partitions 1 and 2 have parts in flight that have not written yet; the next life
# recovers partition 1 without c21's CaseQueued and decides it again. The dead life's part
# must never write after that (``kill``), or c21 is queued twice and recovery refuses the log.
PARTS_IN_FLIGHT_AT_A_KILL = [
    [("triage", "SE-C", 1), ("triage", "SE-C", 1)],
    [("triage", "SE-E", 1), ("serve", "SE-C", 0), ("serve", "SE-C", 0)],
    [("triage", "SE-C", 1), ("serve", "SE-C", 0), ("serve", "SE-C", 0), ("serve", "SE-C", 0)],
    [("triage", "SE-C", 1), *[("serve", "SE-C", 0)] * 5],
    [("triage", "SE-M", 1), ("triage", "SE-M", 1), ("serve", "SE-C", 0), ("serve", "SE-C", 0)],
    [("triage", "SE-C", 1), ("triage", "SE-E", 1)],
    [],
]


@given(ticks, crashes, st.booleans(), snapshot_every)
@example(PARTS_IN_FLIGHT_AT_A_KILL, [37], False, 6)
@example(LATE_ORPHAN_CALL, [0, 10, 17], True, None)
@example(LATE_ORPHAN_CALL_THEN_DEATH, [12, 3], True, None)
@example(ORPHAN_CALL_THEN_MORE_URGENT, [8], False, None)
@example(ORPHAN_CALL_THEN_MORE_URGENT, [8, 0, 1, 3], False, None)  # killed again during recovery and replay
@example(ORPHAN_CALL_THEN_MORE_URGENT, [9], False, None)
@example(ORPHAN_CALL_THEN_MORE_URGENT, [8], True, None)  # the marker lands after the next owner's read
@example(ORPHAN_CALL_THEN_MORE_URGENT, [8, 9, 10, 11, 12], False, 1)  # killed at snapshot writes
@settings(max_examples=examples(400), deadline=None)
def test_a_worker_killed_while_new_inputs_arrive_calls_nobody_twice_and_sends_every_notice(
    schedule: list[list[tuple[str, str, int]]],
    crash_points: list[int],
    late: bool,
    every: int | None,
) -> None:
    calls_nobody_twice_and_sends_every_notice(schedule, crash_points, late, every, transactional=False)


# Found by a deeper hypothesis run (make test-slow's depth): the kill hits the EndTxn of
# partition 2's transaction (a call and two heads-ups), which lands late and commits as the
# next life starts. The fake once also aborted that committed transaction at the next owner's
# own(): its notices counted as sent while its records were hidden.
LATE_COMMIT_AT_A_KILL = [
    [("triage", "SE-C", 1), ("triage", "SE-C", 1), ("triage", "SE-C", 2)],
    [("triage", "SE-E", 1), ("serve", "SE-C", 0)],
    [("triage", "SE-C", 1)],
]


# Found by a deeper hypothesis run: a failed flush had taken every part off ``_in_flight``
# before it raised at the first, so the dead life's other parts ran on past ``kill`` (which then
# cancelled only what ``_in_flight`` still held); they began, wrote and committed transactions
# as the next life. Two schedules, one per symptom (a KeyError in the fake's commit, and a
# rebuilt state that differs from the live one).
TRANSFER_THEN_A_KILL_IN_FLUSH = [
    [("triage", "SE-M", 1), ("transfer", "SE-C", 0)],
    [*[("triage", "SE-C", 1)] * 3, ("triage", "SE-E", 1), ("garbage", "SE-M", 0)],
    [("triage", "SE-C", 1), ("triage", "SE-C", 1), ("triage", "SE-E", 1), ("triage", "SE-M", 1)],
    [("triage", "SE-M", 1)],
]
TRANSFER_IN_SE_C_THEN_A_KILL_IN_FLUSH = [
    [("triage", "SE-C", 1), ("transfer", "SE-C", 0)],
    *TRANSFER_THEN_A_KILL_IN_FLUSH[1:],
]


@given(ticks, crashes, st.booleans(), snapshot_every)
@example(PARTS_IN_FLIGHT_AT_A_KILL, [37], False, 6)
@example(LATE_COMMIT_AT_A_KILL, [20], True, None)
@example(TRANSFER_THEN_A_KILL_IN_FLUSH, [32], False, None)
@example(TRANSFER_IN_SE_C_THEN_A_KILL_IN_FLUSH, [32], False, None)
@example(LATE_ORPHAN_CALL, [0, 10, 17], True, None)
@example(ORPHAN_CALL_THEN_MORE_URGENT, [8], True, None)
@settings(max_examples=examples(300), deadline=None)
def test_with_transactions_a_worker_killed_while_inputs_arrive_shows_readers_only_committed_calls(
    schedule: list[list[tuple[str, str, int]]],
    crash_points: list[int],
    late: bool,
    every: int | None,
) -> None:
    log = calls_nobody_twice_and_sends_every_notice(schedule, crash_points, late, every, transactional=True)
    # read committed, nobody ever sees an orphan: every CaseCalled a reader gets is committed
    history = committed(log)
    shown = {
        r.event.event_id for records in visible(log) for r in records if isinstance(r.event, ev.CaseCalled)
    }
    assert shown == {m.event_id for m in history if isinstance(m, ev.CaseCalled)}


def calls_nobody_twice_and_sends_every_notice(
    schedule: list[list[tuple[str, str, int]]],
    crash_points: list[int],
    late: bool,
    every: int | None,
    transactional: bool,
) -> FakeQueueLog:
    log, state = run(
        schedule,
        crash_points,
        early=True,
        late=late,
        snapshot_every=every,
        transactional=transactional,
    )
    history = committed(log)
    # no ServeNext answered with two different cases, counting the orphans others may have read
    calls = calls_by_request(log)
    assert all(len(cases) == 1 for cases in calls.values()), calls
    seen: dict[str, ev.Message] = {}
    for records in visible(log):
        for r in records:
            assert seen.setdefault(r.event.event_id, r.event) == r.event, "one id, two decisions"
    # a call always takes a waiting case: nobody called twice without a no-show in between
    waiting: set[str] = set()
    for m in history:
        if isinstance(m, ev.CaseQueued) or (isinstance(m, ev.CaseNoShow) and m.requeued):
            waiting.add(m.case_id)
        elif isinstance(m, ev.CaseCalled):
            assert m.case_id in waiting, f"{m.case_id} called while not waiting"
            waiting.discard(m.case_id)
        elif isinstance(m, (ev.CaseCancelled, ev.CaseTransferred)):
            waiting.discard(m.case_id)
    # every notice of a committed decision was sent, and no notice of an uncommitted one
    due = {n.event_id: n for n in outputs_for(history).notices}
    assert all(due.get(n.event_id) == n for n in log.notices), "a notice of an uncommitted decision"
    assert {n.event_id for n in log.notices} == set(due)
    # the live state is exactly the fold of the committed log, and the snapshot + its tail
    # recovers exactly what the full log does
    log.arm(None)
    for store in [None, log.snapshot_store]:
        fresh = BatchCommitter(
            log, QueueState(policy=POLICY), lambda r: region_partition(r, PARTITIONS), snapshots=store
        )

        async def rebuild(worker: BatchCommitter) -> None:
            for p in {region_partition(r, PARTITIONS) for r in REGIONS}:
                await worker.recover(p)

        asyncio.run(rebuild(fresh))
        assert canonical(fresh.state) == canonical(state)
    return log


def test_a_dead_owners_call_that_lands_after_the_takeover_names_the_same_case() -> None:
    # killed at the CaseCalled write of tick 0 (3 fences, CaseQueued, then the call), which lands
    # late; the more urgent c3 arrives before the restart
    schedule = [[("triage", "SE-C", 2), ("serve", "SE-C", 0)], [("triage", "SE-C", 1)]]
    log, _ = run(schedule, [4], early=True, late=True)
    calls = calls_by_request(log)
    assert all(len(cases) == 1 for cases in calls.values()), calls


# Two regions, a call each per tick, a transfer and a no-show: every batch has writes on two
# partitions and outputs, so a kill can hit each write of batch N while N+1 is decided.
PIPELINED = [
    [("triage", "SE-C", 2), ("triage", "SE-E", 3), ("triage", "SE-C", 1)],
    [("serve", "SE-C", 0), ("serve", "SE-E", 0), ("triage", "SE-M", 1)],
    [("serve", "SE-C", 0), ("transfer", "SE-M", 0), ("triage", "SE-E", 2)],
    [("no-show", "SE-C", 1), ("serve", "SE-M", 0), ("serve", "SE-E", 0)],
]


def test_a_kill_at_every_write_of_the_pipelined_path_loses_no_input_and_calls_nobody_twice() -> None:
    # Exhaustively: one kill after each single write (then a second kill a few writes into the
    # restart), with the next batch decided in memory while the killed batch's writes were in
    # flight; recovery must send every committed batch's outputs and decide every input once.
    for transactional in (False, True):
        reference_log, _ = run(PIPELINED, [])
        total = reference_log.writes + 3 * 2  # the fences of a restart, and then some
        hit_pipelined = 0
        for point in range(total):
            for crash_points in ([point], [point, 4]):
                log = calls_nobody_twice_and_sends_every_notice(
                    PIPELINED, crash_points, late=False, every=None, transactional=transactional
                )
                hit_pipelined += log.killed_with_next_decided
                # no lost input: every ServeNext on the broker has exactly one committed answer
                answers = [
                    m.request_id for m in committed(log) if isinstance(m, (ev.CaseCalled, ev.ServeNextEmpty))
                ]
                asked = [
                    r.message.request_id
                    for (topic, _), records in log.inputs.items()
                    for r in records
                    if topic == COMMANDS_TOPIC and isinstance(r.message, ev.ServeNext)
                ]
                assert sorted(answers) == sorted(asked), (transactional, crash_points)
        assert hit_pipelined > 10  # the kills did find the next batch decided, unwritten
