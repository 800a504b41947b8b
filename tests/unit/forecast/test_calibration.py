"""Scoring a told range against the wait a patient had."""

from __future__ import annotations

from services.forecast.domain.calibration import Told, score
from services.forecast.domain.wording import shown_range, usually


def test_calibration_is_the_share_called_inside_the_range_told() -> None:
    told = [
        Told("forecast", 4, 3600, 5400, 7200, 4000),  # inside
        Told("forecast", 4, 3600, 5400, 7200, 9000),  # called later: told too short
        Told("forecast", 4, 3600, 5400, 7200, 3000),  # sooner
        Told("forecast", 4, 3600, 5400, 7200, 6000),  # inside
    ]
    st = score(told)["forecast"]["4"]
    assert st["n"] == 4
    assert st["calibration"] == 0.5
    assert st["told_too_short"] == 0.25


def test_bias_is_negative_when_patients_are_told_too_short() -> None:
    told = [Told("old", 5, 0, 1000, 2000, 4000), Told("old", 5, 0, 2000, 3000, 4000)]
    st = score(told)["old"]["5"]
    assert st["bias"] < 0
    assert st["point_error"] == st["bias"] * -1


def test_the_range_shown_is_rounded_outward_and_worded_plainly() -> None:
    r = shown_range(3700.0, 6000.0, 10_000.0)
    assert r.low_s == 3600.0 and r.high_s == 10_800.0
    assert usually(3700.0, 6000.0, 10_000.0, "en") == "usually 1–3 h"
    assert usually(600.0, 900.0, 1300.0) == "oftast 10–25 min"
