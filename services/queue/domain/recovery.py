"""``recover``: a partition's state, resume positions and unsent outputs from its own log. Pure.

``queue.events`` partition p is the queue's state for the regions of p. Recovery folds
only committed batches: event records followed by a ``BatchCommitted`` marker with the
same batch id and the right count. Records after the last marker are the orphan prefix
of a batch that crashed before its marker: they are NOT folded, but other consumers may
have read them, so their inputs are returned in recorded order (``replay_first``) and the
worker decides exactly those inputs first, from the same state, and so writes the same
decisions again (same ids, same called case). On the next recovery the orphans are
skipped again: their batch id differs from the committed batch that follows them.

Only the last committed batch of a partition can have unsent side effects (the worker
sends a batch's outputs before it starts the next batch), so ``resend`` is
``outputs_for`` of that batch; consumers dedupe on event ids.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import msgspec

from proto import events as ev
from services.queue.domain.batch import InputPosition
from services.queue.domain.outputs import Outputs, outputs_for
from services.queue.domain.process import apply_recorded
from services.queue.domain.state import QueuePolicy, QueueState

_NOT_DECISIONS = (ev.BatchCommitted, ev.PartitionFenced)  # markers and fences decide nothing


class LoggedRecord(msgspec.Struct, frozen=True):
    """One record of queue.events as recovery sees it (decoded value and the queue's headers).

    A frozen Struct: recovery builds one per record of the tail (0.1 µs against 1.1 µs for a
    frozen dataclass's ``__init__``).
    """

    offset: int
    event: ev.Message
    input: InputPosition | None = None  # header triage-input
    answer_key: str | None = None  # header triage-answer
    batch_id: str | None = None  # header triage-batch
    writer: str | None = None  # header triage-writer: the worker process that wrote it


@dataclass
class Recovery:
    """Where a partition stands after folding its log."""

    state: QueueState
    positions: dict[str, int] = field(default_factory=dict)  # next input offset per contract topic
    replay_first: list[InputPosition] = field(default_factory=list)
    resend: Outputs = field(default_factory=Outputs)
    next_offset: int = 0  # the queue.events offset after the last record read
    batches: int = 0
    orphans: int = 0
    torn: int = 0  # markers whose events are not all on the log (not committed)
    duplicates: int = 0  # markers of a batch seen before (a retried produce request)
    late: int = 0  # records a previous owner's requests left after the next owner took over
    owner: str | None = None  # the writer that owned the partition at ``next_offset`` (a snapshot's writer)
    snapshot_covers: int | None = None  # recovery started from a snapshot covering the log up to here


def recover(records: Iterable[LoggedRecord], policy: QueuePolicy, start: Recovery | None = None) -> Recovery:
    """Fold ``records`` (one partition of queue.events, in offset order) into a Recovery.

    ``start`` continues from an earlier recovery (a snapshot taken at a batch boundary);
    records below its ``next_offset`` are skipped.
    """
    rec = start or Recovery(QueueState(policy=policy))
    records, voided = _without_late_writes(list(records), rec)
    pending: list[LoggedRecord] = []
    last_marker = -1
    last: list[ev.Message] = []
    committed_any = False
    committed: set[str] = set()
    for record in records:
        if record.offset < rec.next_offset:
            continue
        rec.next_offset = record.offset + 1
        if isinstance(record.event, ev.PartitionFenced):
            continue
        if not isinstance(record.event, ev.BatchCommitted):
            pending.append(record)
            continue
        marker = record.event
        if marker.batch_id in committed:
            rec.duplicates += 1  # a produce request the client retried landed twice: already folded
            pending = [p for p in pending if p.batch_id != marker.batch_id]
            continue
        mine = _distinct([p for p in pending if p.batch_id == marker.batch_id])
        if len(mine) != marker.events:
            # A send of the batch failed while its marker got through (the producer gave up
            # on one request and sent the next): the batch is NOT committed and the worker
            # sent none of its outputs; its records are orphans like a crashed batch's.
            rec.torn += 1
            continue
        _fold(rec.state, mine)
        for topic, offset in marker.positions.items():
            rec.positions[topic] = max(rec.positions.get(topic, 0), offset)
        last = [p.event for p in mine]
        committed.add(marker.batch_id)
        committed_any = True
        last_marker = record.offset
        rec.batches += 1
        pending = []
    if committed_any:
        rec.resend = outputs_for(last)
    # Orphans: the records after the last committed batch, voided late writes included. A late
    # write is void for the fold, but readers of queue.events (staff's serve-next answer,
    # intake) may have read it, e.g. a CaseCalled: its input is decided first, the same way.
    late = [v for v in voided if v.offset > last_marker and not isinstance(v.event, _NOT_DECISIONS)]
    orphans = sorted(pending + late, key=lambda r: r.offset)
    rec.orphans = len(orphans)
    rec.replay_first = replay_inputs(orphans, rec.positions)
    return rec


def replay_inputs(
    orphans: Iterable[LoggedRecord], positions: Mapping[str, int], already: Sequence[InputPosition] = ()
) -> list[InputPosition]:
    """The inputs of ``orphans`` (in their order) to decide first, each once, after ``already``.

    Markers and fences decide nothing; an input below ``positions`` was committed (the record is
    a late copy of a committed batch's), so it is not decided again.
    """
    seen = set(already)
    out: list[InputPosition] = []
    for r in orphans:
        if isinstance(r.event, _NOT_DECISIONS) or r.input is None:
            continue
        if r.input in seen or r.input.offset < positions.get(r.input.topic, 0):
            continue
        seen.add(r.input)
        out.append(r.input)
    return out


def _without_late_writes(
    records: list[LoggedRecord], rec: Recovery
) -> tuple[list[LoggedRecord], list[LoggedRecord]]:
    """Set aside what a dead owner's in-flight requests wrote after the next owner read the log.

    Returns (the records to fold, the voided ones).

    A ``PartitionFenced`` at offset F with ``recovered_to`` X voids the records in [X, F) (the
    new owner did not see them; a fence among them is void too, so fences are weighed from the
    last one back) and, after F, every record another writer wrote.
    """
    fences = [r for r in records if isinstance(r.event, ev.PartitionFenced)]
    if not fences and rec.owner is None:
        return records, []
    void: set[int] = set()
    valid: set[int] = set()
    for f in reversed(fences):
        if f.offset in void:
            continue
        assert isinstance(f.event, ev.PartitionFenced)
        valid.add(f.offset)
        void.update(range(f.event.recovered_to, f.offset))
    owner = rec.owner  # a snapshot's writer owned the partition where it ends
    out, dropped = [], []
    for r in records:
        if r.offset in valid:
            owner = r.event.writer  # type: ignore[attr-defined]
            out.append(r)
        elif (
            r.offset in void
            or isinstance(r.event, ev.PartitionFenced)
            or (owner is not None and r.writer is not None and r.writer != owner)
        ):
            rec.late += 1
            dropped.append(r)
        else:
            out.append(r)
    return out, dropped


def _distinct(records: list[LoggedRecord]) -> list[LoggedRecord]:
    """A batch's records without copies a retried produce request left (same event id)."""
    seen: set[str] = set()
    out = []
    for r in records:
        if r.event.event_id not in seen:
            seen.add(r.event.event_id)
            out.append(r)
    return out


def _fold(state: QueueState, entries: list[LoggedRecord]) -> None:
    """Apply one committed batch, one input's events at a time (as ``handle`` did live)."""
    i = 0
    while i < len(entries):
        j = i + 1
        while j < len(entries) and entries[j].input == entries[i].input:
            j += 1
        apply_recorded(state, entries[i].answer_key, tuple(e.event for e in entries[i:j]))
        i = j
