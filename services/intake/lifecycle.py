"""Starting and stopping intake's connections: rules, producer, queue client, Kafka readers."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Any

from services.intake.domain.rulebook import RuleBook
from services.intake.domain.rules_file import load_rulebook
from services.intake.domain.submission_index import RecentCases, SubmissionIndex
from services.intake.kafka_ingress import KafkaIngress, run_when_ready
from services.intake.log_redaction import install_redaction
from services.intake.queue_client import QueueClient
from services.intake.settings import IntakeSettings
from services.intake.submissions import TriageService
from services.intake.triage_log import TriageLog
from services.kafka.publisher import Publisher

log = logging.getLogger("triage.intake")


def load_rules(path: Path) -> RuleBook:
    """Read and check the urgency rules file; RulesFileError (naming the lines) if it is bad."""
    return load_rulebook(path.read_text(encoding="utf-8"), str(path))


def _log_crash(name: str) -> Callable[[asyncio.Task[None]], None]:
    def done(task: asyncio.Task[None]) -> None:
        if not task.cancelled() and task.exception() is not None:
            exc = task.exception()
            log.error("%s stopped: %s: %s", name, type(exc).__name__, exc)
    return done


def intake_lifespan(settings: IntakeSettings) -> Callable[[Any], AbstractAsyncContextManager[None]]:
    """The app's lifespan: ready once the producer is up and the submission index caught up."""

    @asynccontextmanager
    async def lifespan(app: Any) -> AsyncIterator[None]:
        install_redaction()
        logging.getLogger("httpx").setLevel(logging.WARNING)  # one INFO line per queue lookup is noise
        publisher = Publisher(settings.kafka, source="/triage/intake")
        await publisher.start()
        queue = QueueClient(settings.queue_url, settings.queue_timeout_s)
        index = SubmissionIndex(settings.index_max_entries)
        recent = RecentCases()
        service = TriageService(settings, app.state.rules, publisher, index, queue, recent)
        app.state.triage = service
        triage_log = TriageLog(settings.kafka, index, recent)
        tasks = [asyncio.create_task(triage_log.run(), name="triage-log")]
        if settings.kafka_ingress:
            tasks.append(asyncio.create_task(run_when_ready(KafkaIngress(service), triage_log.ready),
                                             name="kafka-ingress"))
        for task in tasks:
            task.add_done_callback(_log_crash(task.get_name()))

        async def become_ready() -> None:
            await triage_log.ready.wait()
            app.state.ready = True
            log.info("intake ready: rules %s, %d submissions remembered", app.state.rules.version, len(index))

        tasks.append(asyncio.create_task(become_ready()))
        try:
            yield
        finally:
            app.state.ready = False
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            await queue.close()
            await publisher.stop()

    return lifespan
