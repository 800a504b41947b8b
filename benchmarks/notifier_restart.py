"""A notifier restart until SMS flow again, with dynamic and with static group membership.

The notifier (a real process, outbox provider) is killed with SIGKILL and started again at
once, as a container restart does; the figure is the time from the restart until a YourTurn
published right then has its SMS in the outbox. Dynamic membership: the restarted process is a
new member, and the group waits for the dead one's session to expire before it rebalances.
Static membership (``KAFKA_GROUP_INSTANCE_ID``): the broker hands the same name its partitions
back at once.

    .venv/bin/python benchmarks/notifier_restart.py --broker kafka [--runs 3]

The queue's takeover (a worker killed and not restarted) is measured by
``benchmarks/queue_recovery.py --takeover``.

Figures from this shared 2-core machine are noisy; docs/deployment.md has the ones measured.
"""

from __future__ import annotations

import argparse
import contextlib
import shutil
import signal
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from services.kafka.dev_broker import dev_broker  # noqa: E402
from services.kafka.embedded_broker import free_port  # noqa: E402
from services.kafka.settings import KafkaSettings  # noqa: E402
from tests.support.sms_feed import publish, your_turn  # noqa: E402
from tests.support.stack import Stack, new_namespace, wait_until  # noqa: E402


def _sms_arrives(stack: Stack, timeout: float = 120) -> float:
    """Publish one fresh YourTurn (and its card); seconds until its SMS is in the outbox."""
    case_id = uuid.uuid4().hex
    publish(stack.kafka, [(case_id, "+46701234567")], [your_turn(case_id)])
    start = time.monotonic()
    wait_until(lambda: any(r["case_id"] == case_id for r in stack.outbox_records()), timeout, "the SMS")
    return time.monotonic() - start


def notifier_restart(kafka: KafkaSettings, workdir: Path, static: bool) -> tuple[float, float]:
    """(restart -> /readyz, restart -> the new YourTurn's SMS in the outbox), in seconds."""
    stack = Stack(kafka=KafkaSettings(kafka.bootstrap_servers, new_namespace()), workdir=workdir)
    if static:
        stack.extra_env["KAFKA_GROUP_INSTANCE_ID"] = "notifier-0"
    stack.extra_env["NOTIFIER_SESSION_TIMEOUT_S"] = "10"  # the service default, within Kafka's limits
    try:
        stack.start(("notifier",))
        _sms_arrives(stack)  # flowing
        stack.kill("notifier", signal.SIGKILL)
        restarted = time.monotonic()
        stack.start_service("notifier")
        case_id = uuid.uuid4().hex
        publish(stack.kafka, [(case_id, "+46701234568")], [your_turn(case_id)])
        wait_until(stack.children["notifier"].healthy, 120, "the restarted notifier's /readyz")
        ready = time.monotonic() - restarted
        wait_until(lambda: any(r["case_id"] == case_id for r in stack.outbox_records()), 120, "the SMS")
        return ready, time.monotonic() - restarted
    finally:
        stack.stop()


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--broker", choices=("tansu", "kafka"), default="kafka")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--static-only", action="store_true", help="only static membership")
    parser.add_argument("--keep", action="store_true", help="keep the logs (the directory is printed)")
    args = parser.parse_args()
    with contextlib.ExitStack() as cleanup:
        tmp = tempfile.mkdtemp(prefix="notifier-restart-")
        if args.keep:
            print(f"logs in {tmp}", flush=True)
        else:
            cleanup.callback(shutil.rmtree, tmp, True)
        broker = dev_broker(args.broker, free_port(), Path(tmp))
        broker.start()
        try:
            kafka = KafkaSettings(broker.bootstrap_servers)
            for static in (True,) if args.static_only else (False, True):
                runs = []
                for i in range(args.runs):
                    workdir = Path(tmp) / f"run-{static}-{i}"
                    workdir.mkdir()
                    runs.append(notifier_restart(kafka, workdir, static))
                sms = [total for _, total in runs]
                print(
                    f"{args.broker}: notifier restart -> SMS, {'static ' if static else 'dynamic'} "
                    f"membership: median {statistics.median(sms):.1f} s, max {max(sms):.1f} s "
                    f"(runs: {', '.join(f'ready {r:.1f} / SMS {t:.1f}' for r, t in runs)}; busy shared machine)",
                    flush=True,
                )
        finally:
            broker.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
