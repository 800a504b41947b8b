"""Snapshots of a partition's state: encode into chunks, decode into a ``Recovery`` to fold on from. Pure.

A snapshot is taken at a batch boundary, after the batch's outputs were acknowledged, so
nothing before the offset it covers has unsent outputs and recovery only re-sends what the
tail after it calls for. It holds, per region of the partition: the case records (the
waiting order and the depth counters are derived from them), the duplicate-person guard,
the recorded answers in their eviction order, the recent call times, next_sequence and a
team lead's opening hours (the latest OpeningHoursChanged: the log before the snapshot may
be gone by retention);
and for the partition: the resume positions and the queue.events offset it covers.

The encoded bytes are cut into chunks of at most ``CHUNK_BYTES`` (a broker's default
message limit is 1 MB); a manifest (``proto.events.QueueSnapshotManifest``) written after every chunk is
acknowledged names them. A manifest whose chunks are not all there is not a snapshot.
"""

from __future__ import annotations

from collections import OrderedDict, deque

import msgspec

from proto import events as ev
from services.queue.domain.case_record import CaseRecord
from services.queue.domain.recovery import Recovery
from services.queue.domain.region_queue import RegionQueue
from services.queue.domain.state import QueuePolicy, QueueState, RegionState

CHUNK_BYTES = 512 * 1024


class _Region(msgspec.Struct, array_like=True):
    region: str
    cases: list[CaseRecord]
    # each answer a msgpack list of queue events: embedded as the state keeps it (Raw), so the
    # bytes are those of a list[ev.QUEUE_EVENT], as snapshots always held
    answers: list[tuple[str, msgspec.Raw]]
    calls: list[float]
    next_sequence: int
    # kept as is, not derived: when a no-show requeues a case while the same person has
    # another waiting case, the guard names whichever was queued last (evolve's order)
    waiting_person: dict[str, str]
    hours: ev.OpeningHoursChanged | None = None  # a team lead's hours (issue 14); last: old snapshots decode
    expired_through: float = 0.0  # issue 24: the late-duplicate guard of expired records (state.py)
    # called cases whose your-turn SMS finally failed -> since when (staff phone them); snapshots
    # before this field lost the list on a restart from a snapshot
    not_reached: dict[str, float] = {}


class _Body(msgspec.Struct, array_like=True):
    partition: int
    covers: int  # the queue.events offset after the last record this state folded
    positions: dict[str, int]
    regions: list[_Region]


_encoder = msgspec.msgpack.Encoder()
_decoder = msgspec.msgpack.Decoder(_Body)


def encode_snapshot(
    state: QueueState,
    regions: list[str],
    partition: int,
    covers: int,
    positions: dict[str, int],
    chunk_bytes: int = CHUNK_BYTES,
) -> list[bytes]:
    """The regions' state as chunks of at most ``chunk_bytes`` (in order; join them to decode)."""
    return cut_chunks(snapshot_bytes(state, regions, partition, covers, positions), chunk_bytes)


def cut_chunks(blob: bytes, chunk_bytes: int = CHUNK_BYTES) -> list[bytes]:
    """``blob`` cut into chunks of at most ``chunk_bytes`` (one empty chunk for no bytes)."""
    return [blob[i : i + chunk_bytes] for i in range(0, len(blob), chunk_bytes)] or [b""]


def snapshot_bytes(
    state: QueueState, regions: list[str], partition: int, covers: int, positions: dict[str, int]
) -> bytes:
    """The regions' state as one snapshot, not yet cut into chunks."""
    body = _Body(
        partition,
        covers,
        dict(positions),
        [
            _Region(
                rs.region,
                list(rs.cases.values()),
                [(k, msgspec.Raw(v)) for k, v in rs.answers.items()],
                list(rs.calls),
                rs.next_sequence,
                dict(rs.waiting_person),
                rs.hours_changed,
                rs.expired_through,
                dict(rs.not_reached),
            )
            for rs in (state.regions[r] for r in sorted(regions))
        ],
    )
    return _encoder.encode(body)


def decode_snapshot(chunks: list[bytes], policy: QueuePolicy) -> Recovery:
    """A Recovery that starts at the snapshot: state, positions and ``next_offset`` = what it covers.

    ValueError if the chunks do not form one snapshot (missing or corrupt chunk).
    """
    try:
        body = _decoder.decode(b"".join(chunks))
    except msgspec.DecodeError as exc:
        raise ValueError(f"snapshot chunks do not decode ({exc}); recover from the full log instead") from exc
    state = QueueState(policy=policy)
    for r in body.regions:
        rs = RegionState(
            r.region, RegionQueue(r.region), next_sequence=r.next_sequence, expired_through=r.expired_through
        )
        # comprehensions, not a loop of statements: at 1M cases each pass is ~0.1-0.5 s
        rs.cases = {rec.case_id: rec for rec in r.cases}
        rs.queue.bulk_load(  # one sort, not n inserts
            [
                (c.case_id, c.urgency, c.queued_at, c.sequence, c.front)
                for c in r.cases
                if c.status == "waiting"
            ]
        )
        rs.waiting_person = r.waiting_person  # decoded into a dict of its own: no copy
        rs.answers = OrderedDict((k, bytes(v)) for k, v in r.answers)  # copies: not views of the blob
        rs.calls = deque(r.calls)
        rs.not_reached = r.not_reached  # decoded into a dict of its own: no copy
        if r.hours is not None:
            rs.change_hours(r.hours)
        state.regions[r.region] = rs
    return Recovery(state, positions=dict(body.positions), next_offset=body.covers)
