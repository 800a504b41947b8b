"""Starting and stopping intake's connections: rules, producer, Kafka readers (log and read model)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Any

from services.http_edge.lifespan import running
from services.intake.domain.question_texts import QuestionTexts, load_question_texts
from services.intake.domain.queue_view import QueueView
from services.intake.domain.rulebook import RuleBook
from services.intake.domain.rules_file import load_rulebook
from services.intake.domain.submission_index import SubmissionIndex
from services.intake.frame_watch import watch_time_frames
from services.intake.kafka_ingress import KafkaIngress, run_when_ready
from services.intake.metrics import GC_PAUSES
from services.intake.settings import IntakeSettings
from services.intake.submissions import TriageService
from services.intake.triage_log import TriageLog
from services.intake.view_snapshots import ViewSnapshots
from services.kafka.publisher import Publisher
from services.observability.gc_pauses import keep_gc_pauses_short, measure_gc_pauses
from services.observability.json_logs import install_redaction

log = logging.getLogger("triage.intake")
TEXTS_FILE = "question-texts.toml"  # the catalogue's words, beside the rules file


def load_rules(path: Path) -> RuleBook:
    """Read and check the urgency rules file; RulesFileError (naming the lines) if it is bad."""
    return load_rulebook(path.read_text(encoding="utf-8"), str(path))


def load_texts(rules_path: Path, rules: RuleBook) -> QuestionTexts | None:
    """The ``question-texts.toml`` beside the rules file, checked against it (QuestionTextsError
    naming the lines if bad); None when a custom rules file comes without one (answers are then
    shown by their keys)."""
    path = rules_path.with_name(TEXTS_FILE)
    if not path.exists():
        log.warning("no %s beside %s: the clinician sees the answers by their keys", TEXTS_FILE, rules_path)
        return None
    return load_question_texts(path.read_text(encoding="utf-8"), rules, str(path))


def intake_lifespan(settings: IntakeSettings) -> Callable[[Any], AbstractAsyncContextManager[None]]:
    """The app's lifespan: ready once the producer is up and the index and queue view caught up."""

    @asynccontextmanager
    async def lifespan(app: Any) -> AsyncIterator[None]:
        install_redaction()
        publisher = Publisher(settings.kafka, source="/triage/intake")
        await publisher.start()
        index = SubmissionIndex(settings.index_max_entries, settings.submission_retention_s)
        view = QueueView(rate_window_s=settings.rate_window_s, retention_s=settings.case_retention_s)
        texts = load_texts(settings.rules_path, app.state.rules)
        service = TriageService(settings, app.state.rules, publisher, index, view, texts=texts)
        app.state.triage = service
        withdrawn: set[str] = set()
        snapshots = ViewSnapshots(
            settings.kafka,
            publisher.producer,
            settings.snapshot_every_s,
            fork=settings.snapshot_encoder == "fork",
        )

        def adopt(loaded_index: SubmissionIndex, loaded_view: QueueView) -> None:
            service.index, service.view = loaded_index, loaded_view  # from a snapshot, before ready

        triage_log = TriageLog(
            settings.kafka,
            index,
            view,
            lambda: service.withdraw_second_cases(withdrawn),
            snapshots=snapshots,
            adopt=adopt,
        )
        tasks = [
            asyncio.create_task(triage_log.run(), name="triage-log"),
            asyncio.create_task(
                watch_time_frames(service, triage_log.ready, settings.frame_check_s), name="time-frames"
            ),
        ]
        if settings.kafka_ingress:
            tasks.append(
                asyncio.create_task(
                    run_when_ready(KafkaIngress(service), triage_log.ready), name="kafka-ingress"
                )
            )

        async def become_ready() -> None:
            await triage_log.ready.wait()
            app.state.ready = True
            log.info(
                "intake ready: rules %s, %d submissions remembered, %d records read",
                app.state.rules.version,
                len(service.index),
                triage_log.records_read,
            )

        tasks.append(asyncio.create_task(become_ready(), name="become-ready"))
        measure_gc_pauses(GC_PAUSES)
        tasks.append(asyncio.create_task(keep_gc_pauses_short(), name="gc-freeze"))
        async with running(app, log, tasks, close=[snapshots.stop, publisher.stop]):
            yield

    return lifespan
