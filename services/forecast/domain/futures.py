"""Monte-Carlo futures of one region, run through the simulator and so through the queue's own core.

One future: the cases waiting now (in their queue order: urgency, then queued_at) plus arrivals
drawn from the learned demand, served by the planned clinicians at the learned pace, with
consultation times and no-shows drawn per patient; the simulator (``simulate_region``) sends
every arrival, ServeNext, MarkNoShow and CompleteCase through ``handle``, so who is called
when is decided by the same rules as live. Nothing here orders patients.

Each future draws its own arrival rates (``draw_week``: the learned rate is uncertain, and
a future must be as unsure of it as the history allows), then Poisson arrivals at those rates.

Determinism: future ``r`` draws its rates from ``Random(f"{seed}:{r}:rates")``, its patients
from ``Random(f"{seed}:{r}")`` and the arrivals of each clock hour from
``Random(f"{seed}:{r}:{hour}")``, so a longer run (the span doubles
until every case waiting now was called) sees the same first hours, and one seed gives one
forecast.

Costs: per future, the simulator's few handle calls per patient over the span it needs
(``docs/performance.md``, "Wait forecast"); a future stops at the first hour boundary after
the last case waiting now was called, once the breach horizon is covered.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from services.forecast.domain.demand import how_of
from services.forecast.domain.plan import StaffPlan
from services.queue.domain.state import QueuePolicy
from services.queue_model.engine import RegionResult, simulate_region
from services.queue_model.scenario import Arrival, CaseModel, Scenario

# heads-ups decide nothing about the order; leaving them out saves their estimate on every call
FUTURE_POLICY = QueuePolicy(answer_memory=16, heads_up_position=0)
NO_SHOW_S = 120.0  # a missed call keeps the clinician this long (the simulator's default)


@dataclass(frozen=True)
class Waiting:
    """A case waiting now: its id, urgency and when it joined the queue (epoch seconds)."""

    case_id: str
    urgency: int
    queued_at: float


@dataclass(frozen=True)
class Inputs:
    """Everything one forecast of one region needs (all learned or planned beforehand)."""

    region: str
    now: dt.datetime
    waiting: Sequence[Waiting]
    week: Sequence[float]  # expected arrivals per hour of the week (all urgencies)
    mix: Mapping[int, float]  # urgency shares of arrivals
    plan: StaffPlan
    no_show_rate: float
    consult_s: Mapping[int, float]  # mean consultation per urgency
    consult_cv: float = 0.5
    # per hour of the week: how many hour-observations ``week`` rests on (the Gamma posterior's
    # rate, ``Demand.posterior``); empty: the rate is known and only the arrivals are random
    week_weight: Sequence[float] = ()
    # consultations under way now: (urgency, seconds since the call); their clinicians are busy
    # at the start until the consultation, drawn given how long it has lasted, is over
    consulting: Sequence[tuple[int, float]] = ()


def draw_week(inputs: Inputs, rng: random.Random) -> Sequence[float]:
    """One future's arrival rate per hour of the week, drawn from its posterior (the learned
    rate is an estimate: a future drawn around it alone would be too sure of it)."""
    if not inputs.week_weight:
        return inputs.week
    return [
        rng.gammavariate(mean * w, 1.0 / w) if mean > 0 else 0.0
        for mean, w in zip(inputs.week, inputs.week_weight, strict=True)
    ]


def _remaining(model: CaseModel, urgency: int, elapsed: float, rng: random.Random) -> float:
    """What is left of a consultation that has lasted ``elapsed``: a consultation drawn until it
    is longer than that (rejection; a few tries, then a minute)."""
    for _ in range(20):
        c = model.consult(urgency, rng)
        if c > elapsed:
            return c - elapsed
    return 60.0


@dataclass
class Future:
    """One future's outcome: when each case waiting now was first called (seconds from now, inf:
    not within the longest span), and the arrivals of the future with their first calls."""

    called_in: list[float]
    arrivals: list[tuple[float, int, float]]  # (arrived, urgency, called) seconds from now; inf = never


def case_model(inputs: Inputs) -> CaseModel:
    """Consultation times per urgency and no-shows as learned."""
    return CaseModel(
        dict(inputs.consult_s),
        consult_cv=inputs.consult_cv,
        no_show_rate=inputs.no_show_rate,
        no_show_s=NO_SHOW_S,
    )


def _arrivals(
    inputs: Inputs, week: Sequence[float], seed: str, first_hour: int, t0: float, span_s: float
) -> list[tuple[float, int]]:
    """Poisson arrivals (t since the first hour's start, urgency) in [t0, span_s)."""
    urgencies = list(inputs.mix)
    weights = [inputs.mix[u] for u in urgencies]
    out: list[tuple[float, int]] = []
    for k in range(int(t0 // 3600), math.ceil(span_s / 3600)):
        rate = week[how_of(first_hour + k)] / 3600.0
        if rate <= 0:
            continue
        rng = random.Random(f"{seed}:{first_hour + k}")
        t, end = max(t0, k * 3600.0), min(span_s, (k + 1) * 3600.0)
        while True:
            t += rng.expovariate(rate)
            if t >= end:
                break
            out.append((t, rng.choices(urgencies, weights)[0]))
    return out


def run_future(
    inputs: Inputs, seed: str, min_span_s: float, max_span_s: float, track: frozenset[int] | None = None
) -> Future:
    """One future, its span doubled from ``min_span_s`` until every waiting case was called
    (only those at the indexes in ``track``, when given: the benchmark asks about one)."""
    start = inputs.now.replace(minute=0, second=0, microsecond=0).astimezone(dt.UTC)
    first_hour = int(start.timestamp() // 3600)
    t0 = (inputs.now - start).total_seconds()
    model = case_model(inputs)
    rng = random.Random(seed)
    week = draw_week(inputs, random.Random(f"{seed}:rates"))
    waiting = [
        Arrival(
            w.queued_at - start.timestamp(),
            inputs.region,
            w.urgency,
            model.consult(w.urgency, rng),
            model.misses(rng),
        )
        for w in inputs.waiting
    ]
    n = len(waiting)
    # a consultation under way: a Prio 1 case ahead of everyone, called at once by a free
    # clinician and keeping them its remaining time (never tracked, never a breach)
    ahead = min((a.t for a in waiting), default=t0) - 1.0
    busy = [Arrival(ahead, inputs.region, 1, _remaining(model, u, e, rng), 0) for u, e in inputs.consulting]
    b = len(busy)
    need = frozenset(range(n)) if track is None else track
    span = t0 + max(3600.0, min_span_s)
    while True:
        drawn = _arrivals(inputs, week, seed, first_hour, t0, span)
        later = [Arrival(t, inputs.region, u, model.consult(u, rng), model.misses(rng)) for t, u in drawn]
        res = _simulate(
            inputs, Scenario((*waiting, *busy, *later), start, span), t0, first_hour, need, t0 + min_span_s
        )
        first = _first_calls(res)
        called_in = [first.get(i, math.inf) - t0 for i in range(n)]
        if all(called_in[i] < math.inf for i in need) or span - t0 >= max_span_s:
            return Future(
                called_in,
                [(a.t - t0, a.urgency, first.get(n + b + j, math.inf) - t0) for j, a in enumerate(later)],
            )
        span = t0 + min(max_span_s, 2 * (span - t0))  # >= 1 h to start with: it grows


def _simulate(
    inputs: Inputs, scenario: Scenario, t0: float, first_hour: int, need: frozenset[int], until_s: float
) -> RegionResult:
    """Run one future; stop at the first hour boundary after ``until_s`` once all waiting now were called."""
    called: set[int] = set()
    looked = [0]
    h0 = int(t0 // 3600)

    def enough(res: RegionResult) -> bool:
        calls = res.calls
        for case_id in calls[looked[0] :]:
            i = int(case_id[1:])
            if i in need:
                called.add(i)
        looked[0] = len(calls)
        boundary = (h0 + len(res.on_duty) - 1) * 3600.0
        return len(called) >= len(need) and boundary >= until_s

    return simulate_region(
        scenario,
        inputs.region,
        (),
        drain_s=0.0,
        record_calls=True,
        policy=FUTURE_POLICY,
        start_t=t0,
        staff=lambda k: inputs.plan.clinicians(first_hour + k),
        no_show_s=NO_SHOW_S,
        stop=enough,
    )


def _first_calls(res: RegionResult) -> dict[int, float]:
    """Case index -> time of its first call."""
    first: dict[int, float] = {}
    for case_id, t in zip(res.calls, res.call_times, strict=True):
        first.setdefault(int(case_id[1:]), t)
    return first
