"""The result of a run: accounting, latency summaries, series for the plot; JSON and a table."""

from __future__ import annotations

import datetime as dt
import os
import platform
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson

from services.loadgen.accounting import account
from services.loadgen.depth import DepthSampler
from services.loadgen.ledger import INTERVAL_S, Ledger
from services.loadgen.settings import LoadSettings

if TYPE_CHECKING:
    from rich.console import Console

LATENCIES = {
    "ingress": "submission intended -> answered (HTTP response / TriageResult)",
    "ingress_service": "submission actually sent -> answered",
    "accepted_to_queued": "accepted -> CaseQueued seen on queue.events",
    "prefill_to_queued": "--prefill: CaseTriaged published -> CaseQueued seen (queue's backlog)",
    "serve_to_your_turn": "ServeNext intended -> YourTurn seen on queue.your-turn",
    "serve_to_sms": "ServeNext intended -> SmsSent seen on sms.events (SMS handed to provider)",
    "generator_lag": "submission intended -> actually sent (load generator's own lag)",
    "serve_generator_lag": "ServeNext intended -> actually sent (load generator's own lag)",
}


def machine() -> dict[str, Any]:
    """Cores, memory and CPU model of this machine (figures mean little without them)."""
    model = ""
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    mem_kb = 0
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemTotal"):
                mem_kb = int(line.split()[1])
    return {
        "nproc": os.cpu_count(),
        "memory_gib": round(mem_kb / 2**20, 1),
        "cpu_model": model,
        "loadavg": os.getloadavg(),
        "python": platform.python_version(),
    }


def build_result(
    settings: LoadSettings,
    ledger: Ledger,
    *,
    started_wall: dt.datetime,
    load_s: float,
    drain_s: float,
    drained: bool,
    depth: DepthSampler,
    first_errors: list[str],
    serve_errors: int,
    tracker_undecodable: int,
) -> dict[str, Any]:
    c = ledger.counters
    latency = {name: ledger.hist[name].summary() for name in LATENCIES if name in ledger.hist}
    waits = {str(u): ledger.wait_by_urgency[u].summary() for u in sorted(ledger.wait_by_urgency)}
    requested = {str(u): round(v / sum(settings.mix.values()) * 100, 2) for u, v in settings.mix.items()}
    got = [s.urgency_got for s in ledger.submissions.values() if s.urgency_got is not None]
    obtained = {str(u): round(got.count(u) / len(got) * 100, 2) if got else 0.0 for u in range(1, 6)}
    return {
        "label": settings.label,
        "started_at": started_wall.isoformat(),
        "machine": machine(),
        "settings": {
            "ingress": settings.ingress,
            "mode": settings.mode,
            "rate": settings.rate,
            "concurrency": settings.concurrency if settings.mode == "closed" else None,
            "poisson": settings.poisson,
            "duration_s": settings.duration_s,
            "count": settings.count,
            "ramp_s": settings.ramp_s,
            "serve_rate": settings.total_serve_rate,
            "prefill": settings.prefill,
            "clinicians_per_region": settings.clinicians,
            "regions": list(settings.regions),
            "enabled_regions": sorted(settings.enabled_regions),
            "drain_s": settings.drain_s,
            "intake_url": settings.intake_url,
            "bootstrap": settings.kafka.bootstrap_servers,
            "namespace": settings.kafka.namespace,
            "seed": settings.seed,
        },
        "load_s": round(load_s, 3),
        "drain_s": round(drain_s, 3),
        "drained": drained,
        "throughput_per_s": {
            "submitted": round(c["submitted"] / load_s, 1) if load_s else 0.0,
            "queued": round(len(ledger.queued_seen) / load_s, 1) if load_s else 0.0,
            "serve_next_sent": round(c["serve_next_sent"] / load_s, 1) if load_s else 0.0,
            "sms": round(len(ledger.sms_seen) / load_s, 1) if load_s else 0.0,
        },
        "latency_ms": latency,
        "latency_definitions": LATENCIES,
        "wait_ms_by_urgency": waits,
        "errors": {
            "http_4xx": c["outcome_rejected_4xx"],
            "http_429": c["outcome_http_429"],
            "http_5xx": c["outcome_http_5xx"],
            "timeouts": c["outcome_timeout"],
            "transport": c["outcome_error"],
            "serve_next_send_errors": serve_errors,
            "undecodable_records": tracker_undecodable,
            "first": first_errors,
        },
        "accounting": account(ledger),
        "urgency_mix_percent": {"requested": requested, "obtained": obtained},
        "counters": dict(sorted(c.items())),
        "series": _series(ledger, depth),
    }


def _series(ledger: Ledger, depth: DepthSampler) -> dict[str, Any]:
    last = max(
        [
            0,
            *ledger.sends_per_interval,
            *ledger.serves_per_interval,
            *(k for s in ledger.over_time.values() for k in s),
        ]
    )
    out: dict[str, Any] = {"interval_s": INTERVAL_S, "t": [i * INTERVAL_S for i in range(last + 1)]}
    out["submitted"] = [ledger.sends_per_interval.get(i, 0) for i in range(last + 1)]
    out["serve_next"] = [ledger.serves_per_interval.get(i, 0) for i in range(last + 1)]
    for name, per in ledger.over_time.items():
        for p in (50, 99):
            out[f"{name}_p{p}_ms"] = [per[i].percentile_ms(p) if i in per else None for i in range(last + 1)]
    out["depth"] = depth.samples
    return out


def write_json(result: dict[str, Any], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(orjson.dumps(result, option=orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS))


def print_table(result: dict[str, Any], console: Console | None = None) -> None:
    """The console summary: latency percentiles, throughput, errors and the accounting."""
    from rich.console import Console  # the loadgen extra (services/loadgen/extras.py)
    from rich.table import Table

    console = console or Console()
    table = Table(title=f"latency (ms) {result['label']}".strip())
    for col in ("measure", "count", "p50", "p90", "p99", "p99.9", "max"):
        table.add_column(col, justify="right" if col != "measure" else "left")
    rows = {**result["latency_ms"], **{f"wait prio {u}": s for u, s in result["wait_ms_by_urgency"].items()}}
    for name, s in rows.items():
        table.add_row(name, str(s["count"]), *(_ms(s[k]) for k in ("p50", "p90", "p99", "p99.9", "max")))
    console.print(table)
    t = result["throughput_per_s"]
    console.print(
        f"throughput /s: submitted {t['submitted']}  queued {t['queued']}  "
        f"ServeNext {t['serve_next_sent']}  SMS {t['sms']}  (load {result['load_s']} s, "
        f"drain {result['drain_s']} s{'' if result['drained'] else ', NOT fully drained'})"
    )
    e = result["errors"]
    console.print(
        f"errors: 4xx {e['http_4xx']}  429 {e['http_429']}  5xx {e['http_5xx']}  "
        f"timeouts {e['timeouts']}  transport {e['transport']}"
    )
    for line in e["first"]:
        console.print(f"  e.g. {line}", markup=False)
    a = result["accounting"]
    console.print(
        f"accounting: {a['equation']}  -> {'OK' if a['ok'] else 'PROBLEMS: ' + '; '.join(a['problems'])}",
        markup=False,
    )


def _ms(v: float | None) -> str:
    return "-" if v is None else (f"{v:.2f}" if v < 100 else f"{v:.0f}")
