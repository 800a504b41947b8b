"""A fake 46elks SMS API: a real aiohttp server on loopback, in a thread, for tests.

It speaks ``POST /a1/sms`` (HTTP Basic auth, form fields from/to/message/whendelivered)
and can be told to answer 200, 4xx, 5xx, 429 (with Retry-After), hang, or drop the
connection -- for everyone, for a while, or for one number. It records every request.
"""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import threading
import time
import uuid
from dataclasses import dataclass

from aiohttp import web

from services.kafka.embedded_broker import free_port

BEHAVIOURS = ("ok", "400", "401", "500", "503", "429", "hang", "drop")


@dataclass(frozen=True)
class Received:
    """One request the fake got, and what it answered (0 = hung up or never answered)."""

    to: str
    sender: str
    message: str
    whendelivered: str
    answered: int
    provider_id: str = ""
    at: float = 0.0


class Fake46elks:
    def __init__(self, username: str = "u-test", password: str = "p-test") -> None:
        self.username, self.password = username, password
        self.port = free_port()
        self.behaviour = "ok"
        self.behaviour_until = 0.0  # monotonic; after it the fake answers "ok" again
        self.per_number: dict[str, str] = {}
        self.retry_after_s = 1
        self.hang_s = 30.0
        self._received: list[Received] = []
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._started = threading.Event()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    # ------------------------------------------------------------------ control (test thread)
    def answer(self, behaviour: str, for_s: float | None = None) -> None:
        """Answer every request with ``behaviour`` (for ``for_s`` seconds, then "ok")."""
        assert behaviour in BEHAVIOURS, behaviour
        self.behaviour = behaviour
        self.behaviour_until = time.monotonic() + for_s if for_s is not None else float("inf")

    def answer_for_number(self, to: str, behaviour: str) -> None:
        assert behaviour in BEHAVIOURS, behaviour
        self.per_number[to] = behaviour

    def received(self) -> list[Received]:
        with self._lock:
            return list(self._received)

    def accepted(self) -> list[Received]:
        """Requests answered 200: the SMS 46elks would really have sent."""
        return [r for r in self.received() if r.answered == 200]

    # ------------------------------------------------------------------ server (its own thread)
    def _now_behaviour(self, to: str) -> str:
        if to in self.per_number:
            return self.per_number[to]
        return self.behaviour if time.monotonic() < self.behaviour_until else "ok"

    def _authorised(self, request: web.Request) -> bool:
        want = "Basic " + base64.b64encode(f"{self.username}:{self.password}".encode()).decode()
        return request.headers.get("Authorization") == want

    async def _sms(self, request: web.Request) -> web.StreamResponse:
        form = await request.post()
        to, sender, message = str(form.get("to", "")), str(form.get("from", "")), str(form.get("message", ""))
        behaviour = self._now_behaviour(to) if self._authorised(request) else "401"

        def note(answered: int, provider_id: str = "") -> None:
            with self._lock:
                self._received.append(
                    Received(
                        to,
                        sender,
                        message,
                        str(form.get("whendelivered", "")),
                        answered,
                        provider_id,
                        time.monotonic(),
                    )
                )

        if behaviour == "hang":
            note(0)
            await asyncio.sleep(self.hang_s)
            return web.Response(status=504, text="hung")
        if behaviour == "drop":
            note(0)
            assert request.transport is not None
            request.transport.abort()
            raise asyncio.CancelledError  # nothing more goes over this connection
        if behaviour == "ok":
            provider_id = "s" + uuid.uuid4().hex
            note(200, provider_id)
            return web.json_response(
                {
                    "status": "created",
                    "direction": "outgoing",
                    "from": sender,
                    "to": to,
                    "created": dt.datetime.now(dt.UTC).isoformat(),
                    "parts": 1,
                    "cost": 3500,
                    "message": message,
                    "id": provider_id,
                }
            )
        status = int(behaviour)
        note(status)
        if status == 429:
            return web.Response(
                status=429, text="Too many requests", headers={"Retry-After": str(self.retry_after_s)}
            )
        if status == 400:
            return web.Response(status=400, text=f"Invalid to number: {to}")  # 46elks echoes the number
        if status == 401:
            return web.Response(status=401, text="Wrong API credentials")
        return web.Response(status=status, text="Service unavailable")

    def _serve(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        app = web.Application()
        app.router.add_post("/a1/sms", self._sms)
        runner = web.AppRunner(app, handle_signals=False)
        loop.run_until_complete(runner.setup())
        loop.run_until_complete(web.TCPSite(runner, "127.0.0.1", self.port).start())
        self._started.set()
        try:
            loop.run_forever()
        finally:
            loop.run_until_complete(runner.cleanup())
            loop.close()

    def start(self) -> Fake46elks:
        self._thread = threading.Thread(target=self._serve, name="fake-46elks", daemon=True)
        self._thread.start()
        if not self._started.wait(10):
            raise RuntimeError("fake 46elks did not start")
        return self

    def stop(self) -> None:
        if self._loop is not None and self._thread is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(10)

    def __enter__(self) -> Fake46elks:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def env(self) -> dict[str, str]:
        """Notifier environment that points its 46elks adapter at this fake."""
        return {
            "SMS_PROVIDER": "46elks",
            "ELKS_BASE_URL": self.base_url,
            "ELKS_API_USERNAME": self.username,
            "ELKS_API_PASSWORD": self.password,
        }
