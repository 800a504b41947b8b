"""Intake's bounded start: a restart loads its snapshot, reads only the tail, and answers the same.

Real broker, real intake process; the test writes queue.events as the queue would (no queue runs).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator

import pytest

from proto import codec, topics
from proto import events as ev
from services.kafka.settings import KafkaSettings
from tests.e2e.test_intake_http import as_queue, case, post, queued, submission
from tests.support.people import personnummer
from tests.support.sms_feed import metric
from tests.support.stack import Stack, new_namespace, wait_until
from tests.support.topic_reader import Record, read_records

pytestmark = pytest.mark.e2e
FOLDED = [topics.TRIAGE_EVENTS.name, topics.TRIAGE_RESULTS.name, topics.QUEUE_EVENTS.name]
_MANIFEST = codec.Decoder[ev.IntakeSnapshotManifest](ev.IntakeSnapshotManifest)


@pytest.fixture(scope="module")
def intake(bootstrap_servers: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    stack = Stack(
        kafka=KafkaSettings(bootstrap_servers, new_namespace()),
        workdir=tmp_path_factory.mktemp("intake-snapshot"),
        extra_env={"INTAKE_SNAPSHOT_EVERY_S": "1", "INTAKE_RATE_BURST": "1000"},
    )
    stack.start(services=("intake",))
    try:
        yield stack
    finally:
        stack.stop()


def manifests(stack: Stack) -> list[tuple[Record, ev.IntakeSnapshotManifest]]:
    return [
        (r, _MANIFEST.decode(r.value))
        for r in read_records(stack.kafka, [topics.INTAKE_SNAPSHOTS.name])
        if r.key == b"manifest" and r.value is not None
    ]


def snapshot_covering_everything(stack: Stack) -> tuple[Record, ev.IntakeSnapshotManifest]:
    """Wait for a snapshot that covers every record now on the folded topics."""
    ends: dict[str, int] = {}
    for r in read_records(stack.kafka, FOLDED):
        ends[f"{r.topic}:{r.partition}"] = max(ends.get(f"{r.topic}:{r.partition}", 0), r.offset + 1)

    def covering() -> tuple[Record, ev.IntakeSnapshotManifest] | None:
        found = manifests(stack)
        if found and all(found[-1][1].covers.get(k, 0) >= end for k, end in ends.items()):
            return found[-1]
        return None

    return wait_until(covering, 30, "a snapshot covering every record", interval=0.5)


def restart(stack: Stack) -> str:
    """Kill intake, start it again, wait until ready; the log lines of the new life."""
    log = stack.workdir / "intake.log"
    before = len(log.read_text())
    stack.kill("intake")
    stack.start_service("intake")
    stack.wait_healthy(("intake",), timeout=90)
    return log.read_text()[before:]


def called(case_id: str, request_id: str) -> ev.CaseCalled:
    """The queue's call of ``case_id`` in SE-F, now."""
    return ev.CaseCalled(
        case_id=case_id,
        region="SE-F",
        urgency=3,
        clinician_id="n1",
        request_id=request_id,
        queued_at=ev.utcnow(),
        called_at=ev.utcnow(),
    )


def records_read_at_start(log: str) -> int:
    found = re.search(r"intake ready: rules [^,]+, \d+ submissions remembered, (\d+) records read", log)
    assert found, log[-3000:]
    return int(found.group(1))


