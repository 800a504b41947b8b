"""The PNG: latency percentiles over time, queue depth over time, and the send rates."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from services.observability.figures import save_figure

_CURVES = (
    ("ingress", "submission -> answer"),
    ("accepted_to_queued", "accepted -> CaseQueued"),
    ("serve_to_your_turn", "ServeNext -> YourTurn"),
    ("serve_to_sms", "ServeNext -> SMS"),
)
_URGENCY_COLOURS = {"1": "#b2182b", "2": "#ef8a62", "3": "#fddbc7", "4": "#d1e5f0", "5": "#67a9cf"}


def plot_result(result: dict[str, Any], path: Path) -> Path:
    """Write the run's plot to ``path`` (PNG) and return it."""
    import matplotlib  # the loadgen extra (services/loadgen/extras.py); imported only when plotting

    matplotlib.use("Agg")  # no display: files only
    import matplotlib.pyplot as plt

    s = result["series"]
    fig, (lat, depth, rate) = plt.subplots(
        3, 1, figsize=(11, 10), sharex=True, gridspec_kw={"height_ratios": [3, 2, 1.2]}
    )
    for i, (name, label) in enumerate(_CURVES):
        colour = f"C{i}"
        for p, style in ((50, ":"), (99, "-")):
            ys = s.get(f"{name}_p{p}_ms")
            if ys and any(y is not None for y in ys):
                pts = [(t, y) for t, y in zip(s["t"], ys, strict=False) if y is not None]
                lat.plot([t for t, _ in pts], [y for _, y in pts], style, color=colour, label=f"{label} p{p}")
    lat.set_yscale("log")
    lat.set_ylabel("latency per second (ms, log)")
    lat.grid(True, which="both", alpha=0.3)
    lat.legend(fontsize=8, ncol=2, loc="upper left")
    summary = result["latency_ms"]
    notes = [
        f"{n}: p99 {summary[n]['p99']:.1f} ms, max {summary[n]['max']:.1f} ms"
        for n, _ in _CURVES
        if n in summary and summary[n]["count"]
    ]
    lat.set_title(
        f"triage loadgen {result['label']}  {result['started_at'][:19]}Z\n"
        + " | ".join(notes[:2])
        + "\n"
        + " | ".join(notes[2:]),
        fontsize=9,
    )

    samples = s["depth"]
    if samples:
        ts = [x["t"] for x in samples]
        stacks = [[x["by_urgency"][u] for x in samples] for u in "12345"]
        depth.stackplot(
            ts,
            stacks,
            labels=[f"prio {u}" for u in "12345"],
            colors=[_URGENCY_COLOURS[u] for u in "12345"],
            alpha=0.9,
        )
        http = [(x["t"], x["http_waiting"]) for x in samples if x["http_waiting"] is not None]
        if http:
            depth.plot(
                [t for t, _ in http],
                [w for _, w in http],
                "k--",
                lw=1,
                label="queue view: waiting (all cases)",
            )
    depth.set_ylabel("cases waiting")
    depth.legend(fontsize=8, loc="upper left", ncol=3)
    depth.grid(True, alpha=0.3)

    rate.step(s["t"], s["submitted"], where="post", label="submissions/s")
    rate.step(s["t"], s["serve_next"], where="post", label="ServeNext/s")
    rate.set_ylabel("sent per s")
    rate.set_xlabel("seconds since start")
    rate.legend(fontsize=8, loc="upper left")
    rate.grid(True, alpha=0.3)
    return save_figure(fig, path)
