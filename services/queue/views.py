"""Read views of the queue (contract in COMMON/README): faust web pages routed to the owner.

A region's state lives only in the worker that owns the region's partition. Each view
asks faust's router which worker serves the partition of the REGION key (the table is
keyed per case but partitioned by region) and proxies the request there when it is not us.
"""

from __future__ import annotations

import time
from typing import Any

import faust
from faust.exceptions import SameNode
from faust.web import Request, Response, View

from proto.regions import is_region
from services.http_edge.faust_views import answer, refuse, register_health
from services.queue.domain.estimate import case_view, region_view
from services.queue.domain.opening_hours_view import opening_hours_view
from services.queue.domain.waiting_list import waiting_page
from services.queue.runtime import QueueRuntime


def register_views(app: faust.App, runtime: QueueRuntime, table_name: str) -> None:
    """Attach the HTTP views to ``app``."""
    state = runtime.state

    async def routed(view: View, request: Request, region: str, local: Any) -> Response:
        if not runtime.ready:
            return refuse(view, "the queue is recovering its state; retry shortly", 503)
        # The router hashes the key with the producer's metadata of the table's changelog topic,
        # which nothing writes. Tansu gave a new client every topic's metadata; Apache Kafka gives
        # none until asked, and the router then failed (TypeError) on the first view after a start.
        changelog = app.tables[table_name].changelog_topic.get_topic_name()
        await app.producer._ensure_producer().partitions_for(changelog)  # type: ignore[attr-defined]  # noqa: SLF001
        try:
            return await app.router.route_req(table_name, region.encode(), view.web, request)
        except SameNode:
            return local()

    @app.page("/v1/regions/{region}/queue")
    class RegionQueueView(View):
        async def get(self, request: Request, region: str) -> Response:
            return await routed(
                self,
                request,
                region,
                lambda: self.json(region_view(region, state.regions.get(region), time.time(), state.policy)),
            )

    @app.page("/v1/regions/{region}/waiting")
    class WaitingListView(View):
        """A page of the region's waiting list (``?offset=0&limit=50``), for the staff API."""

        async def get(self, request: Request, region: str) -> Response:
            try:
                offset, limit = int(request.query.get("offset", "0")), int(request.query.get("limit", "50"))
                if not is_region(region):
                    raise ValueError(f"{region!r} is not a region code; use e.g. SE-C")
                waiting_page(region, None, 0.0, offset, limit)  # checks offset/limit
            except ValueError as exc:
                return refuse(self, str(exc), 400)
            return await routed(
                self,
                request,
                region,
                lambda: answer(
                    self, waiting_page(region, state.regions.get(region), time.time(), offset, limit)
                ),
            )

    @app.page("/v1/regions/{region}/opening-hours")
    class OpeningHoursView(View):
        """The region's hours as the queue decides with them (a team lead's change, else the file)."""

        async def get(self, request: Request, region: str) -> Response:
            if not is_region(region):
                return refuse(self, f"{region!r} is not a region code; use e.g. SE-C", 400)
            return await routed(
                self,
                request,
                region,
                lambda: answer(
                    self, opening_hours_view(state.regions.get(region), region, time.time(), state.policy)
                ),
            )

    def case_answer(view: View, region: str, case_id: str | None, missing: str) -> Response:
        rs = state.regions.get(region)
        body = case_view(rs, case_id, time.time(), state.policy) if rs and case_id else None
        return refuse(view, missing, 404) if body is None else answer(view, body)

    @app.page("/v1/regions/{region}/cases/{case_id}")
    class CaseView(View):
        async def get(self, request: Request, region: str, case_id: str) -> Response:
            return await routed(
                self,
                request,
                region,
                lambda: case_answer(self, region, case_id, f"no case {case_id} in region {region}"),
            )

    @app.page("/v1/regions/{region}/persons/{pseudonym}")
    class PersonView(View):
        async def get(self, request: Request, region: str, pseudonym: str) -> Response:
            def local() -> Response:
                rs = state.regions.get(region)
                case_id = rs.waiting_person.get(pseudonym) if rs else None
                return case_answer(self, region, case_id, f"this person has no waiting case in {region}")

            return await routed(self, request, region, local)

    register_health(
        app,
        lambda: (
            {
                "status": "ready",
                "regions": len(state.regions),
                "last_recovery_seconds": runtime.last_recovery_s,
            }
            if runtime.ready and not app.rebalancing
            else None
        ),
        waiting="recovering",
    )
