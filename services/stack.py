"""``triage up``: the broker (unless an external one is set), the topics, and the services."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import FrameType

from services.intake.patient_dev_issuer import DEV_PATIENT_DIR, PatientDevIssuer
from services.kafka.dev_broker import describe, dev_broker, warning
from services.kafka.settings import KafkaSettings, broker_port_from_env
from services.kafka.topic_admin import ensure_topics
from services.process_group import Child, service_argv, stop_all, wait_healthy
from services.staff.dev_issuer import DevIssuer
from services.supervisor import Supervised, Supervisor

BANNER = """
triage is up.
  broker    {bootstrap}{broker_note}
  intake    http://{host}:{intake_port}   (POST /v1/triage, GET /healthz, /metrics)
  queue     http://{host}:{queue_port}   (GET /v1/regions/SE-C/queue)
  notifier  http://{host}:{notifier_port}   (SMS outbox: {outbox})
  staff     http://{host}:{staff_port}   (bearer tokens from the dev issuer in {var_dir}/dev-issuer)
  forecast  http://{host}:{forecast_port}   (GET /v1/regions/SE-C/forecast: wait ranges, breach forecast)
  logs      {log_dir}/

Try it (paste these lines in this directory; README "Try it" says more):
  export STAFF_URL=http://{host}:{staff_port}
  export PATIENT_TOKEN=$({triage} token --patient 19900101-0017{vd})   # the dev login gateway
  curl -s -X POST http://{host}:{intake_port}/v1/triage -H 'content-type: application/json' \\
    -H "authorization: Bearer $PATIENT_TOKEN" \\
    -d '{{"region":"SE-C","personnummer":"19900101-0017","phone":"070-123 45 67","symptom":"fever","answers":{{"days_with_fever":2}}}}'
  # -> 202 queued, Prio 4. With "temperature_over_40":true (Prio 2) outside SE-C's hours: 200 refer, call 1177 now
  {triage} serve-next --region SE-C --clinician nurse-1{vd}   # prints who was called, or "nobody waiting"
  tail -n2 {outbox}   # the your-turn SMS
  curl -s -H "authorization: Bearer $PATIENT_TOKEN" http://{host}:{intake_port}/v1/cases   # your cases
  export STAFF_TOKEN=$({triage} token --sub nurse-anna --role nurse --region SE-C{vd})
  {triage} staff-cli waiting --region SE-C