def test_a_restart_starts_from_the_snapshot_reads_only_the_tail_and_answers_the_same(intake: Stack) -> None:
    people = [personnummer() for _ in range(6)]
    bodies = [submission(personnummer=p, submission_id=uuid.uuid4().hex, region="SE-F") for p in people]
    answers = [post(intake, b).json() for b in bodies]
    assert all(a["status"] == "queued" for a in answers), answers
    ids = [a["case_id"] for a in answers]
    as_queue(intake, *(queued("SE-F", case_id=c, seq=i) for i, c in enumerate(ids)))
    done = ids[0]  # called and closed: the patient still sees how it ended
    as_queue(intake, called(done, "r1"))
    as_queue(intake, ev.CaseClosed(case_id=done, region="SE-F", reason="completed", by="n1"))
    wait_until(lambda: case(intake, done).json()["status"] == "closed", 10, "the closed case in the view")
    before_waiting = case(intake, ids[3]).json()
    record, manifest = snapshot_covering_everything(intake)
    total = len(read_records(intake.kafka, FOLDED))
    # what an SRE sees over HTTP: snapshots written, none failed, and when the newest was taken
    url = intake.url("intake")
    assert metric(url, "triage_intake_snapshots_total", outcome="written") >= 1
    assert metric(url, "triage_intake_snapshots_total", outcome="failed") == 0
    assert (
        metric(url, "triage_intake_snapshot_newest_timestamp_seconds")
        >= manifest.taken_at.timestamp() - 0.001
    )

    # no personal data in the snapshot: not a personnummer nor the phone, in any common form
    chunks = b"".join(
        r.value or b""
        for r in read_records(intake.kafka, [topics.INTAKE_SNAPSHOTS.name])
        if r.key and r.key.startswith(f"chunk/{manifest.snapshot_id}/".encode())
    )
    assert len(chunks) > 0
    for p in people:
        for form in (p, p.replace("-", ""), p.replace("-", "")[2:]):
            assert form.encode() not in chunks
    for phone in (b"0701234567", b"46701234567", b"070-123 45 67"):
        assert phone not in chunks

    # while intake is down, the queue goes on: one more case is called (the tail after the snapshot)
    intake.kill("intake")
    as_queue(intake, called(ids[1], "r2"))
    log = restart(intake)
    assert f"intake snapshot {manifest.snapshot_id}" in log and "loaded" in log, log[-3000:]
    read = records_read_at_start(log)
    assert 1 <= read < total  # the tail only, not the whole log
    assert read <= 3  # the one CaseCalled (and at most a snapshot turn's own records)

    # idempotent resubmission: the same case, 202, no second event
    again = post(intake, bodies[2])
    assert again.status_code == 202 and again.json()["case_id"] == ids[2]
    # the patient's own case views: finished, called in the tail, still waiting
    closed = case(intake, done, answers[0]["case_token"]).json()
    assert closed["status"] == "closed" and closed["outcome"] == "completed"
    assert case(intake, ids[1], answers[1]["case_token"]).json()["status"] == "called"
    waiting = case(intake, ids[3], answers[3]["case_token"]).json()
    assert (waiting["status"], waiting["position"]) == ("waiting", before_waiting["position"] - 1)
    # one region per person survives too: the same person again gets their waiting case
    dup = post(intake, submission(personnummer=people[4], region="SE-C")).json()
    assert dup["status"] == "duplicate" and dup["case_id"] == ids[4]
    triaged = [codec.TRIAGE_EVENTS.decode(r.value) for r in read_records(intake.kafka, ["triage.events"])]
    assert [e.submission_id for e in triaged if isinstance(e, ev.CaseTriaged)].count(
        bodies[2]["submission_id"]
    ) == 1


def test_a_corrupt_snapshot_is_passed_over_with_a_log_line_and_the_topics_are_read_from_the_start(
    intake: Stack,
) -> None:
    body = submission(submission_id=uuid.uuid4().hex)
    first = post(intake, body).json()
    snapshot_covering_everything(intake)
    intake.kill("intake")
    _write_corrupt_snapshot(intake.kafka)
    log = restart(intake)
    assert "not used" in log and "reading the topics from the start" in log, log[-3000:]
    assert records_read_at_start(log) >= len(read_records(intake.kafka, FOLDED))
    again = post(intake, body)
    assert again.status_code == 202 and again.json()["case_id"] == first["case_id"]


def _write_corrupt_snapshot(kafka: KafkaSettings) -> None:
    import asyncio

    from services.kafka.publisher import Publisher

    async def go() -> None:
        pub = Publisher(kafka, "/tests")
        await pub.start()
        try:
            topic = kafka.topic(topics.INTAKE_SNAPSHOTS.name)
            sent = await pub.producer.send_and_wait(topic, b"\xc1not msgpack", key=b"chunk/broken/0")
            manifest = ev.IntakeSnapshotManifest(
                snapshot_id="broken", covers={}, chunks=1, writer="test", first_chunk_offset=sent.offset,
                taken_at=ev.utcnow(),
            )  # fmt: skip
            await pub.publish(topics.INTAKE_SNAPSHOTS, "manifest", manifest)
        finally:
            await pub.stop()

    asyncio.run(go())
