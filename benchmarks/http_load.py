"""A lean HTTP/1.1 load client for the intake benchmarks: keep-alive connections on raw asyncio
protocols (uvloop when installed), request bytes built from a template.

Why not aiohttp: on the shared 2-core machine the client competes with the servers it measures,
and aiohttp plus building each body with ``json.dumps`` cost ~220-270 µs of client CPU per
request: at the bare endpoint's rate the client alone took a large part of a core, so the
faster server was held back most and the intake/bare ratio was flattered. This client costs a
few tens of µs per request; each phase reports its own CPU per request (``client_us``) so a
reader can see it is not the bottleneck.

Only what the benchmarks need: answers with ``content-length`` (uvicorn, granian and Litestar
always send it for these routes), no redirects, no TLS.
"""

from __future__ import annotations

import asyncio
import collections
import datetime as dt
import itertools
import os
import resource
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from tests.support.people import luhn_digit

BODY = (
    b'{"region":"SE-C","personnummer":"%s","phone":"070-123 45 67","symptom":"fever",'
    b'"answers":{"temperature_over_40":true},"submission_id":"%s"}'
)


def people(start: int = 0) -> Iterator[str]:
    """Distinct valid personnummer (12 digits with separator): 999 serials per birth date."""
    for day in itertools.count(start):
        birth = dt.date(1940, 1, 1) + dt.timedelta(days=day % 20000)
        long, short = f"{birth:%Y%m%d}", f"{birth:%y%m%d}"
        for serial in range(1, 1000):  # 000 is not a valid serial
            s = f"{serial:03d}"
            yield f"{long}-{s}{luhn_digit(short + s)}"


class Submissions:
    """Raw ``POST /v1/triage`` requests, each a new person and a new submission_id."""

    def __init__(self, host: str, run: str, first_day: int = 0) -> None:
        self._head = (
            f"POST /v1/triage HTTP/1.1\r\nhost: {host}\r\ncontent-type: application/json\r\n"
            "content-length: %d\r\n\r\n"
        ).encode()
        self._people = people(first_day)
        self._run = run.encode()
        self._n = itertools.count()

    def __call__(self) -> bytes:
        body = BODY % (next(self._people).encode(), b"%s-%d" % (self._run, next(self._n)))
        return self._head % len(body) + body


class _Connection(asyncio.Protocol):
    """One keep-alive connection with at most one request in flight."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.buffer = bytearray()
        self.waiter: asyncio.Future[int] | None = None
        self.lost: BaseException | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        if self.waiter is None or self.waiter.done():
            return
        end = self.buffer.find(b"\r\n\r\n")
        if end < 0:
            return
        head = bytes(self.buffer[:end]).lower()
        at = head.find(b"\r\ncontent-length:")
        if at < 0:
            self.waiter.set_exception(RuntimeError(f"answer without content-length: {head[:200]!r}"))
            return
        stop = head.find(b"\r\n", at + 2)
        total = end + 4 + int(head[at + 17 : stop if stop > 0 else None])
        if len(self.buffer) < total:
            return
        del self.buffer[:total]
        self.waiter.set_result(int(head[9:12]))

    def connection_lost(self, exc: BaseException | None) -> None:
        self.lost = exc or ConnectionError("server closed the connection")
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_exception(self.lost)

    async def send(self, request: bytes) -> int:
        """The status of the answer to ``request``."""
        assert self.transport is not None
        self.waiter = asyncio.get_running_loop().create_future()
        self.transport.write(request)
        return await self.waiter


@dataclass
class Phase:
    """What one load phase measured. ``client_us``: the client's own CPU per request."""

    seconds: float
    statuses: dict[int, int] = field(default_factory=dict)
    latencies: list[float] = field(default_factory=list)
    client_us: float = 0.0
    errors: int = 0

    @property
    def accepted_per_s(self) -> float:
        return self.statuses.get(202, 0) / self.seconds if self.seconds else 0.0


class _Pool:
    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self.idle: collections.deque[_Connection] = collections.deque()

    async def take(self) -> _Connection:
        while self.idle:
            conn = self.idle.pop()
            if conn.lost is None:
                return conn
        _, conn = await asyncio.get_running_loop().create_connection(_Connection, self.host, self.port)
        return conn

    def give(self, conn: _Connection) -> None:
        if conn.lost is None:
            self.idle.append(conn)

    def close(self) -> None:
        for conn in self.idle:
            if conn.transport is not None:
                conn.transport.close()


def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


async def _closed(url: str, seconds: float, connections: int, make: Callable[[], bytes]) -> Phase:
    pool = _Pool(url)
    conns = [await pool.take() for _ in range(connections)]
    for conn in conns:  # warm-up: caches, producer metadata, each connection once
        await conn.send(make())
    statuses: dict[int, int] = collections.Counter()
    start, cpu0 = time.perf_counter(), _cpu()
    end = start + seconds

    async def client(conn: _Connection) -> None:
        while time.perf_counter() < end:
            statuses[await conn.send(make())] += 1

    await asyncio.gather(*(client(c) for c in conns))
    elapsed, cpu = time.perf_counter() - start, _cpu() - cpu0
    for conn in conns:
        pool.give(conn)
    pool.close()
    n = sum(statuses.values())
    return Phase(elapsed, dict(statuses), client_us=cpu / max(1, n) * 1e6)


async def _open(url: str, rate: float, seconds: float, make: Callable[[], bytes], warm: int) -> Phase:
    pool = _Pool(url)
    for conn in [await pool.take() for _ in range(warm)]:
        await conn.send(make())
        pool.give(conn)
    phase = Phase(seconds)
    statuses: dict[int, int] = collections.Counter()

    async def one(due: float, request: bytes) -> None:
        try:
            conn = await pool.take()
            statuses[await conn.send(request)] += 1
            phase.latencies.append(time.perf_counter() - due)
            pool.give(conn)
        except (OSError, RuntimeError):
            phase.errors += 1

    tasks = []
    start, cpu0 = time.perf_counter(), _cpu()
    for i in range(int(rate * seconds)):
        due = start + i / rate
        if (delay := due - time.perf_counter()) > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.ensure_future(one(due, make())))
    await asyncio.gather(*tasks)
    phase.client_us = (_cpu() - cpu0) / max(1, len(tasks)) * 1e6
    phase.statuses = dict(statuses)
    pool.close()
    return phase


def _run(coro: object) -> Phase:
    try:
        import uvloop

        return uvloop.run(coro)  # type: ignore[arg-type,no-any-return]
    except ImportError:
        return asyncio.run(coro)  # type: ignore[arg-type,no-any-return]


def closed_loop(url: str, seconds: float, make: Callable[[], bytes], connections: int = 32) -> Phase:
    """``connections`` clients, each sending its next request as soon as the last is answered."""
    return _run(_closed(url, seconds, connections, make))


def open_loop(url: str, rate: float, seconds: float, make: Callable[[], bytes], warm: int = 32) -> Phase:
    """Sends at a fixed schedule; each latency counts from its scheduled time (no coordinated
    omission). A send finding no idle connection opens one (the pool grows as the server lags)."""
    return _run(_open(url, rate, seconds, make, warm))


def run_id() -> str:
    """A prefix for submission ids unique to this process and moment."""
    return f"b{os.getpid():x}{time.time_ns() & 0xFFFFFFFF:x}"
