"""The PNG: queue depth by urgency over the simulated time, waits by hour of arrival, staffing."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # no display: files only
import matplotlib.pyplot as plt  # noqa: E402

from services.observability.figures import save_figure
from services.queue_model.engine import RegionResult  # noqa: E402
from services.queue_model.frames import URGENCIES  # noqa: E402
from services.simulate.domain.metrics import percentile  # noqa: E402

_COLOURS = {1: "#b2182b", 2: "#ef8a62", 3: "#d6b656", 4: "#67a9cf", 5: "#2166ac"}


def plot_run(res: RegionResult, frames: dict[int, float], path: Path, title: str) -> Path:
    """Write depth, p90 wait per arrival hour (with each urgency's frame) and clinicians on duty."""
    fig, (depth, waits, staff) = plt.subplots(
        3, 1, figsize=(11, 9), sharex=True, gridspec_kw={"height_ratios": [2, 2, 1]}
    )
    hours = list(range(len(res.depth)))
    depth.stackplot(
        hours,
        [[d[u - 1] for d in res.depth] for u in URGENCIES],
        labels=[f"prio {u}" for u in URGENCIES],
        colors=[_COLOURS[u] for u in URGENCIES],
    )
    depth.set_ylabel("patients waiting")
    depth.legend(fontsize=8, loc="upper left", ncol=5)
    for u in URGENCIES:
        by_hour: dict[int, list[float]] = {}
        for t, w in zip(res.wait_t[u], res.waits[u], strict=True):
            by_hour.setdefault(int(t // 3600), []).append(w)
        pts = sorted((h, percentile(sorted(ws), 90) / 3600) for h, ws in by_hour.items())
        if pts:
            waits.plot(
                [h for h, _ in pts],
                [max(w, 1 / 60) for _, w in pts],
                ".-",
                ms=2,
                lw=0.8,
                color=_COLOURS[u],
                label=f"prio {u} p90",
            )
            waits.axhline(frames[u] / 3600, color=_COLOURS[u], ls=":", lw=0.8)
    waits.set_yscale("log")
    waits.set_ylabel("wait by hour of arrival (h, log)\ndotted: time frame")
    waits.legend(fontsize=8, loc="upper left", ncol=5)
    staff.step(hours, res.on_duty, where="post", color="k")
    staff.set_ylabel("clinicians on duty")
    staff.set_xlabel("hours since the start (day ticks)")
    staff.set_xticks(range(0, len(hours) + 1, 24))
    for ax in (depth, waits, staff):
        ax.grid(True, alpha=0.3)
    depth.set_title(title, fontsize=10)
    return save_figure(fig, path)
