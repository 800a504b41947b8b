"""The bare endpoint intake is measured against: Litestar on uvicorn+uvloop that decodes the
same body with msgspec (intake's own TriageRequest Struct) and awaits one aiokafka publish
to the same broker. Same server settings as intake (uvloop, httptools). Nothing else: no validation beyond the Struct, no rules, no read model.

    .venv/bin/python benchmarks/intake_bare.py --port P --bootstrap HOST:PORT --topic NAME

Started by benchmarks/intake_speed.py; answers GET /healthz when its producer is up.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import msgspec  # noqa: E402
import uvicorn  # noqa: E402
from aiokafka import AIOKafkaProducer  # noqa: E402
from litestar import Litestar, Response, get, post  # noqa: E402
from litestar.datastructures import State  # noqa: E402

from services.intake.http_bodies import TriageRequest  # noqa: E402
from services.kafka.settings import KafkaSettings  # noqa: E402

_encode = msgspec.json.Encoder().encode


def create_app(kafka: KafkaSettings, topic: str) -> Litestar:
    @post("/v1/triage", status_code=202)
    async def triage(data: TriageRequest, state: State) -> Response[dict[str, str]]:
        await state.producer.send_and_wait(topic, _encode(data), key=data.region.encode())
        return Response({"status": "queued"}, status_code=202)

    @get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @asynccontextmanager
    async def lifespan(app: Any) -> AsyncIterator[None]:
        producer = AIOKafkaProducer(
            **kafka.client_options(), acks="all", linger_ms=1, enable_idempotence=False
        )
        await producer.start()
        app.state.producer = producer
        try:
            yield
        finally:
            await producer.stop()

    return Litestar([triage, healthz], lifespan=[lifespan], debug=False)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--bootstrap", required=True)
    parser.add_argument("--topic", required=True)
    args = parser.parse_args()
    app = create_app(KafkaSettings(bootstrap_servers=args.bootstrap), args.topic)
    # the same server settings as intake (services/intake/serve.py)
    uvicorn.run(
        app,
        host="127.0.0.1",
        port=args.port,
        loop="uvloop",
        http="httptools",
        access_log=False,
        log_level="warning",
    )


if __name__ == "__main__":
    main()
