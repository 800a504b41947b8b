"""triage loadgen never touches live queues unless told to with --live, and then says so loudly."""

from __future__ import annotations

import pytest

from services.cli import build_parser
from services.loadgen.cli import LIVE_WARNING, command


def test_naming_a_running_intake_without_live_is_refused_before_anything_is_sent(
    capsys: pytest.CaptureFixture[str],
) -> None:
    args = build_parser().parse_args(["loadgen", "--intake-url", "http://127.0.0.1:8080", "--count", "1"])
    assert command(args) == 2
    err = capsys.readouterr().err
    assert "add --live" in err


def test_live_and_a_private_system_are_refused_together(capsys: pytest.CaptureFixture[str]) -> None:
    args = build_parser().parse_args(["loadgen", "--live", "--spawn", "--count", "1"])
    assert command(args) == 2
    assert "exclude each other" in capsys.readouterr().err


def test_the_live_warning_says_real_patients_are_called_and_synthetic_ones_stay_queued() -> None:
    text = LIVE_WARNING.format(intake="http://127.0.0.1:8080", clinicians=2)
    assert text.startswith("WARNING")
    assert "real patients included" in text and "leave unserved synthetic patients queued" in text
