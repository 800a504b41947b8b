"""Snapshots of intake's read model: a start from one + the rest of the log = the fold of the whole log."""

from __future__ import annotations

import datetime as dt
import random

import pytest

from proto import events as ev
from services.intake.domain.queue_view import QueueView
from services.intake.domain.submission_index import Remembered, SubmissionIndex
from services.intake.domain.view_snapshot import decode_view, encode_view
from services.intake.triage_log import remembered_from
from tests.unit.intake.test_wait_forecasts import forecast

T0 = dt.datetime(2026, 11, 30, 8, 0, tzinfo=dt.UTC)
REGIONS = ("SE-C", "SE-F", "SE-I")
CLOSED_WEEK = {d: [] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}


def at(minutes: float) -> dt.datetime:
    return T0 + dt.timedelta(minutes=minutes)


def history(n: int, seed: int = 7) -> list[ev.Message]:
    """A varied log: queued, called, closed with a sealed note, cancelled, reprioritised, no-shows,
    transfers, a person raced into two regions, a refused second case, hours, forecasts, results."""
    rnd = random.Random(seed)
    out: list[ev.Message] = []
    for i in range(n):
        t, case, person, region = float(i), f"case-{i}", f"p-{i % (n // 2 + 1)}", rnd.choice(REGIONS)
        out.append(ev.CaseTriaged(case_id=case, region=region, urgency=3, symptom="fever",
                                  person_pseudonym=person, triaged_at=at(t), rule_id="fever.high",
                                  advice=f"advice {i % 3}", submission_id=f"sub-{i}",
                                  request_digest=f"d{i}", occurred_at=at(t)))  # fmt: skip
        if i % 11 == 5:
            out.append(ev.CommandRejected(region=region, request_id=case, command_type="case.triaged.v1",
                                          reason="person already waiting", case_id=case, occurred_at=at(t)))  # fmt: skip
            continue
        out.append(ev.CaseQueued(case_id=case, region=region, urgency=3, queued_at=at(t), sequence=i,
                                 person_pseudonym=person, occurred_at=at(t)))  # fmt: skip
        later = at(t + 0.5)
        match i % 7:
            case 0:
                out.append(ev.CaseCalled(case_id=case, region=region, urgency=3, clinician_id="n1",
                                         request_id=f"r{i}", queued_at=at(t), called_at=later, occurred_at=later))  # fmt: skip
                note = ev.SealedNote(key_id="k1", nonce="bm9uY2U=", ciphertext="c2VhbGVk")
                out.append(ev.CaseClosed(case_id=case, region=region, reason="completed", by="n1",
                                         outcome="advice", note=note, occurred_at=later))  # fmt: skip
            case 1:
                out.append(ev.CaseCancelled(case_id=case, region=region, reason=ev.WITHDRAWN_BY_PATIENT,
                                            by="patient:x", occurred_at=later))  # fmt: skip
            case 2:
                out.append(ev.CaseReprioritised(case_id=case, region=region, from_urgency=3, to_urgency=2,
                                                reason="worse", by="n1", occurred_at=later))  # fmt: skip
            case 3:
                to = next(r for r in REGIONS if r != region)
                out.append(ev.CaseTransferred(case_id=case, region=region, to_region=to, urgency=3,
                                              queued_at=at(t), reason="lives there", by="lead",
                                              person_pseudonym=person, occurred_at=later))  # fmt: skip
                out.append(ev.CaseQueued(case_id=case, region=to, urgency=3, queued_at=at(t), sequence=i,
                                         person_pseudonym=person, occurred_at=at(t + 0.6)))  # fmt: skip
            case 4:
                out.append(
                    ev.CaseNoShow(case_id=case, region=region, attempt=1, requeued=True, occurred_at=later)
                )
        if i % 13 == 0:
            out.append(ev.TriageResult(submission_id=f"kafka-{i}", status="refer", advice="Ring 1177",
                                       reason="emergency", occurred_at=at(t)))  # fmt: skip
        if i % 17 == 3:
            out.append(ev.OpeningHoursChanged(region="SE-I", days=CLOSED_WEEK, version=i, by="lead",
                                              occurred_at=at(t)))  # fmt: skip
        if i % 9 == 8:
            out.append(forecast(at(t), (case, 600.0 + i, 900.0 + i, 1200.0 + i), region=region))
    return out


def fold(events: list[ev.Message], index: SubmissionIndex, view: QueueView) -> None:
    for e in events:
        entry = remembered_from(e)
        if entry is not None:
            index.remember(*entry, at=e.occurred_at.timestamp())
        if not isinstance(e, ev.TriageResult):
            view.apply(e)


def model(events: list[ev.Message]) -> tuple[SubmissionIndex, QueueView]:
    index, view = SubmissionIndex(), QueueView()
    fold(events, index, view)
    return index, view


