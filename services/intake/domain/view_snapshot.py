"""Snapshots of intake's read model (submission index + queue view): encode into chunks, decode. Pure.

One snapshot holds what a fold of triage.events, triage.results, queue.events and
queue.forecasts up to some offsets left in memory: the remembered submissions read from the
log (not this process's provisional ones: the log may never show them), every case the view
keeps (live, and finished within the retention) with its patient facts, the person guard, the
second cases to withdraw, a team lead's hours (the OpeningHoursChanged, decided again on
decode), the recent call times, the event ids seen (the dedupe of at-least-once records after
the offsets), and the forecasts. The waiting order per region is derived (one sort).

No personal data: pseudonyms, case ids, symptom and rule codes, rules texts, keyed request
digests and the clinicians' notes still sealed, exactly what the topics folded carry.

It reads the folds' private fields on purpose: the format lives here, beside them, in one
module, rather than as an export method on each of four classes. Advice texts (a few hundred
distinct strings, each repeated on thousands of entries) are written once in a table.
"""

from __future__ import annotations

import datetime as dt
import gc
from collections import deque

import msgspec
from sortedcontainers import SortedList

from proto import events as ev
from services.intake.domain.case_status import CaseStatus
from services.intake.domain.patient_cases import CaseFacts
from services.intake.domain.queue_view import QueueView, _Region
from services.intake.domain.submission_index import Remembered, SubmissionIndex
from services.intake.domain.wait_forecasts import _Call

FORMAT = 1
CHUNK_BYTES = 512 * 1024  # a broker's default message limit is 1 MB

_Entry = tuple[str, float, str, str | None, str, int | None, str, str, int, str, str]
_Case = tuple[str, str, str, int, str, dt.datetime | None, int, bool, str, str]
_Facts = tuple[
    str, str, dt.datetime | None, str, str, int, str, str, ev.SealedNote | None,
    dt.datetime | None, dt.datetime | None, str, list[str], int, bool,
]  # fmt: skip
_CallT = tuple[float, float, float, float]


class _Forecasts(msgspec.Struct, array_like=True):
    as_of: dict[str, float]
    calls: dict[str, _CallT]
    first: dict[str, _CallT]
    region_cases: dict[str, list[str]]
    moved: dict[str, str]


class _Body(msgspec.Struct, array_like=True):
    format: int
    texts: list[str]  # advice texts, referred to by index
    index: list[_Entry]
    cases: list[_Case]
    finished: list[tuple[str, float]]
    as_of: dict[str, dt.datetime]
    person: dict[str, str]
    withdraw: dict[str, str]
    hours: list[ev.OpeningHoursChanged]
    calls: dict[str, list[float]]
    seen: list[tuple[str, float]]
    skipped: int
    facts: list[_Facts]
    by_person: dict[str, list[str]]
    forecasts: _Forecasts


_encoder = msgspec.msgpack.Encoder()
_decoder = msgspec.msgpack.Decoder(_Body)


class _Texts:
    def __init__(self) -> None:
        self.table: list[str] = [""]
        self._ids: dict[str, int] = {"": 0}

    def id(self, text: str) -> int:
        found = self._ids.get(text)
        if found is None:
            found = self._ids[text] = len(self.table)
            self.table.append(text)
        return found


def encode_view(index: SubmissionIndex, view: QueueView, chunk_bytes: int = CHUNK_BYTES) -> list[bytes]:
    """The read model as chunks of at most ``chunk_bytes`` (in order; join them to decode)."""
    blob = view_bytes(index, view)
    return [blob[i : i + chunk_bytes] for i in range(0, len(blob), chunk_bytes)] or [b""]


def view_bytes(index: SubmissionIndex, view: QueueView) -> bytes:
    """The read model as one encoded snapshot (what a forked encoder sends back whole)."""
    paused = gc.isenabled()
    gc.disable()  # the rows below are many short-lived tuples, none cyclic: no collection walks the model
    try:
        return _view_bytes(index, view)
    finally:
        if paused:
            gc.enable()


