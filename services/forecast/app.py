"""The forecaster's HTTP side (Litestar): health, metrics, and a region's forecast with what-ifs.

``GET /v1/regions/{region}/forecast``: the latest published forecast; with ``extra=N`` (and
``from=HH:00``) a what-if made now through the same forecaster with N more clinicians from that
local hour (not published: it is an answer to the team lead, through the staff API).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from litestar import Litestar, Response, get
from litestar.datastructures import State
from litestar.exceptions import HTTPException, ValidationException
from litestar.params import Parameter

from proto.field_error import FieldError
from proto.regions import REGIONS
from services.forecast.domain.tracker import Tracker
from services.forecast.domain.what_if import WhatIfError, read_what_if
from services.forecast.domain.wire import to_event
from services.forecast.queue_log import QueueLog
from services.forecast.refresher import Refresher
from services.forecast.settings import ForecastSettings
from services.http_edge.lifespan import running
from services.http_edge.problems import (
    http_exception_handler,
    invalid_request_handler,
    problem_response,
)
from services.http_edge.routes import edge_routes
from services.kafka.publisher import Publisher
from services.queue.domain.state import QueuePolicy

log = logging.getLogger("triage.forecast")


@get("/v1/regions/{region:str}/forecast")
async def region_forecast(
    state: State,
    region: str,
    extra: str | None = None,
    from_: str | None = Parameter(query="from", default=None),
) -> Response[Any]:
    """The region's latest forecast, or a what-if with ``extra`` clinicians ``from`` HH:00."""
    if region not in REGIONS:
        return problem_response(404, f"unknown region {region!r}: use an ISO 3166-2:SE code such as SE-C")
    refresher: Refresher = state.refresher
    now = dt.datetime.now(dt.UTC)
    try:
        what_if = read_what_if(extra, from_, now)
    except WhatIfError as exc:
        return problem_response(422, str(exc), [FieldError(pointer=f"/query/{exc.field}", detail=str(exc))])
    if what_if is None:
        latest = refresher.latest.get(region)
        if latest is None:
            return problem_response(
                404, f"no forecast of {region} yet: it is made within a minute of its first event"
            )
        return Response(latest)
    f = await refresher.forecast(refresher.inputs(region, now, what_if))
    label = f"+{what_if.extra} from {what_if.from_at.isoformat()}"
    return Response(to_event(f, now, refresher.settings.seed, what_if=label))


def _lifespan(settings: ForecastSettings) -> Any:
    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        policy = QueuePolicy(hours=settings.hours)
        tracker = Tracker(policy, settings.capacity_per_hour, settings.every_s, settings.debounce_s)
        publisher = Publisher(settings.kafka, source="/triage/forecast")
        await publisher.start()
        refresher = Refresher(settings, tracker, publisher)
        reader = QueueLog(settings.kafka, tracker, refresher.wake.set)
        app.state.refresher = refresher

        async def refresh_when_ready() -> None:
            await reader.ready.wait()
            app.state.ready = True
            await refresher.run()

        tasks = [
            asyncio.create_task(reader.run(), name="queue-log"),
            asyncio.create_task(refresh_when_ready(), name="refresher"),
        ]
        async with running(app, log, tasks, close=[publisher.stop]):
            yield

    return lifespan


def create_app(settings: ForecastSettings) -> Litestar:
    """The forecaster's ASGI app; connects nothing until its lifespan starts."""
    return Litestar(
        route_handlers=[
            *edge_routes("queue.events was read to the end seen at start.", openapi=False),
            region_forecast,
        ],
        lifespan=[_lifespan(settings)],
        state=State({"ready": False}),
        exception_handlers={
            ValidationException: invalid_request_handler,
            HTTPException: http_exception_handler,
        },
    )
