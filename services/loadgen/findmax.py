"""Find the maximum sustained rate: step the open-loop rate up until a p99 bound is
exceeded, errors appear, or the system (or the generator) stops keeping up."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

from services.loadgen.run import run_load
from services.loadgen.settings import LoadSettings


@dataclasses.dataclass(frozen=True)
class Bounds:
    ingress_p99_ms: float = 10.0
    your_turn_p99_ms: float = 20.0
    sms_p99_ms: float = 50.0
    min_rate_fraction: float = 0.95  # achieved/intended send rate


def judge(result: dict[str, Any], intended_rate: float, bounds: Bounds) -> list[str]:
    """Why this step does not count as sustained (empty: it does)."""
    why = []
    lat = result["latency_ms"]
    for name, bound in (
        ("ingress", bounds.ingress_p99_ms),
        ("serve_to_your_turn", bounds.your_turn_p99_ms),
        ("serve_to_sms", bounds.sms_p99_ms),
    ):
        p99 = lat.get(name, {}).get("p99")
        if p99 is not None and p99 > bound:
            why.append(f"{name} p99 {p99:.1f} ms > {bound:g} ms")
    e = result["errors"]
    errors = e["http_4xx"] + e["http_429"] + e["http_5xx"] + e["timeouts"] + e["transport"]
    if errors:
        why.append(f"{errors} errors")
    achieved = result["throughput_per_s"]["submitted"]
    if achieved < bounds.min_rate_fraction * intended_rate:
        why.append(f"sent {achieved}/s of {intended_rate:g}/s intended")
    if not result["accounting"]["ok"]:
        why.extend(result["accounting"]["problems"])
    return why


async def find_max(
    base: LoadSettings,
    start_rate: float,
    factor: float,
    max_steps: int,
    bounds: Bounds,
    serve_ratio: float,
    retries: int = 1,
    on_step: Callable[[dict[str, Any]], None] | None = None,
) -> dict[str, Any]:
    """Run steps of ``base.duration_s`` at start_rate, start_rate*factor, ...; stop at the first step
    that fails ``retries + 1`` times in a row."""
    steps: list[dict[str, Any]] = []
    best: float | None = None
    last: dict[str, Any] = {}
    rate = start_rate
    for i in range(max_steps):
        step = dataclasses.replace(
            base,
            rate=rate,
            count=None,
            serve_rate=rate * serve_ratio if serve_ratio > 0 else 0.0,
            label=f"{base.label} step {i + 1} @ {rate:g}/s".strip(),
        )
        for attempt in range(1 + retries):  # a shared machine hiccups: one bad step may be noise
            last = await run_load(step)
            why = judge(last, rate, bounds)
            if not why:
                break
            if on_step and attempt < retries:
                on_step({"rate": rate, "sustained": False, "why_not": why + ["(retrying once)"]})
        summary = {
            "rate": rate,
            "sustained": not why,
            "why_not": why,
            "p99_ms": {k: v.get("p99") for k, v in last["latency_ms"].items()},
            "throughput_per_s": last["throughput_per_s"],
            "accounting_ok": last["accounting"]["ok"],
        }
        steps.append(summary)
        if on_step:
            on_step(summary)
        if why:
            break
        best = rate
        rate = rate * factor
    return {
        "max_sustained_rate": best,
        "bounds": dataclasses.asdict(bounds),
        "steps": steps,
        "last_step": last,
    }
