"""Read views of the queue for staff dashboards: faust web pages."""

from __future__ import annotations

import faust
from faust.web import Request, Response, View

from services.queue.domain.region_queue import URGENCIES
from services.queue.domain.state import QueueState


def register_views(app: faust.App, state: QueueState) -> None:
    """Attach the HTTP read views to ``app``; they read the live in-memory state."""

    @app.page("/v1/regions/{region}/queue")
    class RegionQueueView(View):
        async def get(self, request: Request, region: str) -> Response:
            queue = state.regions.get(region)
            depth = {str(u): (queue.depth(u) if queue else 0) for u in URGENCIES}
            return self.json({"region": region, "waiting": sum(depth.values()), "depth": depth})

    @app.page("/healthz")
    class Health(View):
        async def get(self, request: Request) -> Response:
            return self.json({"status": "ok"})
