"""Sizes of benchmarks/brokers.py and its table and plot, from the benchmarks' own JSON."""

from __future__ import annotations

import statistics
from pathlib import Path
from typing import Any, NamedTuple

Figures = dict[str, Any]


class Sizes(NamedTuple):
    cases: int  # passthrough: CaseTriaged pre-produced
    serves: int  # passthrough: ServeNext pre-produced
    prefill: int  # latency: cases waiting before the first ServeNext
    rate: int  # latency: ServeNext/s, open loop
    duration: float  # latency: seconds of ServeNext per round
    repeat: int  # latency: rounds (variants alternate)
    intake_seconds: float  # intake: seconds per phase
    intake_rate: int  # intake: open-loop submissions/s
    waiting: int  # recovery: cases waiting when the worker is killed
    restarts: int  # notifier restarts


# the sizes docs/performance.md quotes for each figure
FULL = Sizes(20_000, 10_000, 10_000, 200, 15, 2, 8, 500, 100_000, 3)
QUICK = Sizes(2_000, 1_000, 1_000, 200, 4, 1, 2, 200, 5_000, 1)
NAMES = {"tansu": "Tansu 0.6 (memory)", "kafka": "Apache Kafka 4.4.0 (1 node)"}


def _n(x: float) -> str:
    return f"{x:,.0f}".replace(",", " ")


def passthrough(f: Figures) -> str:
    if "ratio_queue_to_passthrough" not in f:
        return "failed (see output.txt)"
    q, pt = f["queue"], f["passthrough"]
    done = "" if q["complete"] and pt["complete"] else " (incomplete)"
    return (
        f"**{f['ratio_queue_to_passthrough']:.2f}** (queue {_n(q['events_per_s'])} / "
        f"bare {_n(pt['events_per_s'])} events/s){done}"
    )


def latency_runs(f: Figures, transactions: bool | None) -> list[Figures]:
    """The latency rounds of one variant: True = the tree (QUEUE_TRANSACTIONS=on on Kafka), False = =off."""
    runs = f.get("runs", [])
    off = [r for r in runs if "QUEUE_TRANSACTIONS=off" in r["variant"]]
    return off if transactions is False and off else [r for r in runs if r not in off]


def latency(f: Figures, kind: str, transactions: bool) -> str:
    if kind == "tansu" and transactions:
        return "– (Tansu has no transactions)"
    if not f.get("runs"):
        return "failed (see output.txt)"
    runs = latency_runs(f, transactions if kind == "kafka" else None)
    cells = []
    for r in runs:
        lost = r["sent"] - r["your_turn_seen"] - r["empty"]
        cells.append(
            f"{r['your_turn_ms']['p50']:.1f} / {r['your_turn_ms']['p99']:.1f}"
            + (f" ({lost} unanswered)" if lost else "")
        )
    return ", ".join(cells)


def intake(f: Figures) -> str:
    g = f.get("figures", {})
    if "intake_accepted_per_s" not in g:
        return "failed (see output.txt)"
    i, b = g["intake_accepted_per_s"], g["bare_accepted_per_s"]
    return f"**{_n(i)}** / bare {_n(b)} = {i / b:.2f}"


def recovery(f: Figures) -> str:
    return (
        f"**{f['kill_to_first_output_s']:.2f} s**"
        if "kill_to_first_output_s" in f
        else "failed (see output.txt)"
    )


def restart(f: Figures) -> str:
    runs = f.get("sms_s", [])
    if not runs:
        return "failed (see the step's output)"
    return f"**{statistics.median(runs):.1f} s** median (runs {', '.join(f'{x:.1f}' for x in runs)})"


