"""Scoring the estimated waits patients were shown against the moment they were called."""

import math

from services.loadgen.eta_error import EtaSample, percentile, phase, summarise


def sample(
    case_id: str,
    urgency: int = 3,
    point: float = 60.0,
    at: float = 1000.0,
    kind: str = "entry",
    basis: str = "recent_rate",
    low: float = 0.0,
    high: float = 300.0,
    closed: float = 0.0,
    position: int = 1,
) -> EtaSample:
    return EtaSample(case_id, urgency, kind, basis, at, position, point, low, high, closed)


def test_a_patient_called_later_than_told_counts_the_difference_as_a_negative_error() -> None:
    out = summarise([sample("c1", point=60.0, at=1000.0)], {"c1": 1100.0})
    st = out["errors"]["entry"]["recent_rate"]["3"]
    assert st["n"] == 1
    assert st["abs_error_p50_min"] == round(40 / 60, 3)  # told 60 s, waited 100 s
    assert st["error_p50_min"] == round(-40 / 60, 3)
    assert st["actual_p50_min"] == round(100 / 60, 3)


def test_errors_are_reported_in_minutes_of_model_time_when_the_run_is_compressed() -> None:
    out = summarise([sample("c1", point=10.0, at=0.0)], {"c1": 4.0}, time_scale=60.0)
    st = out["errors"]["entry"]["all"]["all"]
    assert st["abs_error_p50_min"] == 6.0  # 6 real seconds x 60 = 6 model minutes
    assert st["rel_error_p50"] == 1.5


def test_each_urgency_and_each_basis_is_scored_apart_and_together() -> None:
    samples = [
        sample("a", urgency=1, point=10.0, basis="capacity"),
        sample("b", urgency=5, point=10.0, basis="recent_rate"),
        sample("b", urgency=5, point=5.0, kind="later", at=1005.0, basis="recent_rate"),
    ]
    out = summarise(samples, {"a": 1010.0, "b": 1100.0})
    errors = out["errors"]
    assert errors["entry"]["capacity"]["1"]["abs_error_p50_min"] == 0.0
    assert errors["entry"]["recent_rate"]["5"]["abs_error_p50_min"] == round(90 / 60, 3)
    assert errors["entry"]["all"]["all"]["n"] == 2
    assert errors["later"]["recent_rate"]["5"]["actual_p50_min"] == round(95 / 60, 3)
    assert "capacity" not in errors["later"]


def test_a_case_never_called_is_counted_but_not_scored() -> None:
    out = summarise([sample("gone", urgency=4), sample("c1")], {"c1": 1060.0})
    assert out["not_called"] == {"4": 1}
    assert "4" not in out["errors"]["entry"]["all"]


def test_the_shown_range_and_the_unrounded_range_are_judged_separately() -> None:
    # told 100 s, shown 0-300 s; waited 200 s: inside what was shown, outside 0.75x..1.5x of the point
    out = summarise([sample("c1", point=100.0, low=0.0, high=300.0)], {"c1": 1200.0})
    st = out["errors"]["entry"]["all"]["all"]
    assert (st["in_range"], st["in_band"]) == (1.0, 0.0)


def test_the_unrounded_range_of_a_closed_region_widens_only_the_staffed_part() -> None:
    # closed for 60 s, then 40 s of staffed wait: band = 60 + [30, 60] s
    inside = summarise([sample("c1", point=100.0, closed=60.0)], {"c1": 1095.0})
    outside = summarise([sample("c1", point=100.0, closed=60.0)], {"c1": 1085.0})
    assert inside["errors"]["entry"]["all"]["all"]["in_band"] == 1.0
    assert outside["errors"]["entry"]["all"]["all"]["in_band"] == 0.0


def test_capacity_estimates_reveal_the_capacity_the_model_assumed() -> None:
    # Prio 2 at position 2, 27 s of staffed wait after 60 s closed: 1.5 calls per 27 s = 200 calls/hour
    prio2 = sample("c1", urgency=2, point=87.0, closed=60.0, position=2, basis="capacity")
    out = summarise([prio2], {"c1": 1100.0})
    assert math.isclose(out["capacity_implied_per_hour_p50"], 200.0)
    # a Prio 3 estimate is stretched by more urgent arrivals: it says nothing about the capacity
    prio3 = sample("c2", urgency=3, point=87.0, closed=60.0, position=2, basis="capacity")
    assert summarise([prio3], {"c2": 1100.0})["capacity_implied_per_hour_p50"] is None


def test_percentile_is_nearest_rank_and_none_for_no_values() -> None:
    assert percentile([], 0.5) is None
    assert percentile([3.0, 1.0, 2.0], 0.5) == 2.0
    assert percentile([float(i) for i in range(1, 11)], 0.9) == 9.0


def test_samples_are_split_into_closed_first_rate_window_and_steady_phases() -> None:
    assert [phase(t, opened_at=100.0, window_s=15.0) for t in (99.9, 100.0, 114.9, 115.0)] == [
        "closed",
        "first_window",
        "first_window",
        "steady",
    ]
    samples = [sample("a", at=90.0), sample("b", at=105.0), sample("b", at=130.0, kind="later")]
    out = summarise(samples, {"a": 200.0, "b": 200.0}, opened_at=100.0, window_s=15.0)
    assert {name: st["all"]["n"] for name, st in out["by_phase"].items()} == {
        "closed": 1,
        "first_window": 1,
        "steady": 1,
    }
    assert summarise(samples, {"a": 200.0})["by_phase"] == {}  # no opening given: no phases
