"""Rebuilding region states from durable per-case records and recorded answers (recovery).

The durable form is one entry per case (``CaseRecord``) and one per recent command answer;
never a region's whole queue as one value. Rebuilding sorts each region's waiting cases
once (``RegionQueue.bulk_load``) instead of pushing them one by one.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import msgspec

from proto import events as ev
from services.queue.domain.state import CaseRecord, QueueState, RegionState

ANSWER = ev.QUEUE_EVENT | ev.PATIENT_NOTICE | ev.TransferIn
_record_encoder = msgspec.json.Encoder()
_record_decoder = msgspec.json.Decoder(CaseRecord)
_answer_decoder = msgspec.json.Decoder(list[ANSWER])


def encode_record(record: CaseRecord) -> bytes:
    """A case record as its durable table value (a compact JSON array)."""
    return _record_encoder.encode(record)


def decode_record(value: bytes) -> CaseRecord:
    return _record_decoder.decode(value)


class Journal(msgspec.Struct, array_like=True):
    """The complete outcome of the last input of a region, as ONE table value.

    Writing an input's outcome takes several table records (one per changed case, the
    answer, the input offset); a crash can land some and not others. The journal is
    written first, in one record, so the last outcome is always whole: recovery applies it
    over the per-case entries and re-sends its answer. Its size is one input's changes,
    never the region's queue.
    """

    region: str
    topic: str
    partition: int
    next_offset: int
    answer_key: str | None
    answer: list[ANSWER]
    records: list[CaseRecord]


_journal_decoder = msgspec.json.Decoder(Journal)


def encode_journal(journal: Journal) -> bytes:
    return _record_encoder.encode(journal)


def decode_journal(value: bytes) -> Journal:
    return _journal_decoder.decode(value)


def encode_answer(events: tuple[ev.Message, ...]) -> bytes:
    """A command's answer (the events it produced) as a durable table value."""
    return _record_encoder.encode(list(events))


def decode_answer(value: bytes) -> tuple[ev.Message, ...]:
    return tuple(_answer_decoder.decode(value))


@dataclass(frozen=True)
class Recovered:
    """What a rebuild found, for logs and the recovery benchmark."""

    regions: int
    cases: int
    waiting: int
    answers: int


def rebuild(state: QueueState, regions: set[str], records: Iterable[CaseRecord],
            answers: Iterable[tuple[str, str, tuple[ev.Message, ...]]], now: float) -> Recovered:
    """Replace the state of ``regions`` with what the durable entries say.

    ``answers`` are (region, request_id, events) in the order they were recorded.
    Regions not in ``regions`` are dropped from ``state`` (this worker no longer owns them).
    """
    state.regions = {r: rs for r, rs in state.regions.items() if r in regions}
    fresh: dict[str, RegionState] = {}
    for region in regions:
        state.regions.pop(region, None)
        fresh[region] = state.region(region)
    waiting: dict[str, list[tuple[str, int, float, int, bool]]] = {r: [] for r in fresh}
    called: dict[str, list[float]] = {r: [] for r in fresh}
    n_cases = n_answers = 0
    for rec in records:
        rs = fresh.get(rec.region)
        if rs is None:
            continue
        n_cases += 1
        rs.cases[rec.case_id] = rec
        rs.next_sequence = max(rs.next_sequence, rec.sequence + 1)
        if rec.status == "waiting":
            waiting[rec.region].append((rec.case_id, rec.urgency, rec.queued_at, rec.sequence, rec.front))
            if rec.person_pseudonym:
                rs.waiting_person[rec.person_pseudonym] = rec.case_id
        if rec.called_at is not None and rec.called_at >= now - state.policy.rate_window_s:
            called[rec.region].append(rec.called_at)
    for region, rs in fresh.items():
        rs.queue.bulk_load(waiting[region])
        rs.calls.extend(sorted(called[region]))
    for region, request_id, events in answers:
        rs = fresh.get(region)
        if rs is not None:
            rs.answers[request_id] = events
            n_answers += 1
    for rs in fresh.values():
        rs.touched.clear()
        rs.new_answers.clear()
        rs.evicted_answers.clear()
    return Recovered(len(fresh), n_cases, sum(len(w) for w in waiting.values()), n_answers)
