"""Submissions over HTTP: ``POST /v1/triage`` with aiohttp, outcomes into the ledger."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import aiohttp
import orjson

from services.loadgen.ledger import Ledger
from services.loadgen.patients import Patient

PAST_FRAME = ("opens_too_late", "wait_too_long")


def classify(status: int, body: object) -> str:
    """The ledger outcome of one HTTP answer."""
    if status == 202:
        return "queued"
    if status == 200 and isinstance(body, dict):
        answer = str(body.get("status", ""))
        if answer == "refer" and body.get("reason") in PAST_FRAME:
            return "refer_past_frame"  # issue 25: the region cannot call it in time (closed, or slow)
        return (
            answer
            if answer in ("refer", "full", "duplicate", "queued", "long_wait")
            else f"status_{answer or 'none'}"
        )
    if status == 429:
        return "http_429"
    if 400 <= status < 500:
        return "rejected_4xx"
    if status >= 500:
        return "http_5xx"
    return f"http_{status}"


class HttpIngress:
    """Sends one submission per call; at most ``max_in_flight`` requests at once."""

    def __init__(self, url: str, ledger: Ledger, timeout_s: float, max_in_flight: int) -> None:
        self.url = url + "/v1/triage"
        self.ledger = ledger
        self.timeout = aiohttp.ClientTimeout(total=timeout_s)
        self.max_in_flight = max_in_flight
        self.session: aiohttp.ClientSession | None = None
        self.first_errors: list[str] = []  # the first few error bodies, to say what went wrong
        # optional (patient, answer body) hook for queued cases, e.g. the ETA run keeps the case token
        self.on_queued: Callable[[Patient, dict[str, Any]], None] | None = None

    async def start(self) -> None:
        self.session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=self.max_in_flight, force_close=False),
            json_serialize=lambda o: orjson.dumps(o).decode(),
        )

    async def stop(self) -> None:
        if self.session is not None:
            await self.session.close()

    async def submit(self, patient: Patient, intended_t: float) -> None:
        """Send and record the outcome; latency counts from ``intended_t`` (open loop)."""
        assert self.session is not None
        self.ledger.submitted(patient.submission_id, patient.region, patient.urgency, intended_t)
        sent_t = time.monotonic()
        try:
            async with self.session.post(
                self.url,
                data=orjson.dumps(patient.http_body()),
                headers={"content-type": "application/json"},
                timeout=self.timeout,
            ) as resp:
                raw = await resp.read()
                status = resp.status
        except TimeoutError:
            self.ledger.answered(patient.submission_id, "timeout", time.monotonic(), sent_t=sent_t)
            return
        except aiohttp.ClientError as exc:
            self._note(f"{type(exc).__name__}: {exc}")
            self.ledger.answered(patient.submission_id, "error", time.monotonic(), sent_t=sent_t)
            return
        now = time.monotonic()
        try:
            body = orjson.loads(raw) if raw else None
        except orjson.JSONDecodeError:
            body = None
        outcome = classify(status, body)
        if outcome not in ("queued", "refer", "refer_past_frame", "long_wait"):
            self._note(f"HTTP {status}: {raw[:300].decode(errors='replace')}")
        case_id = body.get("case_id") if isinstance(body, dict) else None
        urgency = body.get("urgency") if isinstance(body, dict) else None
        self.ledger.answered(
            patient.submission_id, outcome, now, case_id=case_id, urgency=urgency, sent_t=sent_t
        )
        if outcome == "queued" and isinstance(body, dict) and self.on_queued is not None:
            self.on_queued(patient, body)

    def _note(self, text: str) -> None:
        if len(self.first_errors) < 5:
            self.first_errors.append(text)
