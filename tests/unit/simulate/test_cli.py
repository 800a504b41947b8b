"""``triage simulate`` end to end in-process: table, JSON and PNG; bad input gets a clear message."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from services.cli import main

STAFF = Path(__file__).parents[3] / "services" / "simulate" / "staffing.toml"


def test_simulate_writes_the_table_the_json_and_the_plot(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(
        [
            "simulate",
            "--staff",
            str(STAFF),
            "--region",
            "SE-I",
            "--region",
            "SE-Z",
            "--days",
            "2",
            "--json",
            str(tmp_path / "s.json"),
            "--plot",
            str(tmp_path / "s.png"),
            "--no-progress",
        ]
    )
    assert code == 0
    out = capsys.readouterr().out
    assert "SE-I" in out and "SE-Z" in out and "within" in out
    data = json.loads((tmp_path / "s.json").read_text())
    assert set(data["regions"]) == {"SE-I", "SE-Z", "all"}
    rows = data["regions"]["all"]["urgency"]
    assert sum(r["patients"] for r in rows.values()) == data["regions"]["all"]["patients"] > 0
    assert 0 <= rows["1"]["within_frame"] <= 1 and rows["1"]["frame_s"] == 900
    assert (tmp_path / "s.png").read_bytes()[:4] == b"\x89PNG"


def test_find_staff_prints_a_staffing_file_that_simulate_reads_back(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    found = tmp_path / "found.toml"
    assert (
        main(
            [
                "simulate",
                "--find-staff",
                "--region",
                "SE-I",
                "--staff",
                str(STAFF),
                "--staff-out",
                str(found),
                "--cases-per-week",
                "10000",
                "--no-progress",
            ]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert "[regions.SE-I]" in out and "clinician-hours/week (input" in out and "unseen arrivals" in out
    assert main(["simulate", "--staff", str(found), "--region", "SE-I", "--no-progress"]) == 0


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (["simulate"], "give --staff FILE"),
        (["simulate", "--staff", "nope.toml"], "staffing file nope.toml not found"),
        (["simulate", "--staff", str(STAFF), "--region", "SE-XX"], "--region 'SE-XX': unknown"),
        (["simulate", "--staff", str(STAFF), "--target", "1.5"], "shares are between 0 and 1"),
        (["simulate", "--staff", str(STAFF), "--frames", "15m/3h"], "give five durations"),
        (["simulate", "--staff", str(STAFF), "--history", "missing.jsonl"], "triage history export"),
        (["simulate", "--staff", str(STAFF), "--consult", "15/12/x/8/6"], "five mean minutes"),
    ],
)
def test_bad_input_is_refused_with_what_to_fix(
    argv: list[str], says: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(argv) == 2
    assert says in capsys.readouterr().err


def test_history_export_needs_times_with_a_utc_offset(capsys: pytest.CaptureFixture[str]) -> None:
    assert (
        main(
            [
                "history",
                "export",
                "--since",
                "2026-01-05T00:00",
                "--until",
                "2026-01-06T00:00+01:00",
                "--out",
                "x.jsonl",
            ]
        )
        == 2
    )
    assert "give a UTC offset" in capsys.readouterr().err


def test_plot_without_matplotlib_says_which_extra_to_install_before_simulating(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "matplotlib" else real(name, *a)
    )
    code = main(["simulate", "--staff", str(STAFF), "--region", "SE-I", "--plot", str(tmp_path / "s.png")])
    err = capsys.readouterr().err
    assert code == 2 and "matplotlib" in err and ".[loadgen]" in err and "Traceback" not in err
    assert not (tmp_path / "s.png").exists()


def test_a_region_closed_by_the_hours_file_serves_nobody_although_the_staffing_file_staffs_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    hours = tmp_path / "hours.toml"
    days = "\n".join(f"{d} = []" for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun"))
    hours.write_text(f'version = "t"\n[default]\n{days}\n')
    staff = tmp_path / "staff.toml"
    staff.write_text("[regions.SE-I]\nevery_day = [" + ", ".join(["2"] * 24) + "]\n")
    out_json = tmp_path / "s.json"
    args = ["simulate", "--staff", str(staff), "--region", "SE-I", "--days", "1", "--no-progress"]
    assert main([*args, "--hours", str(hours), "--json", str(out_json)]) == 0
    closed = json.loads(out_json.read_text())["regions"]["SE-I"]["urgency"]
    assert all(r["within_frame"] == 0 for r in closed.values() if r["patients"])
    assert main([*args, "--no-hours", "--json", str(out_json)]) == 0
    staffed = json.loads(out_json.read_text())["regions"]["SE-I"]["urgency"]
    assert sum(r["within_frame"] for r in staffed.values()) > 0
