"""Flood intake and print what it did: status counts, latency of a patient and of /healthz
during the flood, and the intake process's memory (RSS) before, during and after.

    .venv/bin/python benchmarks/intake_flood.py [--requests 20000] [--concurrency 64] [--clients 50000]

It starts its own embedded broker and one intake process on free loopback ports, sends
only to 127.0.0.1, is bounded in count and time, and stops everything it started.
Each flood request comes from a different API key (a botnet-like spread), so the rate
limiter's client table is pushed past its bound; half the bodies are invalid, half valid.
Figures on a shared 2-core machine are noisy: compare runs side by side, not across days.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from services.kafka.embedded_broker import EmbeddedBroker  # noqa: E402
from services.kafka.settings import KafkaSettings  # noqa: E402
from tests.support.people import personnummer  # noqa: E402
from tests.support.stack import Stack, new_namespace  # noqa: E402


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def body(i: int) -> dict[str, object]:
    if i % 2:
        return {"region": "SE-C", "personnummer": "nope", "phone": "x", "symptom": "fever"}
    return {
        "region": "SE-C",
        "personnummer": personnummer(),
        "phone": "0701234567",
        "symptom": "rash",
        "answers": {},
        "submission_id": f"flood-{i}",
    }


async def flood(url: str, pid: int, n: int, concurrency: int, clients: int) -> None:
    statuses: dict[int, int] = {}
    probe_health: list[float] = []
    probe_patient: list[float] = []
    rss = {"before": rss_mib(pid)}
    sent = 0
    limits = httpx.Limits(max_connections=concurrency + 4)
    async with httpx.AsyncClient(base_url=url, timeout=30, limits=limits) as http:

        async def worker() -> None:
            nonlocal sent
            while sent < n:
                i = sent
                sent += 1
                try:
                    r = await http.post("/v1/triage", json=body(i), headers={"x-api-key": f"k{i % clients}"})
                    code = r.status_code
                except httpx.TransportError:  # e.g. a kept-alive connection closed under us
                    code = 0
                statuses[code] = statuses.get(code, 0) + 1

        async def prober() -> None:
            while sent < n:
                t = time.perf_counter()
                await http.get("/healthz")
                probe_health.append(time.perf_counter() - t)
                t = time.perf_counter()
                r = await http.post(
                    "/v1/triage",
                    json=body(0) | {"submission_id": None},
                    headers={"x-api-key": "a-patient-" + str(len(probe_patient))},
                )
                probe_patient.append(time.perf_counter() - t)
                assert r.status_code in (200, 202, 503), r.text
                await asyncio.sleep(0.2)

        async def progress() -> None:
            while sent < n:
                await asyncio.sleep(5)
                rss.setdefault("during", rss_mib(pid))
                rss["during"] = max(rss["during"], rss_mib(pid))
                print(f"  {sent}/{n} sent, intake RSS {rss_mib(pid):.0f} MiB", flush=True)

        start = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)), prober(), progress())
        elapsed = time.perf_counter() - start
    rss["after"] = rss_mib(pid)
    print(
        f"\n{n} requests in {elapsed:.1f} s ({n / elapsed:.0f} req/s), concurrency {concurrency}, "
        f"{clients} distinct API keys"
    )
    print("status counts (0 = transport error):", dict(sorted(statuses.items())))

    def pct(xs: list[float], q: float) -> float:
        return sorted(xs)[min(len(xs) - 1, int(q * len(xs)))] * 1000 if xs else float("nan")

    for name, xs in (
        ("/healthz during flood", probe_health),
        ("a patient's POST during flood", probe_patient),
    ):
        print(
            f"{name}: n={len(xs)} p50={pct(xs, 0.5):.1f} ms p99={pct(xs, 0.99):.1f} ms "
            f"max={max(xs) * 1000 if xs else float('nan'):.1f} ms"
            + (f" mean={statistics.mean(xs) * 1000:.1f} ms" if xs else "")
        )
    print("intake RSS MiB: " + ", ".join(f"{k} {v:.0f}" for k, v in rss.items()))


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=20_000)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--clients", type=int, default=50_000, help="distinct API keys in the flood")
    args = parser.parse_args()
    with (
        tempfile.TemporaryDirectory() as tmp,
        EmbeddedBroker(port=0, log_path=Path(tmp) / "tansu.log") as broker,
    ):
        stack = Stack(
            kafka=KafkaSettings(broker.bootstrap_servers, new_namespace()),
            workdir=Path(tmp),
            extra_env={"INTAKE_RATE_MAX_CLIENTS": "1000"},
        )
        try:
            print("starting broker and intake...", flush=True)
            stack.start(services=("intake",))
            pid = stack.children["intake"].proc.pid  # type: ignore[union-attr]
            asyncio.run(flood(stack.url("intake"), pid, args.requests, args.concurrency, args.clients))
        finally:
            stack.stop()
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    sys.exit(main())
