"""``triage up``: the broker (unless an external one is set), the topics, and the three services."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
from pathlib import Path
from types import FrameType

from services.kafka.embedded_broker import EmbeddedBroker
from services.kafka.settings import KafkaSettings
from services.kafka.topic_admin import ensure_topics
from services.staff.dev_issuer import DevIssuer
from services.process_group import Child, service_argv, stop_all, wait_healthy

BANNER = """
triage is up.
  broker    {bootstrap}{broker_note}
  intake    http://{host}:{intake_port}   (POST /v1/triage, GET /healthz, /metrics)
  queue     http://{host}:{queue_port}   (GET /v1/regions/SE-C/queue)
  notifier  http://{host}:{notifier_port}   (SMS outbox: {outbox})
  staff     http://{host}:{staff_port}   (bearer tokens from the dev issuer in {var_dir}/dev-issuer)
  logs      {log_dir}/

Try it:
  curl -s -X POST http://{host}:{intake_port}/v1/triage -H 'content-type: application/json' \\
    -d '{{"region":"SE-C","personnummer":"19900101-0017","phone":"070-123 45 67","symptom":"fever","answers":{{"temperature_over_40":true}}}}'
  triage serve-next --region SE-C --clinician nurse-1   # prints who was called, or "nobody waiting"
  tail -n2 {outbox}   # heads-up, then your-turn SMS
  export STAFF_TOKEN=$(triage token --sub nurse-anna --role nurse --region SE-C)
  triage staff-cli waiting --region SE-C

Ctrl-C stops everything.
"""


def run_stack(var_dir: Path = Path("var")) -> int:
    """Run everything until SIGINT/SIGTERM; stop every child on the way out."""
    log_dir = var_dir / "logs"
    log_dir.mkdir(parents=True, exist_ok=True)
    external = os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "")
    broker = None
    if not external:
        broker = EmbeddedBroker(port=int(os.environ.get("TRIAGE_BROKER_PORT", "9092")),
                                log_path=log_dir / "broker.log")
        broker.start()
    bootstrap = external or broker.bootstrap_servers  # type: ignore[union-attr]
    host = "127.0.0.1"
    ports = {s: int(os.environ.get(f"{s.upper()}_{k}", d)) for s, k, d in
             (("intake", "PORT", "8080"), ("queue", "WEB_PORT", "6066"), ("notifier", "WEB_PORT", "8082"),
              ("staff", "PORT", "8084"))}
    env = {"KAFKA_BOOTSTRAP_SERVERS": bootstrap}
    outbox = os.environ.get("SMS_OUTBOX_PATH", str(var_dir / "sms-outbox.jsonl"))
    children = [
        Child("queue", service_argv("queue"), f"http://{host}:{ports['queue']}/readyz", env),
        Child("notifier", service_argv("notifier"), f"http://{host}:{ports['notifier']}/readyz",
              {**env, "SMS_OUTBOX_PATH": outbox}),
        Child("intake", service_argv("intake"), f"http://{host}:{ports['intake']}/readyz", env),
        # staff trusts only the dev issuer's key (issue #13); `triage token` mints with it
        Child("staff", service_argv("staff"), f"http://{host}:{ports['staff']}/readyz",
              {**env, **DevIssuer(var_dir / "dev-issuer").env()}),
    ]
    stopping = False

    def on_signal(signum: int, frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    code = 0
    try:
        created = asyncio.run(ensure_topics(KafkaSettings.from_env(env)))
        print(f"topics: {len(created)} created on {bootstrap}", flush=True)
        for child in children:
            log = os.open(log_dir / f"{child.name}.log", os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
            child.start(log)
            os.close(log)
        failed = wait_healthy(children, timeout=90)
        if failed:
            print(f"not healthy: {', '.join(failed)}; see {log_dir}/", file=sys.stderr)
            return 1
        print(BANNER.format(bootstrap=bootstrap, host=host, outbox=outbox, log_dir=log_dir,
                            broker_note=" (external)" if external else " (embedded Tansu, memory storage)",
                            intake_port=ports["intake"], queue_port=ports["queue"],
                            notifier_port=ports["notifier"], staff_port=ports["staff"], var_dir=var_dir),
              flush=True)
        while not stopping:
            dead = [c.name for c in children if not c.alive()]
            if dead:
                print(f"service exited: {', '.join(dead)}; stopping (see {log_dir}/)", file=sys.stderr)
                code = 1
                break
            time.sleep(0.5)
        return code
    finally:
        print("stopping...", flush=True)
        stop_all(children)
        if broker is not None:
            broker.stop()
        print("stopped.", flush=True)