def _view_bytes(index: SubmissionIndex, view: QueueView) -> bytes:
    texts = _Texts()
    p, f = view.patients, view.forecasts
    body = _Body(
        FORMAT,
        texts.table,
        [
            (
                sid,
                at,
                r.status,
                r.case_id,
                r.region,
                r.urgency,
                r.rule_id,
                r.reason,
                texts.id(r.advice),
                r.language,
                r.digest,
            )
            for sid, at, r in index.logged()
        ],  # fmt: skip
        [
            (
                c.case_id,
                c.region,
                c.status,
                c.urgency,
                c.pseudonym,
                c.queued_at,
                c.sequence,
                c.front,
                c.duplicate_of,
                c.outcome,
            )
            for c in view._cases.values()
        ],  # fmt: skip
        list(view._finished.items()),
        view._as_of,
        view._person,
        view._withdraw,
        list(view._hours_changed.values()),
        {name: list(r.calls) for name, r in view._regions.items()},
        list(view._seen.items()),
        view.skipped,
        [
            (
                x.case_id,
                x.pseudonym,
                x.since,
                x.symptom,
                x.rule_id,
                texts.id(x.advice),
                x.language,
                x.completion,
                x.note,
                x.called_at,
                x.finished_at,
                x.cancel_reason,
                list(x.transferred_from),
                x.no_shows,
                x.accepted_long_wait,
            )
            for x in p._facts.values()
        ],  # fmt: skip
        p._by_person,
        _Forecasts(
            f._as_of,
            {k: (c.as_of, c.p10, c.p50, c.p90) for k, c in f._calls.items()},
            {k: (c.as_of, c.p10, c.p50, c.p90) for k, c in f._first.items()},
            {k: sorted(v) for k, v in f._region_cases.items()},
            f._moved,
        ),
    )
    return _encoder.encode(body)


def decode_view(chunks: list[bytes], index: SubmissionIndex, view: QueueView) -> None:
    """Fill a new, empty ``index`` and ``view`` (built with the settings) from a snapshot.

    ValueError if the chunks do not form one snapshot of this format (missing or corrupt chunk).
    """
    paused = gc.isenabled()
    gc.disable()  # hundreds of thousands of new objects, none garbage: no collection walks them
    try:
        _decode_view(chunks, index, view)
    finally:
        if paused:
            gc.enable()


def _decode_view(chunks: list[bytes], index: SubmissionIndex, view: QueueView) -> None:
    try:
        body = _decoder.decode(b"".join(chunks))
    except (msgspec.DecodeError, ValueError) as exc:  # ValueError: bytes cut inside a string
        raise ValueError(f"intake snapshot does not decode ({exc})") from exc
    if body.format != FORMAT:
        raise ValueError(f"intake snapshot format {body.format}, this build reads {FORMAT}")
    t = body.texts
    index.restore(
        (sid, at, Remembered(st, case, reg, urg, rule, reason, t[adv], lang, dig))
        for sid, at, st, case, reg, urg, rule, reason, adv, lang, dig in body.index
    )
    waiting: dict[str, list[tuple[int, int, float, int, str]]] = {}
    for row in body.cases:
        c = CaseStatus(*row)  # type: ignore[arg-type]  # the status was a Status when encoded
        view._cases[c.case_id] = c
        if c.status == "waiting":
            waiting.setdefault(c.region, []).append(c.order())
    for name in body.calls:  # every region the view knows, in its order
        view._regions[name] = _Region(
            SortedList(waiting.get(name, ())), deque(body.calls.get(name, ()), 4096)
        )
    for case_id, finished_at in body.finished:
        view._finished[case_id] = finished_at
        view._expiry.add(case_id, finished_at)
    view._as_of.update(body.as_of)
    view._person.update(body.person)
    view._withdraw.update(body.withdraw)
    for changed in body.hours:
        view._evolve(changed)  # decided again from the event, as the fold did
    for event_id, seen_at in body.seen:
        view._seen[event_id] = seen_at
        view._seen_expiry.add(event_id, seen_at)
    view.skipped = body.skipped
    p = view.patients
    for x in body.facts:
        p._facts[x[0]] = CaseFacts(
            x[0], x[1], x[2], x[3], x[4], t[x[5]], x[6], x[7], x[8], x[9], x[10], x[11], tuple(x[12]),
            x[13], x[14],
        )  # fmt: skip
    p._by_person.update(body.by_person)
    fc, f = body.forecasts, view.forecasts
    f._as_of.update(fc.as_of)
    f._calls.update({k: _Call(*v) for k, v in fc.calls.items()})
    f._first.update({k: _Call(*v) for k, v in fc.first.items()})
    f._region_cases.update({k: set(v) for k, v in fc.region_cases.items()})
    f._moved.update(fc.moved)
