"""The ``triage`` command: run the system, one service, the broker, or send commands."""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
from pathlib import Path


def _cmd_up(args: argparse.Namespace) -> int:
    from services.stack import run_stack

    return run_stack(Path(args.var_dir), broker_kind=args.broker)


def _cmd_broker(args: argparse.Namespace) -> int:
    from services.kafka.dev_broker import describe, dev_broker, warning
    from services.kafka.settings import KafkaSettings, broker_port_from_env
    from services.kafka.topic_admin import TopicPlacement, ensure_topics

    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
    note = warning(args.kind)
    if note:
        print(note, file=sys.stderr, flush=True)
    broker = dev_broker(args.kind, args.port or broker_port_from_env(), Path(args.var_dir), args.nodes)
    broker.start()
    try:
        placement = TopicPlacement(args.nodes, 2 if args.nodes >= 3 else 1)
        kafka = KafkaSettings(broker.bootstrap_servers, args.namespace)
        created = asyncio.run(ensure_topics(kafka, placement=placement))
        print(f"{describe(broker)}; {len(created)} topics created. Ctrl-C stops it.", flush=True)
        signal.sigwait({signal.SIGINT, signal.SIGTERM})
    finally:
        broker.stop()
    return 0


def _cmd_topics(args: argparse.Namespace) -> int:
    from services.kafka.settings import KafkaSettings
    from services.kafka.topic_admin import TopicPlacement, ensure_topics

    try:
        placement = TopicPlacement.from_args(args.replication_factor, args.min_insync_replicas)
    except ValueError as exc:
        print(f"triage topics: {exc}", file=sys.stderr)
        return 2
    kafka = KafkaSettings.from_env()
    created = asyncio.run(ensure_topics(kafka, placement=placement))
    print(
        f"{len(created)} topics created on {kafka.bootstrap_servers} "
        f"(replication factor {placement.replication_factor}, min ISR {placement.min_insync_replicas})"
    )
    return 0


def _cmd_prometheus_config(args: argparse.Namespace) -> int:
    from services.prometheus_config import command

    return command(args.out_dir)


def _cmd_loadgen(args: argparse.Namespace) -> int:
    from services.loadgen.cli import command

    return command(args)


