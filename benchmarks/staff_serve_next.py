"""Serve-next through the staff API, end to end: how long a clinician waits for "who is next".

    .venv/bin/python benchmarks/staff_serve_next.py [--cases 400] [--clinicians 8] [--reads 100]

Starts its own embedded broker, a queue and a staff process on free loopback ports,
queues ``--cases`` cases in SE-C, then ``--clinicians`` concurrent clients each call
``POST /v1/regions/SE-C/serve-next`` until the region is empty. Each call includes token
verification, the awaited "requested" audit write, the ServeNext on queue.commands, the
queue's decision, the answer read back from queue.events and the outcome audit write.
Then it reads the waiting list ``--reads`` times (each read is audited too).
Prints latency percentiles and throughput; stops everything it started.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from services.kafka.embedded_broker import EmbeddedBroker  # noqa: E402
from services.kafka.settings import KafkaSettings  # noqa: E402
from tests.support.queue_io import publish, triaged  # noqa: E402
from tests.support.stack import Stack, new_namespace, wait_until  # noqa: E402


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))] * 1000


def show(name: str, lat: list[float], seconds: float) -> None:
    print(
        f"{name:<22} n={len(lat):>5}  p50={pct(lat, 50):7.1f} ms  p95={pct(lat, 95):7.1f} ms  "
        f"p99={pct(lat, 99):7.1f} ms  max={max(lat) * 1000:7.1f} ms  mean={statistics.mean(lat) * 1000:6.1f} ms"
        f"  throughput={len(lat) / seconds:6.1f}/s",
        flush=True,
    )


async def drive(stack: Stack, clinicians: int, reads: int) -> None:
    called: list[float] = []
    empty = 0
    async with httpx.AsyncClient(base_url=stack.url("staff"), timeout=30) as http:

        async def clinician(i: int) -> None:
            nonlocal empty
            token = stack.dev_issuer.mint(f"nurse-{i}", ["nurse"], ["SE-C"], ttl_s=3600)
            headers = {"authorization": f"Bearer {token}"}
            while True:
                t0 = time.perf_counter()
                resp = await http.post("/v1/regions/SE-C/serve-next", json={}, headers=headers)
                took = time.perf_counter() - t0
                body = resp.json()
                if resp.status_code != 200:
                    raise SystemExit(f"serve-next failed: {resp.status_code} {body}")
                if body["outcome"] == "empty":
                    empty += 1
                    return
                called.append(took)
                if len(called) % 100 == 0:
                    print(f"  ... {len(called)} patients called", flush=True)

        start = time.perf_counter()
        await asyncio.gather(*(clinician(i) for i in range(clinicians)))
        show("serve-next (called)", called, time.perf_counter() - start)

        token = stack.dev_issuer.mint("nurse-read", ["nurse"], ["SE-C"], ttl_s=3600)
        lat: list[float] = []
        start = time.perf_counter()
        for _ in range(reads):
            t0 = time.perf_counter()
            resp = await http.get("/v1/regions/SE-C/waiting", headers={"authorization": f"Bearer {token}"})
            lat.append(time.perf_counter() - t0)
            assert resp.status_code == 200, resp.text
        show("waiting list (50)", lat, time.perf_counter() - start)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cases", type=int, default=400)
    ap.add_argument("--clinicians", type=int, default=8)
    ap.add_argument("--reads", type=int, default=100)
    args = ap.parse_args()
    with (
        tempfile.TemporaryDirectory() as tmp,
        EmbeddedBroker(port=0, log_path=Path(tmp) / "broker.log") as broker,
    ):
        stack = Stack(
            KafkaSettings(broker.bootstrap_servers, new_namespace()),
            Path(tmp),
            extra_env={"QUEUE_HEADS_UP_POSITION": "0"},
        )
        try:
            stack.start(("queue", "staff"))
            print(f"queueing {args.cases} cases in SE-C ...", flush=True)
            publish(stack.kafka, [triaged("SE-C", 1 + i % 5) for i in range(args.cases)])
            wait_until(
                lambda: stack.get("queue", "/v1/regions/SE-C/queue")[1].get("waiting") == args.cases,
                120,
                "the cases to be queued",
                interval=0.5,
            )
            asyncio.run(drive(stack, args.clinicians, args.reads))
        finally:
            stack.stop()


if __name__ == "__main__":
    main()
