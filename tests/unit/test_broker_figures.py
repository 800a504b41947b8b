"""benchmarks/brokers.py's table: each benchmark's JSON lands in the right row and column."""

from __future__ import annotations

from benchmarks.broker_figures import QUICK, markdown


def _latency_run(variant: str, p50: float, p99: float) -> dict[str, object]:
    return {
        "variant": variant,
        "sent": 10,
        "your_turn_seen": 10,
        "empty": 0,
        "your_turn_ms": {"p50": p50, "p99": p99},
    }


META = {
    "started_at": "20261205T170000Z",
    "form": "full",
    "sizes": QUICK._asdict(),
    "minutes": 1.0,
    "load_average": [1.0, 2.0],
    "cpus": 2,
    "commit": "abc1234",
}


def _row(table: str, starts: str) -> list[str]:
    line = next(ln for ln in table.splitlines() if ln.startswith(f"| {starts}"))
    return [cell.strip() for cell in line.strip("|").split("|")]


def test_kafka_rounds_with_and_without_transactions_go_to_their_own_rows_and_tansu_has_none() -> None:
    results = {
        "tansu": {"latency": {"runs": [_latency_run("this tree", 12.0, 40.0)]}},
        "kafka": {
            "latency": {
                "runs": [
                    _latency_run("this tree #1", 30.0, 90.0),
                    _latency_run("this tree QUEUE_TRANSACTIONS=off #1", 14.0, 45.0),
                ]
            }
        },
    }
    table = markdown(META, results, ["tansu", "kafka"])
    assert _row(table, "ServeNext")[1:] == ["– (Tansu has no transactions)", "30.0 / 90.0"]
    assert _row(table, "the same without transactions")[1:] == ["12.0 / 40.0", "14.0 / 45.0"]


def test_a_failed_or_missing_step_says_so_instead_of_a_figure() -> None:
    results = {
        "tansu": {
            "recovery": {"error": "RuntimeError('broker gone')"},
            "restart": {"sms_s": [1.0, 3.0, 2.0]},
        },
        "kafka": {"recovery": {"kill_to_first_output_s": 4.25}},
    }
    table = markdown(META, results, ["tansu", "kafka"])
    assert _row(table, "kill -9")[1:] == ["failed: RuntimeError('broker gone')", "**4.25 s**"]
    assert _row(table, "notifier SIGKILL")[1:] == ["**2.0 s** median (runs 1.0, 3.0, 2.0)", "not run"]
    assert "ServeNext" not in table  # a step run on neither broker has no row