def _cmd_service(name: str) -> int:
    from services import runner

    {
        "intake": runner.run_intake,
        "queue": runner.run_queue,
        "notifier": runner.run_notifier,
        "staff": runner.run_staff,
        "forecast": runner.run_forecast,
    }[name]()
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="triage", description="1177-direkt-style triage queue system.")
    sub = parser.add_subparsers(dest="command", required=True)
    up = sub.add_parser(
        "up", help="run broker (unless KAFKA_BOOTSTRAP_SERVERS is set), topics and all services"
    )
    up.add_argument("--var-dir", default="var", help="where logs and the SMS outbox go (default: var)")
    up.add_argument(
        "--broker",
        choices=("tansu", "kafka"),
        default="tansu",
        help="tansu: embedded, in memory (default); kafka: Apache Kafka, data kept in VAR_DIR/kafka",
    )
    up.set_defaults(func=_cmd_up)
    broker = sub.add_parser(
        "broker", help="run only the broker with all topics: embedded Tansu (memory) or Apache Kafka"
    )
    broker.add_argument("--kind", choices=("tansu", "kafka"), default="tansu", help="default: %(default)s")
    broker.add_argument(
        "--nodes", type=int, choices=(1, 3), default=1, help="kafka only: 3 = RF 3, min ISR 2"
    )
    broker.add_argument("--var-dir", default="var", help="kafka: data in VAR_DIR/kafka (default: var)")
    broker.add_argument("--port", type=int, default=0, help="default: TRIAGE_BROKER_PORT or 9092")
    broker.add_argument("--namespace", default="", help="topic prefix")
    broker.set_defaults(func=_cmd_broker)
    topics = sub.add_parser("topics", help="create missing topics on KAFKA_BOOTSTRAP_SERVERS")
    topics.add_argument(
        "--replication-factor",
        type=int,
        default=1,
        help="copies of each partition (production Kafka: 3; default %(default)s)",
    )
    topics.add_argument(
        "--min-insync-replicas",
        type=int,
        default=1,
        help="min.insync.replicas per topic (production Kafka: 2; default %(default)s)",
    )
    topics.set_defaults(func=_cmd_topics)
    from services.intake.serve import add_intake_parser

    add_intake_parser(sub)  # intake has options (--workers)
    for name in ("queue", "notifier", "staff", "forecast"):
        sub.add_parser(name, help=f"run the {name} service").set_defaults(
            func=lambda a, n=name: _cmd_service(n)
        )
    from services.staff.cli import add_parsers as add_staff_parsers

    add_staff_parsers(sub)  # serve-next (synchronous, through the staff API), staff-cli, opening-hours
    _add_token_parser(sub)
    pc = sub.add_parser(
        "prometheus-config",
        help="write prometheus.yml + alerts.yml for the configured ports and admission cap",
    )
    pc.add_argument("--out-dir", default="var/prometheus", help="default: %(default)s")
    pc.set_defaults(func=_cmd_prometheus_config)
    from services.loadgen.cli import EPILOG, add_arguments

    lg = sub.add_parser(
        "loadgen",
        help="drive a running system with realistic traffic; report latencies",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_arguments(lg)
    lg.set_defaults(func=_cmd_loadgen)
    _add_simulate_parsers(sub)
    return parser


def _cmd_token(args: argparse.Namespace) -> int:
    """Print a short-lived dev token (stdout: the token only, so `$(triage token ...)` works)."""
    if args.patient:  # the patient login dev issuer (intake), not the staff one
        from services.intake.patient_cli import mint_patient_token

        return mint_patient_token(args.patient, args.var_dir, args.ttl)
    from services.staff.cli import mint_staff_token

    return mint_staff_token(args)


def _add_token_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """``triage token``: one command for both dev issuers, staff's and intake's patient login."""
    tok = sub.add_parser(
        "token", help="mint a short-lived dev token: staff (--sub/--role/--region) or patient (--patient)"
    )
    tok.add_argument("--sub", help="the staff member, e.g. nurse-anna")
    tok.add_argument(
        "--role", action="append", help="nurse, doctor, team-lead, auditor or service (repeatable)"
    )
    tok.add_argument("--region", action="append", help="e.g. SE-C (repeatable; * = all)")
    tok.add_argument(
        "--patient", metavar="PERSONNUMMER", help="a patient identity token for intake, e.g. 19121212-1212"
    )
    tok.add_argument("--ttl", type=float, default=3600, help="seconds the token is valid (default 3600)")
    tok.add_argument("--var-dir", default="var", help="where the dev key lives (default: var)")
    tok.set_defaults(func=_cmd_token)


def _add_simulate_parsers(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """``triage simulate`` and ``triage history`` (issue 16): capacity what-if and history export."""
    from services.simulate import cli as sim
    from services.simulate import history_cli

    sp = sub.add_parser(
        "simulate",
        help="what-if: replay arrivals through the queue core with a staffing file",
        epilog=sim.EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sim.add_simulate_arguments(sp)
    sp.set_defaults(func=sim.simulate_command)
    hp = sub.add_parser(
        "history", help="export what happened (arrivals, calls, no-shows) with no personal data"
    )
    history_cli.add_history_arguments(hp)
    hp.set_defaults(func=history_cli.history_command)


_SERVICES_WITHOUT_OPTIONS = ("queue", "notifier", "staff", "forecast")


def _service_only(argv: list[str]) -> argparse.Namespace | None:
    """``triage notifier`` (and the other services without options) straight to the service:
    the full parser imports every subcommand's module (loadgen, simulate, staff's HTTP client),
    about 0.3 s of a restart on an idle machine and over 1 s on a loaded one."""
    if len(argv) != 1 or argv[0] not in _SERVICES_WITHOUT_OPTIONS:
        return None
    name = argv[0]
    return argparse.Namespace(command=name, func=lambda _args: _cmd_service(name))


def main(argv: list[str] | None = None) -> int:
    """Run one subcommand; a bad setting or an unreachable broker ends it with one clear line."""
    from aiokafka.errors import KafkaConnectionError

    from services.config.env import SettingsError
    from services.kafka.embedded_broker import BrokerStartError
    from services.kafka.settings import bootstrap_from_env

    args = _service_only(sys.argv[1:] if argv is None else argv) or build_parser().parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except (SettingsError, BrokerStartError) as exc:
        print(f"triage {args.command}: {exc}", file=sys.stderr)
        return 2
    except KafkaConnectionError as exc:
        print(
            f"triage {args.command}: cannot reach Kafka at {bootstrap_from_env()} ({exc}); start it with "
            "`triage up` (or `triage broker`), or point KAFKA_BOOTSTRAP_SERVERS / TRIAGE_BROKER_PORT "
            "at a running broker",
            file=sys.stderr,
        )
        return 2


if __name__ == "__main__":
    sys.exit(main())
