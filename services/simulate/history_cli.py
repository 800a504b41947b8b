"""``triage history export``: parse the period, read the topics, write the history file."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path


def add_history_arguments(p: argparse.ArgumentParser) -> None:
    """The ``triage history export`` options."""
    sub = p.add_subparsers(dest="history_command", required=True)
    ex = sub.add_parser(
        "export",
        help="write arrivals, calls, no-shows, outcome kinds and opening-hours changes of a period "
        "to a file (no personal data, no advice text)",
    )
    ex.add_argument("--since", required=True, help="ISO time, e.g. 2026-01-05T00:00+01:00")
    ex.add_argument("--until", required=True, help="ISO time (exclusive)")
    ex.add_argument("--out", type=Path, required=True, help="history file to write (JSON lines)")


def _when(text: str, flag: str) -> dt.datetime:
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{flag} {text!r}: use ISO 8601, e.g. 2026-01-05T00:00+01:00") from None
    if moment.tzinfo is None:
        raise ValueError(f"{flag} {text!r}: give a UTC offset (+01:00 or Z), so the period is unambiguous")
    return moment


def history_command(args: argparse.Namespace) -> int:
    """Run ``triage history export``; 2 on bad input."""
    from services.kafka.settings import KafkaSettings
    from services.simulate.history_export import write_history

    try:
        since, until = _when(args.since, "--since"), _when(args.until, "--until")
        if until <= since:
            raise ValueError("--until must be after --since")
    except ValueError as err:
        print(f"triage history export: {err}", file=sys.stderr)
        return 2
    from aiokafka.errors import KafkaError

    from services.kafka.tail import TopicMissing

    kafka = KafkaSettings.from_env()
    try:
        lines, skipped = write_history(kafka, since, until, args.out)
    except (KafkaError, OSError, TimeoutError, TopicMissing) as err:
        print(
            f"triage history export: could not read the topics from {kafka.bootstrap_servers} "
            f"(namespace {kafka.namespace!r}): {err!r}; is KAFKA_BOOTSTRAP_SERVERS right and the broker up?",
            file=sys.stderr,
        )
        return 1
    print(f"{args.out}: {lines} facts ({skipped} records of other or unknown types skipped)")
    return 0
