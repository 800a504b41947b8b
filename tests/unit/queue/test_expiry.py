"""Finished cases expire after the retention (issue 24): the pure core's rule, its answers, and
recovery from the log or a snapshot expiring exactly what the live worker expired."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from proto import events as ev
from services.queue.domain.batch import COMMANDS_TOPIC, TRIAGE_TOPIC, Input, InputPosition, decide_batch
from services.queue.domain.expiry import DAY_S
from services.queue.domain.process import handle
from services.queue.domain.recovery import LoggedRecord, recover
from services.queue.domain.snapshot import decode_snapshot, encode_snapshot
from services.queue.domain.state import QueuePolicy, QueueState
from services.queue.settings import QueueSettings
from tests.support.property_depth import examples
from tests.unit.queue.test_commit_and_recover import canonical

T0 = dt.datetime(2026, 1, 5, 8, 0, tzinfo=dt.UTC)
RETENTION_S = 2 * DAY_S
POLICY = QueuePolicy(closed_retention_s=RETENTION_S, heads_up_position=0)
# Command answers remembered: 1, so a duplicate is not answered from the answers memory and the
# records (then the stale rule) must stop it, as after a busy region evicted its answer.
FORGETFUL = QueuePolicy(closed_retention_s=RETENTION_S, heads_up_position=0, answer_memory=1)
KEPT = dt.timedelta(seconds=RETENTION_S)  # how long a finished record stays
MINUTE = dt.timedelta(minutes=1)


def triaged(case_id: str, at: dt.datetime, region: str = "SE-C") -> ev.CaseTriaged:
    return ev.CaseTriaged(
        case_id=case_id,
        region=region,
        urgency=3,
        symptom="fever",
        person_pseudonym=f"p-{case_id}",
        triaged_at=at,
        event_id=f"t-{case_id}",
    )


def serve(rid: str, region: str = "SE-C") -> ev.ServeNext:
    return ev.ServeNext(region=region, clinician_id="nurse-1", request_id=rid)


def complete(case_id: str, rid: str) -> ev.CompleteCase:
    return ev.CompleteCase(region="SE-C", case_id=case_id, by="nurse-1", request_id=rid)


def completed_case(state: QueueState, case_id: str, at: dt.datetime) -> dt.datetime:
    """Queue, call and complete ``case_id`` from ``at``; returns when it finished."""
    handle(state, triaged(case_id, at), at)
    handle(state, serve(f"s-{case_id}"), at + MINUTE)
    handle(state, complete(case_id, f"k-{case_id}"), at + 2 * MINUTE)
    return at + 2 * MINUTE


def cases(state: QueueState, region: str = "SE-C") -> set[str]:
    return set(state.regions[region].cases)


def test_a_completed_case_is_kept_for_the_retention_and_its_record_expires_after_it() -> None:
    state = QueueState(policy=POLICY)
    finished = completed_case(state, "c1", T0)
    handle(state, triaged("c2", finished + KEPT - MINUTE), finished + KEPT - MINUTE)
    assert "c1" in cases(state)
    handle(state, triaged("c3", finished + KEPT + MINUTE), finished + KEPT + MINUTE)
    assert cases(state) == {"c2", "c3"}


def test_a_waiting_case_never_expires_however_long_it_waits() -> None:
    state = QueueState(policy=POLICY)
    handle(state, triaged("waiting", T0), T0)
    later = T0 + 30 * KEPT
    handle(state, triaged("new", later), later)
    assert cases(state) == {"waiting", "new"}


def test_a_called_case_nobody_completes_expires_the_retention_after_its_call() -> None:
    state = QueueState(policy=POLICY)
    handle(state, triaged("left", T0), T0)
    handle(state, serve("s1"), T0 + MINUTE)
    handle(state, ev.NotifyFailed(region="SE-C", case_id="left", sms_id="sms-1"), T0 + MINUTE)
    assert "left" in state.regions["SE-C"].not_reached
    handle(state, triaged("c2", T0 + KEPT), T0 + KEPT)
    assert state.regions["SE-C"].cases["left"].status == "called"  # within the retention
    handle(state, triaged("c3", T0 + KEPT + 2 * MINUTE), T0 + KEPT + 2 * MINUTE)
    assert cases(state) == {"c2", "c3"}
    assert state.regions["SE-C"].not_reached == {}  # its not-reached entry went with it
    [rejected] = handle(state, complete("left", "k-late"), T0 + KEPT + 3 * MINUTE).recorded
    assert isinstance(rejected, ev.CommandRejected) and "called more than 2 days ago" in rejected.reason


def test_a_called_case_completed_later_is_kept_the_retention_after_its_completion() -> None:
    state = QueueState(policy=POLICY)
    handle(state, triaged("slow", T0), T0)
    handle(state, serve("s1"), T0 + MINUTE)
    done = T0 + KEPT - MINUTE  # completed just before its call's retention ran out
    handle(state, complete("slow", "k1"), done)
    handle(state, triaged("c2", T0 + KEPT + MINUTE), T0 + KEPT + MINUTE)
    assert state.regions["SE-C"].cases["slow"].status == "closed"  # the call's entry is stale
    handle(state, triaged("c3", done + KEPT + MINUTE), done + KEPT + MINUTE)
    assert "slow" not in cases(state)


def test_a_no_show_requeued_after_its_call_waits_on_and_does_not_expire() -> None:
    state = QueueState(policy=POLICY)
    handle(state, triaged("back", T0), T0)
    handle(state, serve("s1"), T0 + MINUTE)
    handle(state, ev.MarkNoShow(region="SE-C", case_id="back", by="n", request_id="m1"), T0 + 2 * MINUTE)
    later = T0 + 3 * KEPT
    handle(state, triaged("new", later), later)
    assert state.regions["SE-C"].cases["back"].status == "waiting"


def test_cancelled_and_transferred_cases_expire_like_closed_ones() -> None:
    state = QueueState(policy=POLICY)
    handle(state, triaged("gone", T0), T0)
    handle(state, triaged("moved", T0), T0)
    handle(state, ev.CancelCase(region="SE-C", case_id="gone", reason="better", by="nurse-1"), T0)
    handle(state, ev.TransferCase(region="SE-C", case_id="moved", to_region="SE-E", reason="r", by="n"), T0)
    handle(state, triaged("next", T0 + KEPT + MINUTE), T0 + KEPT + MINUTE)
    assert cases(state) == {"next"}


def test_a_command_naming_an_expired_case_is_rejected_as_unknown_or_expired_and_changes_nothing() -> None:
    state = QueueState(policy=POLICY)
    finished = completed_case(state, "c1", T0)
    later = finished + KEPT + MINUTE
    handle(state, triaged("c2", later), later)
    out = handle(state, complete("c1", "k-again"), later)
    [rejected] = out.recorded
    assert isinstance(rejected, ev.CommandRejected) and out.outcome == "rejected"
    assert rejected.reason == (
        "unknown case c1 in region SE-C (wrong region, never queued, or finished or called more than 2 days ago (expired))"
    )
    assert cases(state) == {"c2"}


def test_a_replayed_command_still_gets_its_recorded_answer_after_its_case_expired() -> None:
    state = QueueState(policy=POLICY)
    finished = completed_case(state, "c1", T0)
    first = state.regions["SE-C"].answer("k-c1")
    later = finished + KEPT + MINUTE
    handle(state, triaged("c2", later), later)
    again = handle(state, complete("c1", "k-c1"), later)
    assert again.outcome == "replayed" and again.events[: len(first)] == first and not again.recorded


def test_a_duplicate_whose_answer_is_remembered_gets_its_first_answer_again() -> None:
    state = QueueState(policy=POLICY)
    finished = completed_case(state, "c1", T0)
    out = handle(state, triaged("c1", T0), finished + KEPT + MINUTE)
    assert out.outcome == "replayed" and not out.recorded and isinstance(out.events[0], ev.CaseQueued)


def test_a_late_duplicate_within_the_retention_is_ignored_as_a_redelivery() -> None:
    state = QueueState(policy=FORGETFUL)
    finished = completed_case(state, "c1", T0)
    out = handle(state, triaged("c1", T0), finished + KEPT - MINUTE)
    assert out.outcome == "ignored" and not out.recorded
    assert state.regions["SE-C"].cases["c1"].status == "closed"


def test_a_late_duplicate_of_an_expired_case_is_refused_and_never_queued_again() -> None:
    state = QueueState(policy=FORGETFUL)
    finished = completed_case(state, "c1", T0)
    later = finished + KEPT + MINUTE
    handle(state, triaged("c2", later), later)  # c1 expires here
    out = handle(state, triaged("c1", T0), later)
    [refused] = out.recorded
    assert isinstance(refused, ev.CommandRejected) and refused.event_id == "rejected-triaged-c1"
    assert refused.reason == (
        "case c1 was triaged at 2026-01-05T08:00:00Z, before cases of SE-C whose records have expired "
        "(finished up to 2026-01-05T08:02:00Z): a late duplicate of an expired case; not queued"
    )
    assert cases(state) == {"c2"} and [w.case_id for w in state.regions["SE-C"].queue] == ["c2"]


def test_a_case_transferred_back_keeps_its_new_record_when_its_old_transfer_expires() -> None:
    state = QueueState(policy=POLICY)
    handle(state, triaged("c1", T0), T0)
    out = handle(
        state, ev.TransferCase(region="SE-C", case_id="c1", to_region="SE-E", reason="r", by="n"), T0
    )
    [to_e] = [m for m in out.events if isinstance(m, ev.TransferIn)]
    back_at = T0 + DAY_S * dt.timedelta(seconds=1)
    out = handle(state, to_e, back_at)
    out = handle(
        state, ev.TransferCase(region="SE-E", case_id="c1", to_region="SE-C", reason="r", by="n"), back_at
    )
    [to_c] = [m for m in out.events if isinstance(m, ev.TransferIn)]
    handle(state, to_c, back_at)
    assert state.regions["SE-C"].cases["c1"].status == "waiting"
    later = T0 + KEPT + MINUTE  # the first transfer out of SE-C is past the retention
    handle(state, triaged("c2", later), later)
    assert cases(state) == {"c1", "c2"} and state.regions["SE-C"].cases["c1"].status == "waiting"


def test_a_retention_of_zero_keeps_every_case_and_queues_an_old_case_it_never_saw() -> None:
    state = QueueState(policy=QueuePolicy(closed_retention_s=0, heads_up_position=0))
    completed_case(state, "c1", T0)
    later = T0 + 100 * KEPT
    out = handle(state, triaged("old", T0), later)
    assert isinstance(out.recorded[0], ev.CaseQueued)
    assert cases(state) == {"c1", "old"}


def test_an_old_case_is_queued_when_no_record_finished_after_its_triage_has_expired() -> None:
    state = QueueState(policy=FORGETFUL)
    finished = completed_case(state, "c1", T0)
    later = finished + KEPT + MINUTE
    handle(state, triaged("c2", later), later)  # c1 expires: records finished up to c1's finish are gone
    out = handle(state, triaged("c3", finished + MINUTE), later)  # triaged after that: it cannot be one
    assert isinstance(out.recorded[0], ev.CaseQueued)
    fresh = QueueState(policy=POLICY)  # a region that never expired anything refuses nothing
    assert isinstance(handle(fresh, triaged("old", T0), T0 + 100 * KEPT).recorded[0], ev.CaseQueued)


def test_a_snapshot_keeps_the_late_duplicate_guard_of_the_records_it_no_longer_holds() -> None:
    state = QueueState(policy=FORGETFUL)
    finished = completed_case(state, "c1", T0)
    handle(state, triaged("c2", finished + KEPT + MINUTE), finished + KEPT + MINUTE)
    restored = decode_snapshot(encode_snapshot(state, ["SE-C"], 2, 10, {}), FORGETFUL).state
    out = handle(restored, triaged("c1", T0), finished + KEPT + 2 * MINUTE)
    assert isinstance(out.recorded[0], ev.CommandRejected) and cases(restored) == {"c2"}


def test_a_snapshot_written_before_finish_times_existed_still_expires_its_finished_cases() -> None:
    state = QueueState(policy=POLICY)
    completed_case(state, "c1", T0)
    state.regions["SE-C"].cases["c1"].finished_at = None  # as an older worker encoded it
    restored = decode_snapshot(encode_snapshot(state, ["SE-C"], 2, 10, {}), POLICY).state
    later = T0 + KEPT + 10 * MINUTE
    handle(restored, triaged("c2", later), later)
    assert cases(restored) == {"c2"}


def test_the_retention_is_14_days_by_default_and_an_operator_sets_it_in_days() -> None:
    assert QueueSettings.from_env({}).policy.closed_retention_s == 14 * DAY_S
    assert (
        QueueSettings.from_env({"QUEUE_CLOSED_RETENTION_DAYS": "30"}).policy.closed_retention_s == 30 * DAY_S
    )
    assert QueueSettings.from_env({"QUEUE_CLOSED_RETENTION_DAYS": "0"}).policy.closed_retention_s == 0
    with pytest.raises(ValueError, match="QUEUE_CLOSED_RETENTION_DAYS"):
        QueueSettings.from_env({"QUEUE_CLOSED_RETENTION_DAYS": "-1"})


# ---------------------------------------------------------------- recovery and snapshots
op = st.one_of(
    st.tuples(st.just("triage"), st.integers(0, 1), st.integers(1, 5)),
    st.tuples(
        st.sampled_from(["serve", "complete", "cancel", "transfer", "no-show"]),
        st.integers(0, 1),
        st.integers(0, 99),
    ),
    st.tuples(st.sampled_from(["duplicate-triage", "retry"]), st.integers(0, 1), st.integers(0, 99)),
)
REGIONS = ("SE-C", "SE-E")
TICK = dt.timedelta(hours=12)


class Run:
    """One worker deciding ticks of inputs (12 h apart) into one log, as ``decide_batch`` does live."""

    def __init__(self) -> None:
        self.state = QueueState(policy=POLICY)
        self.log: list[LoggedRecord] = []
        self.positions: dict[str, int] = {}
        self.offsets = {TRIAGE_TOPIC: 0, COMMANDS_TOPIC: 0}
        self.triaged: list[ev.CaseTriaged] = []
        self.commands: list[ev.Message] = []
        self.transfers: list[ev.Message] = []  # TransferIn sent to ourselves, read in the next tick
        self.n = 0

    def message(self, kind: str, region: str, k: int, now: dt.datetime) -> ev.Message | None:
        self.n += 1
        pick = self.triaged[k % len(self.triaged)] if self.triaged else None
        if kind == "triage":
            case = triaged(f"c{self.n}", now, region)
            case = ev.CaseTriaged(**{**{f: getattr(case, f) for f in case.__struct_fields__}, "urgency": k})
            self.triaged.append(case)
            return case
        if kind == "serve":
            return serve(f"s{self.n}", region)
        if kind == "duplicate-triage":
            return pick  # the same case again, as a new record (e.g. a producer's retry)
        if kind == "retry":
            return self.commands[k % len(self.commands)] if self.commands else None
        if pick is None:
            return None
        where, rid, case_id = pick.region, f"r{self.n}", pick.case_id
        match kind:
            case "complete":
                return ev.CompleteCase(region=where, case_id=case_id, by="n", request_id=rid)
            case "cancel":
                return ev.CancelCase(region=where, case_id=case_id, reason="r", by="n", request_id=rid)
            case "transfer":
                to = "SE-E" if where == "SE-C" else "SE-C"
                return ev.TransferCase(
                    region=where, case_id=case_id, to_region=to, reason="r", by="n", request_id=rid
                )
        return ev.MarkNoShow(region=where, case_id=case_id, by="n", request_id=rid)

    def tick(self, ops: list[tuple[str, int, int]], now: dt.datetime, batch: str) -> None:
        messages = [*self.transfers]
        messages += [m for kind, r, k in ops if (m := self.message(kind, REGIONS[r], k, now)) is not None]
        inputs = []
        for m in messages:
            topic = TRIAGE_TOPIC if isinstance(m, ev.CaseTriaged) else COMMANDS_TOPIC
            if topic == COMMANDS_TOPIC and not isinstance(m, ev.TransferIn):
                self.commands.append(m)
            inputs.append(Input(InputPosition(topic, 0, self.offsets[topic]), m, now))
            self.offsets[topic] += 1
        inputs.sort(key=lambda i: (i.position.topic != TRIAGE_TOPIC, i.position))
        commit = decide_batch(self.state, 0, inputs, batch, self.positions)
        for e in commit.entries:
            self.log.append(LoggedRecord(len(self.log), e.event, e.input, e.answer_key, e.batch_id, "w1"))
        self.log.append(LoggedRecord(len(self.log), commit.marker, writer="w1"))
        self.positions = dict(commit.marker.positions)
        self.transfers = list(commit.outputs.commands)


@given(st.lists(st.lists(op, max_size=8), min_size=1, max_size=14), st.integers(0, 13))
@settings(max_examples=examples(150), deadline=None)
def test_recovery_from_the_log_or_from_a_snapshot_expires_exactly_what_the_live_worker_expired(
    ticks: list[list[tuple[str, int, int]]], snapshot_after: int
) -> None:
    live = Run()
    snapshot: list[bytes] | None = None
    for i, ops in enumerate(ticks):
        live.tick(ops, T0 + i * TICK, f"b{i}")
        if i == snapshot_after:
            snapshot = encode_snapshot(live.state, list(live.state.regions), 0, len(live.log), live.positions)
    full = recover(live.log, POLICY)
    states = [full.state]
    if snapshot is not None:
        states.append(recover(live.log, POLICY, start=decode_snapshot(snapshot, POLICY)).state)
    assert all(canonical(s) == canonical(live.state) for s in states)
    guards = [
        {r: rs.expired_through for r, rs in s.regions.items() if rs.cases} for s in [live.state, *states]
    ]
    assert all(g == guards[0] for g in guards)
    # The same input long after, on every copy: the same answer, the same cases expired.
    late = T0 + (len(ticks) + 1) * TICK + KEPT
    probe = [triaged(c.case_id, c.triaged_at, c.region) for c in live.triaged[:3]] + [triaged("new", late)]
    answers = [[handle(s, m, late).recorded for m in probe] for s in [live.state, *states]]
    assert all(a == answers[0] for a in answers)
    assert all(canonical(s) == canonical(live.state) for s in states)
    # No case was ever queued twice from triage.events, however late its duplicates came.
    queued = [
        r.event.case_id
        for r in live.log
        if isinstance(r.event, ev.CaseQueued) and r.input.topic == TRIAGE_TOPIC
    ]  # type: ignore[union-attr]
    assert len(queued) == len(set(queued))


def test_a_long_run_holds_only_the_open_cases_and_those_finished_within_the_retention() -> None:
    state = QueueState(policy=POLICY)
    for i in range(40):  # 20 days, one case every 12 h, and one that is never called
        completed_case(state, f"done{i}", T0 + i * TICK)
        handle(state, triaged(f"open{i}", T0 + i * TICK, "SE-E"), T0 + i * TICK)
    assert cases(state, "SE-E") == {f"open{i}" for i in range(40)}
    assert cases(state) == {f"done{i}" for i in range(40 - 5, 40)}  # KEPT = 2 days: the last 4.x ticks
