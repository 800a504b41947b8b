"""Measure the notifier's duplicate window: provider accepted -> 'sent' record durable.

Starts the embedded broker and a real notifier process (outbox provider), feeds it N
YourTurns and reads the per-SMS "sent record durable in X ms" figures from its log.
Prints percentiles and end-to-end throughput. Figures on a shared 2-core machine are noisy.

    .venv/bin/python benchmarks/notifier_sms_window.py --sms 300 --rate 200
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from services.kafka.embedded_broker import EmbeddedBroker  # noqa: E402
from services.kafka.settings import KafkaSettings  # noqa: E402
from tests.support.sms_feed import publish, your_turn  # noqa: E402
from tests.support.stack import Stack, new_namespace  # noqa: E402

WINDOW = re.compile(r"sent record durable in ([0-9.]+) ms")


def pct(values: list[float], p: float) -> float:
    return sorted(values)[min(len(values) - 1, int(p / 100 * len(values)))]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sms", type=int, default=300)
    ap.add_argument("--rate", type=float, default=200.0, help="SMS_RATE_PER_S for the run")
    ap.add_argument("--concurrency", type=int, default=8)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp, EmbeddedBroker(port=0) as broker:
        stack = Stack(
            KafkaSettings(broker.bootstrap_servers, new_namespace()),
            Path(tmp),
            extra_env={"SMS_RATE_PER_S": str(args.rate), "SMS_SEND_CONCURRENCY": str(args.concurrency)},
        )
        try:
            stack.start(("notifier",))
            cards = [(uuid.uuid4().hex, f"+4670{i:07d}") for i in range(args.sms)]
            print(f"publishing {args.sms} contact cards and YourTurns ...", flush=True)
            publish(stack.kafka, cards, [your_turn(c) for c, _ in cards])
            started, last = time.monotonic(), -1
            while (n := len(stack.outbox_records())) < args.sms:
                if n != last and n % 50 == 0:
                    print(f"  {n}/{args.sms} SMS in the outbox", flush=True)
                last = n
                if time.monotonic() - started > 300:
                    print("timed out", file=sys.stderr)
                    return 1
                time.sleep(0.2)
            elapsed = time.monotonic() - started
            time.sleep(1)  # let the last log lines reach the file
            import datetime as dt

            stamps = sorted(dt.datetime.fromisoformat(r["sent_at"]) for r in stack.outbox_records())
            spread = max(1e-3, (stamps[-1] - stamps[0]).total_seconds())
            windows = [float(m) for m in WINDOW.findall((Path(tmp) / "notifier.log").read_text())]
        finally:
            stack.stop()
    print(
        f"{args.sms} SMS in the outbox {elapsed:.1f} s after publishing (includes the group join); "
        f"first to last SMS {spread:.1f} s = {args.sms / spread:.0f} SMS/s "
        f"(rate limit {args.rate}/s, concurrency {args.concurrency})"
    )
    print(f"duplicate window (provider accepted -> sent record acked by the broker), n={len(windows)}:")
    print(
        f"  p50 {statistics.median(windows):.1f} ms  p95 {pct(windows, 95):.1f} ms  "
        f"p99 {pct(windows, 99):.1f} ms  max {max(windows):.1f} ms"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
