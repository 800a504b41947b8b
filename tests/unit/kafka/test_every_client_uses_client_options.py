"""Every aiokafka client in the code is built with ``**kafka.client_options()``, so the
connection and security settings (TLS, SASL) reach all of them alike; every consumer with
``**kafka.consumer_options()`` (the same, reading committed: issue 21)."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
CLIENTS = {"AIOKafkaProducer", "AIOKafkaConsumer", "AIOKafkaAdminClient"}


def _client_calls() -> list[tuple[str, int, bool]]:
    """(file, line, built with **...client_options() or consumer_options()) for every aiokafka client."""
    found = []
    for package in ("services", "benchmarks", "tests/support"):
        for path in (ROOT / package).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if not isinstance(node, ast.Call):
                    continue
                name = (
                    node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
                )
                if name not in CLIENTS:
                    continue
                wanted = {"consumer_options"} if name == "AIOKafkaConsumer" else {"client_options"}
                uses = any(
                    k.arg is None
                    and isinstance(k.value, ast.Call)
                    and isinstance(k.value.func, ast.Attribute)
                    and k.value.func.attr in wanted
                    for k in node.keywords
                )
                found.append((str(path.relative_to(ROOT)), node.lineno, uses))
    return found


def test_every_kafka_producer_consumer_and_admin_client_takes_the_shared_client_options() -> None:
    calls = _client_calls()
    assert len(calls) >= 10, "found too few clients: is the scan still looking in the right place?"
    bypassing = [f"{file}:{line}" for file, line, uses in calls if not uses]
    assert not bypassing, (
        f"built without **kafka.client_options() (a consumer: **kafka.consumer_options(), which reads "
        f"committed): {bypassing}"
    )
