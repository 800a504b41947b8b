"""Who writes intake's snapshot: about one replica per interval, none while nothing changed; and how it
is encoded (in a forked child by default)."""

from __future__ import annotations

import asyncio
import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from proto import events as ev
from services.intake.domain.queue_view import QueueView
from services.intake.domain.submission_index import SubmissionIndex
from services.intake.domain.view_snapshot import decode_view, encode_view
from services.intake.view_snapshots import ViewSnapshots
from services.kafka.settings import KafkaSettings
from tests.support.registry import sample
from tests.unit.intake.test_view_snapshot import history, model


@dataclass
class FakeTopic:
    """The two calls ViewSnapshots makes on the topic (the real one: tests/e2e/test_intake_snapshot.py)."""

    last: ev.IntakeSnapshotManifest | None = None
    written: list[ev.Message] = field(default_factory=list)

    async def last_manifest(self, decoder: Any) -> ev.IntakeSnapshotManifest | None:
        return self.last

    async def write(self, snapshot_id: str, chunks: list[bytes], manifest: Any, fields: Any) -> None:
        self.written.append(
            manifest(snapshot_id=snapshot_id, chunks=len(chunks), first_chunk_offset=0, **fields)
        )


def manifest(writer: str, age_s: float, covers: dict[str, int]) -> ev.IntakeSnapshotManifest:
    return ev.IntakeSnapshotManifest(
        snapshot_id="s",
        covers=covers,
        chunks=1,
        writer=writer,
        first_chunk_offset=0,
        taken_at=dt.datetime.now(dt.UTC) - dt.timedelta(seconds=age_s),
    )


def turn(last: ev.IntakeSnapshotManifest | None, covers: dict[str, int]) -> list[ev.Message]:
    async def go() -> list[ev.Message]:
        snaps = ViewSnapshots(KafkaSettings("127.0.0.1:1"), None, every_s=60, writer="me")  # type: ignore[arg-type]
        topic = snaps.topic = FakeTopic(last)  # type: ignore[assignment]
        snaps._next = 0  # due now
        await snaps.maybe_take(SubmissionIndex(), QueueView(), covers)
        if snaps._writing is not None:
            await snaps._writing
        return topic.written  # type: ignore[attr-defined,no-any-return]

    return asyncio.run(go())


def test_a_replica_skips_its_turn_when_another_wrote_a_snapshot_lately() -> None:
    assert turn(manifest("other", 10, {"queue.events:0": 5}), {"queue.events:0": 9}) == []


def test_a_replica_writes_when_the_last_snapshot_is_old_or_there_is_none() -> None:
    [written] = turn(manifest("other", 100, {"queue.events:0": 5}), {"queue.events:0": 9})
    assert isinstance(written, ev.IntakeSnapshotManifest)
    assert written.writer == "me" and written.covers == {"queue.events:0": 9}
    assert len(turn(None, {"queue.events:0": 1})) == 1


def test_no_snapshot_is_written_when_nothing_was_read_since_the_last() -> None:
    assert turn(manifest("me", 1000, {"queue.events:0": 9}), {"queue.events:0": 9}) == []


def test_a_snapshot_encoded_in_a_forked_child_is_the_one_encoded_on_the_loop_as_the_model_was_at_the_fork() -> (
    None
):
    """A real fork (services/snapshot_encoder.py): the child encodes the model as it was when the
    turn was taken, even though the loop goes on changing it while the child runs."""
    index, view = model(history(300))
    inline = encode_view(index, view, chunk_bytes=4096)

    async def go() -> list[bytes]:
        snaps = ViewSnapshots(KafkaSettings("127.0.0.1:1"), None, every_s=60, writer="me", fork=True)  # type: ignore[arg-type]
        assert snaps.fork
        written: list[list[bytes]] = []

        async def write(snapshot_id: str, chunks: list[bytes], manifest: Any, fields: Any) -> None:
            written.append(chunks)

        snaps.topic = FakeTopic()  # type: ignore[assignment]
        snaps.topic.write = write  # type: ignore[method-assign]
        snaps._next = 0
        await snaps.maybe_take(index, view, {"queue.events:0": 1})
        view._cases.clear()  # the loop changes the model while the child encodes
        assert snaps._writing is not None
        await snaps._writing
        [chunks] = written
        return chunks

    forked = asyncio.run(go())
    assert b"".join(forked) == b"".join(inline) and len(inline) > 1
    again_index, again_view = SubmissionIndex(), QueueView()
    decode_view(forked, again_index, again_view)
    assert len(again_view._cases) > 0 and len(again_index) == len(index)


def test_the_metrics_count_written_and_failed_turns_and_tell_when_the_newest_snapshot_was_taken() -> None:
    written, failed = (
        sample("triage_intake_snapshots_total", outcome="written"),
        sample("triage_intake_snapshots_total", outcome="failed"),
    )
    pauses = sample("triage_intake_snapshot_pause_seconds_count")
    other = manifest("other", 10, {"queue.events:0": 5})

    assert turn(other, {"queue.events:0": 9}) == []  # skipped: another replica wrote lately
    assert sample("triage_intake_snapshots_total", outcome="written") == written  # a skip is no outcome
    assert sample("triage_intake_snapshot_newest_timestamp_seconds") == other.taken_at.timestamp()

    before = dt.datetime.now(dt.UTC).timestamp()
    assert len(turn(None, {"queue.events:0": 1})) == 1
    assert sample("triage_intake_snapshots_total", outcome="written") == written + 1
    assert sample("triage_intake_snapshot_newest_timestamp_seconds") >= before
    assert sample("triage_intake_snapshot_pause_seconds_count") == pauses + 1

    class Unreadable(FakeTopic):
        async def last_manifest(self, decoder: Any) -> ev.IntakeSnapshotManifest | None:
            raise OSError("intake.snapshots: broker unreachable")

    class Unwritable(FakeTopic):
        async def write(self, snapshot_id: str, chunks: list[bytes], manifest: Any, fields: Any) -> None:
            raise OSError("intake.snapshots: not writable")

    for topic in (Unreadable(), Unwritable()):

        async def go(topic: FakeTopic = topic) -> None:
            snaps = ViewSnapshots(KafkaSettings("127.0.0.1:1"), None, every_s=60, writer="me")  # type: ignore[arg-type]
            snaps.topic = topic  # type: ignore[assignment]
            snaps._next = 0
            await snaps.maybe_take(SubmissionIndex(), QueueView(), {"queue.events:0": 3})
            if snaps._writing is not None:
                await snaps._writing

        asyncio.run(go())
    assert sample("triage_intake_snapshots_total", outcome="failed") == failed + 2
    assert sample("triage_intake_snapshots_total", outcome="written") == written + 1
