"""Samples the estimated wait patients are shown: ``GET /v1/cases/{id}`` with the case token.

For every queued case: one sample as soon as intake's view says ``waiting`` (the estimate at
queue entry), then one every ``resample_s`` until the case is called. The time it was called
comes from the ``CaseCalled`` the load generator's tracker sees (``on_called``), so the
actual wait is the queue's own record, not the time an SMS happened to be seen.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import time
from collections import Counter
from typing import Any

import aiohttp
import orjson

from services.loadgen.eta_error import EtaSample

PENDING_POLL_S = 0.1  # intake shows "pending" until the queue's CaseQueued reaches its view


class CaseEstimates:
    """Follows each watched case until it is called or ``stop`` is called."""

    def __init__(
        self, intake_url: str, resample_s: float, timeout_s: float = 5.0, pending_max_s: float = 30.0
    ):
        self.url = intake_url.rstrip("/") + "/v1/cases/"
        self.resample_s = resample_s
        self.timeout = aiohttp.ClientTimeout(total=timeout_s)
        self.pending_max_s = pending_max_s
        self.samples: list[EtaSample] = []
        self.called_at: dict[str, float] = {}  # case id -> epoch seconds of its CaseCalled
        self.watched: set[str] = set()
        self.counters: Counter[str] = Counter()
        self._tasks: set[asyncio.Task[None]] = set()
        self._called: dict[str, asyncio.Event] = {}
        self.session: aiohttp.ClientSession | None = None

    async def start(self) -> None:
        self.session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=64))

    async def stop(self) -> None:
        """Stop following (cases still waiting stay unscored) and close the HTTP session."""
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        if self.session is not None:
            await self.session.close()

    def watch(self, case_id: str, token: str) -> None:
        """Start following a case the intake just queued (``token``: its case_token)."""
        if case_id in self.watched:
            return
        self.watched.add(case_id)
        self._called.setdefault(case_id, asyncio.Event())
        task = asyncio.ensure_future(self._follow(case_id, token))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def on_called(self, case_id: str, called_at: dt.datetime) -> None:
        """The tracker saw the case's CaseCalled (redeliveries keep the first time)."""
        self.called_at.setdefault(case_id, called_at.timestamp())
        self._called.setdefault(case_id, asyncio.Event()).set()

    def waiting(self) -> int:
        """Watched cases not called yet."""
        return sum(1 for c in self.watched if c not in self.called_at)

    async def _follow(self, case_id: str, token: str) -> None:
        kind = "entry"
        pending_until = time.monotonic() + self.pending_max_s
        called = self._called[case_id]
        while not called.is_set():
            body, mid = await self._get(case_id, token)
            status = body.get("status") if body else None
            if status == "pending" and time.monotonic() < pending_until:
                await asyncio.sleep(PENDING_POLL_S)
                continue
            if status != "waiting":
                if body is not None:  # called before it was sampled, or never shown as waiting
                    self.counters[f"left_unsampled_{status}" if kind == "entry" else f"ended_{status}"] += 1
                    return
            elif body is not None and body.get("estimated_wait_seconds") is None:
                self.counters["waiting_without_estimate"] += 1
            elif body is not None:
                self.samples.append(_sample(case_id, kind, body, mid))
                self.counters[f"samples_{kind}"] += 1
                kind = "later"
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(called.wait(), self.resample_s)

    async def _get(self, case_id: str, token: str) -> tuple[dict[str, Any] | None, float]:
        assert self.session is not None
        sent = time.time()
        try:
            async with self.session.get(
                self.url + case_id, headers={"x-case-token": token}, timeout=self.timeout
            ) as resp:
                raw = await resp.read()
                status = resp.status
        except (TimeoutError, aiohttp.ClientError) as exc:
            self.counters[f"get_{type(exc).__name__}"] += 1
            return None, sent
        mid = (sent + time.time()) / 2  # the estimate is "from now" at the server: take the middle
        if status != 200:
            self.counters[f"get_http_{status}"] += 1
            return None, mid
        body = orjson.loads(raw)
        return (body if isinstance(body, dict) else None), mid


def _sample(case_id: str, kind: str, body: dict[str, Any], mid: float) -> EtaSample:
    closed_s = 0.0
    if body.get("region_open") is False and body.get("opens_at"):
        opens = dt.datetime.fromisoformat(str(body["opens_at"]).replace("Z", "+00:00"))
        closed_s = max(0.0, opens.timestamp() - mid)
    return EtaSample(
        case_id=case_id,
        urgency=int(body.get("urgency") or 0),
        kind=kind,
        basis=str(body.get("estimate_basis") or "unknown"),
        sampled_at=mid,
        position=int(body.get("position") or 0),
        point_s=float(body["estimated_wait_seconds"]),
        low_s=float(body.get("estimated_wait_low_seconds") or 0.0),
        high_s=float(body.get("estimated_wait_high_seconds") or 0.0),
        closed_s=closed_s,
    )
