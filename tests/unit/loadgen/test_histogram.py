"""The latency histogram keeps the tail: percentiles within its bucket resolution."""

import random

import pytest

from services.loadgen.histogram import LatencyHistogram


def exact(values: list[float], p: float) -> float:
    ordered = sorted(values)
    import math

    return ordered[max(1, math.ceil(p / 100 * len(ordered))) - 1]


@pytest.mark.parametrize("p", [50, 90, 99, 99.9, 100])
def test_percentiles_are_within_two_percent_of_the_exact_value(p: float) -> None:
    rng = random.Random(7)
    values = [rng.lognormvariate(-5, 1.5) for _ in range(20_000)]  # ~7 ms median, long tail
    h = LatencyHistogram.of(values)
    got = h.percentile_ms(p)
    want = exact(values, p) * 1000
    assert got is not None
    assert want * 0.999 - 0.001 <= got <= want * 1.02 + 0.001


def test_a_single_slow_request_shows_up_as_the_max_and_the_p999() -> None:
    h = LatencyHistogram.of([0.001] * 999 + [2.5])
    assert h.percentile_ms(50) == pytest.approx(1.0, rel=0.02)
    assert h.percentile_ms(99.9) == pytest.approx(1.0, rel=0.02)
    assert h.summary()["max"] == pytest.approx(2500.0)
    assert h.percentile_ms(100) == pytest.approx(2500.0, rel=0.02)


def test_merged_histograms_equal_one_histogram_of_all_values() -> None:
    a, b = LatencyHistogram.of([0.001, 0.002]), LatencyHistogram.of([0.3, 0.0005])
    a.merge(b)
    whole = LatencyHistogram.of([0.001, 0.002, 0.3, 0.0005])
    assert a.counts == whole.counts and a.count == 4
    assert (a.min_us, a.max_us) == (whole.min_us, whole.max_us)


def test_an_empty_histogram_reports_no_percentiles() -> None:
    assert LatencyHistogram().summary()["p99"] is None
