"""The simulator against the running system: same arrivals, same clinician, same call order.

The scenario is time-scaled (consultations of 1-2.5 s instead of minutes) so the live run
takes about half a minute. Arrivals are kept at least MARGIN_S away from the moments the
clinician becomes free, so that which patient is waiting at each ServeNext does not depend
on a few milliseconds of broker latency; within that, the order must be identical and each
first-call wait must agree within TOLERANCE_S (the live wait includes the broker and queue
latency of the ServeNext; the simulator's does not). See docs/simulate.md.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import os
import random
import subprocess
import sys

import pytest

from proto import topics
from services.queue_model.engine import simulate_region
from services.queue_model.scenario import DEFAULT_START, Arrival, CaseModel, Scenario
from services.simulate.domain.history import read_history
from tests.support.queue_io import publish_raw
from tests.support.sim_live import run_live
from tests.support.stack import Stack, wait_until

pytestmark = pytest.mark.e2e
REGION = "SE-C"
NO_SHOW_S = 0.8
MARGIN_S = 0.5
TOLERANCE_S = 0.45


def _free_instants(sc: Scenario) -> list[float]:
    res = simulate_region(sc, REGION, [1] * 168, no_show_s=NO_SHOW_S, record_calls=True)
    seen: dict[str, int] = {}
    out = []
    for case, t in zip(res.calls, res.call_times, strict=True):
        idx = int(case[1:])
        tries = seen.get(case, 0)
        seen[case] = tries + 1
        out.append(t + (NO_SHOW_S if tries < sc.arrivals[idx].no_shows else sc.arrivals[idx].consult_s))
    return out


def crosscheck_scenario(seed: int = 16, patients: int = 14) -> Scenario:
    """Mixed urgencies arriving while one clinician is busy, one patient missing a call;
    arrivals nudged until none is within MARGIN_S of a moment the clinician is free."""
    rng = random.Random(seed)
    times, t = [], 0.3
    for _ in range(patients):
        t += rng.uniform(0.4, 2.2)
        times.append(round(t, 2))
    spec = [(rng.randint(1, 5), round(rng.uniform(1.0, 2.5), 1), 1 if i == 2 else 0) for i in range(patients)]
    for _ in range(200):
        sc = Scenario(
            tuple(Arrival(times[i], REGION, u, c, k) for i, (u, c, k) in enumerate(spec)),
            DEFAULT_START,
            times[-1] + 1,
        )
        free = _free_instants(sc)
        clash = next((i for i, a in enumerate(times) if any(abs(a - f) < MARGIN_S for f in free)), None)
        if clash is None:
            return sc
        times = times[:clash] + [round(x + MARGIN_S * 1.2, 2) for x in times[clash:]]
    raise AssertionError("could not build a scenario with the margins")


def test_the_simulator_and_the_live_queue_call_patients_in_the_same_order_with_the_same_waits(
    stack: Stack,
) -> None:
    sc = crosscheck_scenario()
    sim = simulate_region(sc, REGION, [1] * 168, no_show_s=NO_SHOW_S, record_calls=True)
    assert (
        len(set(sim.calls)) == len(sc.arrivals) and len(sim.calls) == len(sc.arrivals) + 1
    )  # one missed call
    assert sorted(sim.calls) != sim.calls, "the scenario must reorder patients, or order says little"

    stack.start(("queue",))
    wait_until(lambda: stack.get("queue", "/readyz")[0] == 200, 60, "the queue to be ready")
    since = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
    live = run_live(stack.kafka, sc, REGION, NO_SHOW_S)

    prefix = f"{stack.kafka.namespace}-"
    assert [c.removeprefix(prefix) for c, _ in live] == sim.calls
    sim_waits = [t - sc.arrivals[int(c[1:])].t for c, t in zip(sim.calls, sim.call_times, strict=True)]
    diffs = [
        live_wait - sim_wait
        for (_, live_wait), sim_wait in zip(live, sim_waits, strict=False)
        if not math.isnan(live_wait)
    ]
    print(
        f"live - simulated first-call wait: min {min(diffs):+.3f}s max {max(diffs):+.3f}s over {len(diffs)}"
    )
    for (case, live_wait), sim_wait in zip(live, sim_waits, strict=False):
        if not math.isnan(live_wait):
            assert abs(live_wait - sim_wait) <= TOLERANCE_S, (case, live_wait, sim_wait)

    # The same period exported from the topics and replayed: same order, no personal data.
    publish_raw(stack.kafka, topics.QUEUE_EVENTS, REGION.encode(), b'{"type": "queue.batch-marker.v9"}')
    out = stack.workdir / "history.jsonl"
    until = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=1)
    env = {
        **os.environ,
        "KAFKA_BOOTSTRAP_SERVERS": stack.kafka.bootstrap_servers,
        "TRIAGE_NAMESPACE": stack.kafka.namespace,
    }
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "services.cli",
            "history",
            "export",
            "--since",
            since.isoformat(),
            "--until",
            until.isoformat(),
            "--out",
            str(out),
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "1 records of other or unknown types skipped" in done.stdout
    text = out.read_text()
    assert stack.kafka.namespace not in text and "p-" not in text and "sim-live" not in text
    kinds = [json.loads(line)["kind"] for line in text.splitlines()]
    assert kinds.count("arrival") == len(sc.arrivals)
    assert kinds.count("called") == len(sim.calls) and kinds.count("no_show") == 1
    closings = [row for line in text.splitlines() if (row := json.loads(line))["kind"] == "closed"]
    assert closings and {row.get("outcome") for row in closings} == {"advice"}  # the kind, never advice text
    replay = read_history(out, CaseModel(no_show_s=NO_SHOW_S))
    again = simulate_region(replay, REGION, [1] * 168, no_show_s=NO_SHOW_S, record_calls=True)
    assert again.calls == sim.calls  # ordinals follow arrival order, as the simulator's c<i> ids do
    assert {a.outcome for a in replay.arrivals} == {"advice"}
