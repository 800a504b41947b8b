"""The ETA-error run's outputs: a Markdown table on stdout (pasteable into docs/performance.md)
and a PNG: estimated vs actual wait per urgency, the CDF of |error| per urgency and basis, and
every sample's error over the time since the region opened (with the table by phase)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from services.loadgen.eta_error import BASES, PHASES
from services.observability.figures import save_figure

_URGENCY_COLOURS = {1: "#b2182b", 2: "#ef8a62", 3: "#999999", 4: "#67a9cf", 5: "#2166ac"}


def table(result: dict[str, Any], kinds: tuple[str, ...] = ("entry", "later")) -> str:
    """Per kind, basis and urgency: n, p50/p90 |estimated - actual|, bias, range shares."""
    eta = result["eta"]
    rows = [
        "| sample | basis | prio | n (cases) | p50 \\|err\\| min | p90 \\|err\\| min | median err min "
        "| p50 actual min | p50 \\|err\\|/actual | in shown range | in unrounded range |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for kind in kinds:
        for basis in BASES:
            for urgency, st in sorted(eta["errors"].get(kind, {}).get(basis, {}).items()):
                rows.append(
                    f"| {kind} | {basis} | {urgency} | {_error_cells(st)} "
                    f"| {_f(st['rel_error_p50'], 2)} | {st['in_range']:.0%} | {st['in_band']:.0%} |"
                )
    return "\n".join(rows)


def phase_table(result: dict[str, Any]) -> str:
    """Every sample (entry and later) by phase: closed, the first rate window after opening, after."""
    rows = [
        "| phase | prio | n (cases) | p50 \\|err\\| min | p90 \\|err\\| min | median err min | p50 actual min "
        "| in unrounded range |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name in PHASES:
        for urgency, st in sorted(result["eta"]["by_phase"].get(name, {}).items()):
            rows.append(f"| {name} | {urgency} | {_error_cells(st)} | {st['in_band']:.0%} |")
    return "\n".join(rows)


def _error_cells(st: dict[str, Any]) -> str:
    """The cells both tables share: n (cases), p50 and p90 |error|, median error, p50 actual."""
    return (
        f"{st['n']} ({st['cases']}) | {_f(st['abs_error_p50_min'])} | {_f(st['abs_error_p90_min'])} "
        f"| {_f(st['error_p50_min'])} | {_f(st['actual_p50_min'])}"
    )


def headline(result: dict[str, Any]) -> str:
    """The lines under the table: what was run and what was not scored."""
    s, c, eta = result["settings"], result["counts"], result["eta"]
    implied = eta["capacity_implied_per_hour_p50"]
    configured = s["capacity_per_hour"] * s["time_scale"]
    lines = [
        f"region {s['region']}, time x{s['time_scale']:g}: capacity {s['capacity_per_hour']:g} calls/staffed h "
        f"(model) = {s['serve_rate_per_s']:.3g} ServeNext/s, load {s['load']:g}, window {s['window_s']:g} s "
        f"(model); closed for the first {result['phases_s'].get('closed_s', 0):.0f} s real",
        f"submitted {c['submitted']}, queued {c['queued']}, called {c['called']}, "
        f"duplicate calls {c['duplicate_calls']}, not called (unscored) {eta['not_called']}",
    ]
    if s["time_scale"] != 1:
        lines.append(
            f"'in shown range': the model rounds the range outward to 5 real minutes (= {5 * s['time_scale']:g} "
            f"model minutes at x{s['time_scale']:g}), so here it holds almost every wait; judge the range by "
            "'in unrounded range' (0.75x..1.5x of the staffed part), or run at --time-scale 1"
        )
    if implied is not None and abs(implied - configured) > 0.1 * configured:
        lines.append(
            f"WARNING: capacity-basis estimates imply {implied:.0f} calls/h (real time), the clinicians "
            f"served {configured:.0f}/h: the model is not configured like the run (see eta_settings.py)"
        )
    return "\n".join(lines)


def _f(value: float | None, digits: int = 1) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def plot(result: dict[str, Any], path: Path) -> Path:
    """Write the PNG to ``path`` and return it."""
    import matplotlib  # the loadgen extra; imported only when plotting

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ((scatter, cdf), (drift, spare)) = plt.subplots(2, 2, figsize=(13, 11))
    spare.axis("off")
    points = result["points"]
    top = max([max(p[3], p[4]) for p in points] or [1.0])
    for urgency, colour in _URGENCY_COLOURS.items():
        for kind, size, alpha in (("later", 4, 0.15), ("entry", 18, 0.8)):
            pts = [p for p in points if p[0] == urgency and p[1] == kind]
            if pts:
                scatter.scatter(
                    [p[4] for p in pts],
                    [p[3] for p in pts],
                    s=size,
                    alpha=alpha,
                    color=colour,
                    marker="o" if kind == "entry" else ".",
                    label=f"Prio {urgency} at entry" if kind == "entry" else None,
                )
    scatter.plot([0, top], [0, top], "k--", lw=1, label="estimate = actual")
    scatter.set_xlabel("actual remaining wait (min, model time)")
    scatter.set_ylabel("estimated wait, point (min, model time)")
    scatter.set_title("estimate vs actual (dots: later re-samples)")
    scatter.grid(True, alpha=0.3)
    scatter.legend(fontsize=8)
    for urgency, colour in _URGENCY_COLOURS.items():
        for basis, style in (("capacity", ":"), ("recent_rate", "-")):
            errs = sorted(
                abs(p[3] - p[4]) for p in points if p[0] == urgency and p[1] == "entry" and p[2] == basis
            )
            if errs:
                ys = [(i + 1) / len(errs) for i in range(len(errs))]
                cdf.step(
                    errs,
                    ys,
                    style,
                    where="post",
                    color=colour,
                    label=f"Prio {urgency} {basis} (n={len(errs)})",
                )
    cdf.set_xlabel("|estimated - actual| at entry (min, model time)")
    cdf.set_ylabel("share of patients")
    cdf.set_title("error CDF at queue entry (dotted: capacity basis)")
    cdf.grid(True, alpha=0.3)
    cdf.legend(fontsize=7)
    s = result["settings"]
    for urgency, colour in _URGENCY_COLOURS.items():
        pts = [p for p in points if p[0] == urgency]
        if pts:
            drift.scatter([p[5] for p in pts], [p[3] - p[4] for p in pts], s=4, alpha=0.4, color=colour)
    drift.axvline(0, color="k", lw=1)
    drift.axvline(s["window_s"] / 60, color="k", lw=1, ls=":")
    drift.axhline(0, color="k", lw=0.5)
    drift.set_xlabel("sampled at, min since the region opened (dotted: one rate window later; model time)")
    drift.set_ylabel("estimated - actual (min; > 0: told too long)")
    drift.set_title("every sample over time, coloured by urgency")
    drift.grid(True, alpha=0.3)
    spare.text(0, 1, phase_table(result).replace("\\|", "|"), family="monospace", fontsize=6, va="top")
    fig.suptitle(
        f"ETA error, {s['region']}, time x{s['time_scale']:g}, capacity {s['capacity_per_hour']:g}/h, "
        f"load {s['load']:g} ({result['machine']['nproc']} cores, load avg {result['machine']['loadavg'][0]:.1f})"
    )
    return save_figure(fig, path, dpi=100)
