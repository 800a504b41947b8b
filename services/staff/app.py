"""The staff API's ASGI app (Litestar): routes, OpenAPI with a bearer scheme, lifespan.

Started by ``triage staff`` (uvicorn, STAFF_PORT, default 8084). Nothing connects at
import or in ``create_app``: the producer, the queue.events tail and the audit reader
start in the lifespan.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from litestar import Litestar
from litestar.datastructures import State
from litestar.di import Provide
from litestar.openapi.spec import SecurityScheme

from proto.contact_crypto import parse_keyring
from services.http_edge.lifespan import running
from services.http_edge.routes import edge_routes, openapi_config
from services.kafka.publisher import Publisher
from services.staff import closing
from services.staff.answers import QueueAnswers
from services.staff.audit_log import AuditLog
from services.staff.audit_trail import AuditTrail
from services.staff.case_log import CaseLog
from services.staff.desk import StaffDesk
from services.staff.domain.request_binding import RequestBindings
from services.staff.http_auth import provide_principal
from services.staff.http_cases import CASE_HANDLERS
from services.staff.http_commands import COMMAND_HANDLERS
from services.staff.http_forecast import FORECAST_HANDLERS
from services.staff.http_hour_exceptions import EXCEPTION_HANDLERS as HOUR_EXCEPTION_HANDLERS
from services.staff.http_hours import HOURS_HANDLERS
from services.staff.http_reads import READ_HANDLERS
from services.staff.http_routes import provide_call
from services.staff.problems import EXCEPTION_HANDLERS
from services.staff.queue_views import QueueViews
from services.staff.settings import StaffSettings
from services.staff.tokens import TokenVerifier

log = logging.getLogger("triage.staff")


def staff_lifespan(settings: StaffSettings) -> Any:
    """Connect on start-up; ready once answers can be awaited and the audit trail is loaded."""

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        publisher = Publisher(settings.kafka, source="/triage/staff")
        answers = QueueAnswers(settings.kafka)
        bindings = RequestBindings()  # request ids -> requests, also those of other staff processes
        audit_log = AuditLog(settings.kafka, settings.audit_memory, bindings.note)
        views = QueueViews(settings.queue_url, settings.queue_timeout_s, settings.forecast_url)
        case_log = CaseLog(settings.kafka)
        await publisher.start()
        await answers.start()
        tasks = [
            asyncio.create_task(answers.run(), name="queue-answers"),
            asyncio.create_task(audit_log.run(), name="audit-log"),
            asyncio.create_task(case_log.run(), name="case-log"),
        ]
        app.state.desk = StaffDesk(
            publisher,
            answers,
            AuditTrail(publisher, settings.audit_timeout_s),
            settings.answer_timeout_s,
            bindings,
        )
        app.state.audit_log, app.state.queue_views, app.state.case_log = audit_log, views, case_log

        async def become_ready() -> None:
            await audit_log.ready.wait()
            await case_log.ready.wait()
            app.state.ready = True
            log.info(
                "staff API ready: %d audit records, %d case files loaded",
                len(audit_log.index),
                len(case_log.files),
            )

        tasks.append(asyncio.create_task(become_ready(), name="become-ready"))
        async with running(app, log, tasks, close=[views.close, answers.stop, publisher.stop]):
            yield

    return lifespan


def create_app(settings: StaffSettings) -> Litestar:
    """The staff ASGI app; connects nothing until its lifespan starts."""
    bearer = SecurityScheme(
        type="http",
        scheme="bearer",
        bearer_format="JWT",
        description=(
            "OIDC access token of the region's identity provider (dev: `triage token`). "
            "Claims: sub (the actor), roles (nurse, doctor, team-lead, auditor, service), regions."
        ),
    )
    return Litestar(
        route_handlers=[
            *COMMAND_HANDLERS,
            *HOURS_HANDLERS,
            *HOUR_EXCEPTION_HANDLERS,
            *FORECAST_HANDLERS,
            *READ_HANDLERS,
            *CASE_HANDLERS,
            *edge_routes(
                "the producer is up, the queue.events tail is at its end, the audit trail and the "
                "case files (triage.events, queue.events, patient.contacts) are read."
            ),
        ],
        dependencies={"principal": Provide(provide_principal), "call": Provide(provide_call)},
        lifespan=[staff_lifespan(settings)],
        state=State(
            {
                "advice_key": closing.advice_key(settings.advice_keys),  # a bad ADVICE_KEYS stops the start
                "ready": False,
                "verifier": TokenVerifier(settings.oidc),
                "trusted_proxies": settings.trusted_proxies,
                "contact_keys": parse_keyring(settings.contact_keys),
            }
        ),
        exception_handlers=EXCEPTION_HANDLERS,  # type: ignore[arg-type]
        request_max_body_size=16 * 1024,
        openapi_config=openapi_config(
            "triage staff API",
            "Authenticated staff actions on the triage queue, with an audit trail.",
            {"bearerAuth": bearer},
        ),
        debug=False,
    )