def markdown(meta: Figures, results: dict[str, dict[str, Figures]], kinds: list[str]) -> str:
    s = meta["sizes"]
    rows: list[tuple[str, str, Any]] = [
        (
            "passthrough",
            f"queue worker / bare passthrough, {_n(s['cases'])} cases + {_n(s['serves'])} ServeNext (target ≥ 0.5)",
            passthrough,
        ),
        (
            "latency",
            f"ServeNext → YourTurn p50 / p99 ms, {s['rate']}/s, {_n(s['prefill'])} waiting, with transactions, per round",
            lambda f, k: latency(f, k, True),
        ),
        (
            "latency",
            "the same without transactions (QUEUE_TRANSACTIONS=off; Tansu's only mode)",
            lambda f, k: latency(f, k, False),
        ),
        ("intake", "intake accepted/s, 1 process, 32 connections / bare endpoint", intake),
        (
            "recovery",
            f"kill -9 → the restarted queue worker answers, {_n(s['waiting'])} waiting (dynamic membership)",
            recovery,
        ),
        ("restart", "notifier SIGKILL + restart → SMS again, static membership (target ≤ 5 s)", restart),
    ]
    lines = []
    if meta["form"] == "quick":
        lines.append(
            "> **Quick form** (`--quick`): reduced sizes, one round. These figures only show that it runs.\n"
        )
    lines.append(
        f"Measured {meta['started_at']} by `python -m benchmarks.brokers{' --quick' if meta['form'] == 'quick' else ''}` "
        f"at commit {meta['commit']}, {meta['cpus']} CPUs, load average {meta['load_average'][0]:.1f}–"
        f"{meta['load_average'][1]:.1f} at the starts and ends of the runs, {meta['minutes']} min in all.\n"
    )
    lines.append("| figure | " + " | ".join(NAMES[k] for k in kinds) + " |")
    lines.append("|---|" + "---|" * len(kinds))
    for step, label, cell in rows:
        if not any(step in results[k] for k in kinds):
            continue
        values = []
        for k in kinds:
            f = results[k].get(step)
            if f is None:
                values.append("not run")
            elif "error" in f:
                values.append(f"failed: {f['error']}")
            else:
                values.append(cell(f, k) if step == "latency" else cell(f))
        lines.append(f"| {label} | " + " | ".join(values) + " |")
    return "\n".join(lines) + "\n"


def plot(results: dict[str, dict[str, Figures]], kinds: list[str], path: Path) -> bool:
    """One panel per figure, one bar per broker (and variant)."""
    try:
        import matplotlib
    except ImportError:
        return False
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    panels: list[tuple[str, dict[str, float]]] = [("queue / passthrough", {}), ("YourTurn p99 ms", {})]
    panels += [("intake accepted/s", {}), ("kill -9 → answer, s", {}), ("notifier restart → SMS, s", {})]
    for k in kinds:
        r = results[k]
        if "ratio_queue_to_passthrough" in r.get("passthrough", {}):
            panels[0][1][k] = r["passthrough"]["ratio_queue_to_passthrough"]
        for tx in (True, False) if k == "kafka" else (None,):
            runs = latency_runs(r.get("latency", {}), tx)
            if runs:
                label = k if tx is None else f"{k} tx {'on' if tx else 'off'}"
                panels[1][1][label] = statistics.median(x["your_turn_ms"]["p99"] for x in runs)
        if "intake_accepted_per_s" in r.get("intake", {}).get("figures", {}):
            panels[2][1][k] = r["intake"]["figures"]["intake_accepted_per_s"]
        if "kill_to_first_output_s" in r.get("recovery", {}):
            panels[3][1][k] = r["recovery"]["kill_to_first_output_s"]
        if r.get("restart", {}).get("sms_s"):
            panels[4][1][k] = statistics.median(r["restart"]["sms_s"])
    panels = [(title, bars) for title, bars in panels if bars]  # steps not run: no panel
    if not panels:
        return False
    fig, axes = plt.subplots(1, len(panels), figsize=(3.2 * len(panels) + 1, 3.5), squeeze=False)
    for ax, (title, bars) in zip(axes[0], panels, strict=True):
        ax.bar(
            list(bars), list(bars.values()), color=["#4c72b0" if "tansu" in b else "#dd8452" for b in bars]
        )
        ax.set_title(title, fontsize=10)
        ax.tick_params(axis="x", labelrotation=30, labelsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return True