Ctrl-C stops everything.
"""


def triage_command() -> str:
    """How to run ``triage`` from a shell here: the venv's script (``make run`` does not put it on
    PATH), relative to the current directory when it is below it, else absolute."""
    script = Path(sys.executable).with_name("triage")
    if not script.exists():
        return f"{sys.executable} -m services.cli"
    try:
        return str(script.absolute().relative_to(Path.cwd()))
    except ValueError:
        return str(script.absolute())


@dataclass(frozen=True)
class StackService:
    """One service ``triage up`` runs: its HTTP port setting and its data directory setting."""

    name: str
    port_variable: str
    default_port: int
    data_dir_variable: str | None = None  # None: keeps nothing on disk


# Started in this order (intake last: it asks the queue for positions). Add a service here.
STACK_SERVICES = (
    StackService("queue", "QUEUE_WEB_PORT", 6066, "QUEUE_DATA_DIR"),
    StackService("notifier", "NOTIFIER_WEB_PORT", 8082, "NOTIFIER_DATA_DIR"),
    StackService("intake", "INTAKE_PORT", 8080),
    StackService("staff", "STAFF_PORT", 8084),
    StackService("forecast", "FORECAST_PORT", 8086),
)


def service_env(var_dir: Path, bootstrap: str, env: Mapping[str, str] = os.environ) -> dict[str, str]:
    """What ``triage up`` adds to every child's environment: the broker and every data path
    under ``var_dir`` (a variable already set in ``env`` wins)."""
    paths = {s.data_dir_variable: var_dir / s.name for s in STACK_SERVICES if s.data_dir_variable}
    paths["SMS_OUTBOX_PATH"] = var_dir / "sms-outbox.jsonl"
    out = {"KAFKA_BOOTSTRAP_SERVERS": bootstrap}
    # static group membership: a service the supervisor restarts rejoins its group at once
    # instead of waiting out its dead self's session (queue and notifier are in different
    # groups, so one name serves both); docs/deployment.md, "Group timeouts"
    out["KAFKA_GROUP_INSTANCE_ID"] = env.get("KAFKA_GROUP_INSTANCE_ID") or "triage-up"
    for variable, path in paths.items():
        out[variable] = env.get(variable) or str(path.resolve())
    return out


def run_stack(var_dir: Path = Path("var"), broker_kind: str = "tansu") -> int:
    """Run everything until SIGINT/SIGTERM; restart a crashed service; stop every child on the way out.

    ``broker_kind``: the broker started when KAFKA_BOOTSTRAP_SERVERS is not set, ``tansu``
    (in memory) or ``kafka`` (Apache Kafka with its data under ``var_dir/kafka``).
    """
    log_dir = var_dir / "logs"
    log_dir.mkdir(parents=True, exist_ok=True)
    external = os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "").strip()
    broker = None
    if not external:
        note = warning(broker_kind)
        if note:
            print(note, file=sys.stderr, flush=True)
        broker = dev_broker(broker_kind, broker_port_from_env(), var_dir)
        broker.start()
    bootstrap = external or broker.bootstrap_servers  # type: ignore[union-attr]
    host = "127.0.0.1"
    ports = {s.name: int(os.environ.get(s.port_variable, s.default_port)) for s in STACK_SERVICES}
    env = service_env(var_dir, bootstrap)
    for s in STACK_SERVICES:
        if s.data_dir_variable:
            Path(env[s.data_dir_variable]).mkdir(parents=True, exist_ok=True)
    Path(env["SMS_OUTBOX_PATH"]).parent.mkdir(parents=True, exist_ok=True)
    outbox = env["SMS_OUTBOX_PATH"]
    # staff trusts only the dev issuer's key (issue #13); `triage token` mints with it
    # intake trusts only the patient login dev issuer; `triage token --patient` mints with it
    extra = {
        "staff": DevIssuer(var_dir / "dev-issuer").env(),
        "intake": PatientDevIssuer(var_dir / DEV_PATIENT_DIR).env(),
    }
    children = [
        Child(
            s.name,
            service_argv(s.name),
            f"http://{host}:{ports[s.name]}/readyz",
            {**env, **extra.get(s.name, {})},
        )
        for s in STACK_SERVICES
    ]
    stopping = False

    def on_signal(signum: int, frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True

    def start(child: Supervised) -> None:
        assert isinstance(child, Child)
        log = os.open(log_dir / f"{child.name}.log", os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        child.start(log)
        os.close(log)

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    try:
        created = asyncio.run(ensure_topics(KafkaSettings.from_env({**os.environ, **env})))
        print(f"topics: {len(created)} created on {bootstrap}", flush=True)
        for child in children:
            start(child)
        failed = wait_healthy(children, timeout=90)
        if failed:
            print(f"not healthy: {', '.join(failed)}; see {log_dir}/", file=sys.stderr)
            return 1
        print(
            BANNER.format(
                bootstrap=bootstrap,
                host=host,
                outbox=outbox,
                log_dir=log_dir,
                broker_note=" (external)" if broker is None else f" ({describe(broker)})",
                intake_port=ports["intake"],
                queue_port=ports["queue"],
                notifier_port=ports["notifier"],
                staff_port=ports["staff"],
                forecast_port=ports["forecast"],
                var_dir=var_dir,
                triage=triage_command(),
                vd="" if var_dir == Path("var") else f" --var-dir {var_dir}",
            ),
            flush=True,
        )
        supervisor = Supervisor(
            children,
            start,
            log=lambda line: print(
                f"{time.strftime('%H:%M:%S')} {line} (log: {log_dir}/)", file=sys.stderr, flush=True
            ),
        )
        while not stopping:
            supervisor.poll()
            time.sleep(0.5)
        return 0
    finally:
        print("stopping...", flush=True)
        stop_all(children)
        if broker is not None:
            broker.stop()
        print("stopped.", flush=True)
