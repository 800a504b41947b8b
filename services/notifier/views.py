"""HTTP surface of the notifier (faust web)."""

from __future__ import annotations

import faust
from faust.web import Request, Response, View


def register_views(app: faust.App) -> None:
    @app.page("/healthz")
    class Health(View):
        async def get(self, request: Request) -> Response:
            return self.json({"status": "ok"})