@pytest.mark.parametrize("cut", [0, 1, 37, 150, 299])
def test_a_start_from_a_snapshot_then_the_rest_of_the_log_equals_the_fold_of_the_whole_log(cut: int) -> None:
    log = history(160)
    cut = min(cut, len(log))
    whole_index, whole_view = model(log)
    first_index, first_view = model(log[:cut])
    index, view = SubmissionIndex(), QueueView()
    decode_view(encode_view(first_index, first_view, chunk_bytes=700), index, view)
    fold(log[cut:], index, view)
    assert encode_view(index, view) == encode_view(whole_index, whole_view)  # every field, in order
    for case_id in (f"case-{i}" for i in range(160)):
        assert view.case(case_id) == whole_view.case(case_id)
        assert view.position(case_id) == whole_view.position(case_id)
        assert view.patients.facts(case_id) == whole_view.patients.facts(case_id)
    for region in REGIONS:
        assert view.waiting_in(region) == whole_view.waiting_in(region)
        assert view.hours_of(region, _no_file_hours()) == whole_view.hours_of(region, _no_file_hours())
    assert view.patients.case_ids_of("p-3") == whole_view.patients.case_ids_of("p-3")
    assert view.regions_to_withdraw() == whole_view.regions_to_withdraw()
    assert view.forecasts.moved_cases() == whole_view.forecasts.moved_cases()
    assert index.outcome("sub-42") == whole_index.outcome("sub-42") is not None
    assert index.outcome("kafka-13") == whole_index.outcome("kafka-13") is not None


def test_an_event_read_again_after_the_snapshot_is_not_folded_twice() -> None:
    log = history(40)
    index, view = SubmissionIndex(), QueueView()
    decode_view(encode_view(*model(log)), index, view)
    for e in log:
        assert view.apply(e) is False  # at-least-once: a record rewritten after the covered offset


def test_provisional_decisions_are_not_in_a_snapshot() -> None:
    index, view = SubmissionIndex(), QueueView()
    index.remember("logged", Remembered("queued", "c1", "SE-C", 3))
    index.remember("mine", Remembered("queued", "c2", "SE-C", 3), provisional=True)
    loaded = SubmissionIndex()
    decode_view(encode_view(index, view), loaded, QueueView())
    assert loaded.outcome("logged") == index.outcome("logged") and loaded.outcome("mine") is None


def test_a_missing_or_corrupt_chunk_is_refused_with_a_reason() -> None:
    chunks = encode_view(*model(history(60)), chunk_bytes=500)
    assert len(chunks) > 2
    with pytest.raises(ValueError, match="does not decode"):
        decode_view(chunks[:1] + chunks[2:], SubmissionIndex(), QueueView())
    with pytest.raises(ValueError, match="does not decode"):
        decode_view([b"\x00garbage"], SubmissionIndex(), QueueView())


def test_advice_texts_are_written_once_however_many_cases_carry_them() -> None:
    small = sum(map(len, encode_view(*model(history(50)))))
    long_advice = [
        e if not isinstance(e, ev.CaseTriaged) else _with_advice(e, e.advice + " " + "x" * 2000)
        for e in history(50)
    ]
    assert sum(map(len, encode_view(*model(long_advice)))) < small + 3 * 2100  # three distinct texts


def _with_advice(e: ev.CaseTriaged, advice: str) -> ev.CaseTriaged:
    import msgspec

    return msgspec.structs.replace(e, advice=advice)


def _no_file_hours():  # type: ignore[no-untyped-def]
    from services.opening_hours.hours_file import load_hours_from_env

    return load_hours_from_env({})


def test_a_rebuild_forgets_old_finished_cases_only_once_caught_up_so_a_late_triage_event_brings_none_back() -> (
    None
):
    """The topics are read side by side: a case's CaseTriaged may be read after its CaseClosed."""
    import asyncio
    from types import SimpleNamespace

    from proto import codec, topics
    from services.intake.triage_log import TriageLog
    from services.kafka.settings import KafkaSettings

    month_ago = dt.datetime.now(dt.UTC) - dt.timedelta(days=30)
    tri = ev.CaseTriaged(case_id="old", region="SE-C", urgency=3, symptom="fever", person_pseudonym="p",
                         triaged_at=month_ago, submission_id="s-old", occurred_at=month_ago)  # fmt: skip
    queue = [
        ev.CaseQueued(
            case_id="old",
            region="SE-C",
            urgency=3,
            queued_at=month_ago,
            sequence=1,
            person_pseudonym="p",
            occurred_at=month_ago,
        ),  # fmt: skip
        ev.CaseClosed(case_id="old", region="SE-C", reason="completed", occurred_at=month_ago),
    ]

    def record(topic: str, e: ev.Message, offset: int) -> tuple[str, object]:
        value = codec.encode_for(topic, e)
        return topic, SimpleNamespace(value=value, partition=0, offset=offset, headers=(), timestamp=None)

    tail = TriageLog(KafkaSettings("127.0.0.1:1"), SubmissionIndex(), QueueView())
    q = topics.QUEUE_EVENTS.name
    asyncio.run(tail._on_batch([record(q, queue[0], 0), record(q, queue[1], 1)]))
    asyncio.run(tail._on_batch([record(topics.TRIAGE_EVENTS.name, tri, 0)]))  # read later
    assert tail.view.case("old").status == "closed"  # type: ignore[union-attr]
    tail.ready.set()
    asyncio.run(tail._on_ready())
    assert tail.view.case("old") is None and tail.view.person_waiting("p") is None
    assert tail.covers == {"queue.events:0": 2, "triage.events:0": 1}
    assert tail.index.outcome("s-old") is None  # a month old: past the retry window
