"""The history file: built from the queue's and intake's events without personal data, and replayed."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from proto import events as ev
from services.queue_model.scenario import CaseModel
from services.simulate.domain.history import HistoryBuilder, HistoryError, read_history, week_start

UTC = dt.UTC
SINCE = dt.datetime(2026, 1, 7, 9, 0, tzinfo=UTC)  # a Wednesday
UNTIL = SINCE + dt.timedelta(days=1)


def at(minutes: float) -> dt.datetime:
    return SINCE + dt.timedelta(minutes=minutes)


def triaged(case: str, minutes: float, urgency: int = 3) -> ev.CaseTriaged:
    return ev.CaseTriaged(
        case_id=case,
        region="SE-C",
        urgency=urgency,
        symptom="fever",  # type: ignore[arg-type]
        person_pseudonym=f"pseudo-{case}",
        triaged_at=at(minutes),
    )


def called(case: str, minutes: float) -> ev.CaseCalled:
    return ev.CaseCalled(
        case_id=case,
        region="SE-C",
        urgency=3,
        clinician_id="nurse-anna",
        request_id="r",
        queued_at=at(0),
        called_at=at(minutes),
    )


def test_the_history_keeps_arrivals_calls_and_no_shows_but_no_ids_pseudonyms_or_clinicians() -> None:
    b = HistoryBuilder(SINCE, UNTIL)
    assert b.add(triaged("case-abc", 1, urgency=2))
    assert b.add(called("case-abc", 5))
    assert b.add(ev.CaseNoShow(case_id="case-abc", region="SE-C", attempt=1, occurred_at=at(7)))
    assert b.add(ev.CaseClosed(case_id="case-abc", region="SE-C", reason="completed", occurred_at=at(20)))
    assert not b.add(ev.ServeNextEmpty(region="SE-C", clinician_id="nurse-anna", request_id="x"))
    text = b.text()
    for secret in ("case-abc", "pseudo-case-abc", "nurse-anna"):
        assert secret not in text
    rows = [json.loads(line) for line in text.splitlines()]
    assert [r["kind"] for r in rows] == ["history", "arrival", "called", "no_show", "closed"]
    assert rows[1] == {
        "kind": "arrival",
        "case": 0,
        "t": (at(1) - week_start(SINCE)).total_seconds(),
        "region": "SE-C",
        "urgency": 2,
    }


def test_cases_outside_the_period_and_their_calls_are_left_out() -> None:
    b = HistoryBuilder(SINCE, UNTIL)
    assert not b.add(triaged("early", -5))
    assert not b.add(called("early", 3))
    assert not b.add(triaged("late", 24 * 60 + 1))
    assert b.lines == []


def test_the_history_starts_on_the_local_monday_so_hours_of_the_week_line_up() -> None:
    start = week_start(SINCE)
    assert start.isoformat() == "2026-01-05T00:00:00+01:00"


def test_a_replayed_history_uses_the_recorded_consultation_time_and_no_shows(tmp_path: Path) -> None:
    b = HistoryBuilder(SINCE, UNTIL)
    for m in (
        triaged("a", 1),
        triaged("b", 2, urgency=1),
        called("a", 3),
        ev.CaseNoShow(case_id="a", region="SE-C", attempt=1, occurred_at=at(4)),
        called("a", 6),
        ev.CaseClosed(case_id="a", region="SE-C", reason="completed", occurred_at=at(16)),
    ):
        b.add(m)
    path = tmp_path / "h.jsonl"
    path.write_text(b.text())
    sc = read_history(path, CaseModel(), seed=1)
    a, bb = sc.arrivals
    assert (a.urgency, a.no_shows, a.consult_s) == (3, 1, 600.0)
    assert bb.urgency == 1 and bb.no_shows == 0 and bb.consult_s > 0  # drawn from the model
    assert sc.start == week_start(SINCE)
    assert read_history(path, CaseModel(), seed=1) == sc  # deterministic


@pytest.mark.parametrize(
    ("lines", "says"),
    [
        (['{"kind": "arrival"}'], ":1: expected a header"),
        (
            [
                '{"kind": "history", "version": 1, "since": "2026-01-07T09:00+00:00", "until": "2026-01-08T09:00+00:00", '
                '"start": "2026-01-05T00:00+01:00"}',
                "not json",
            ],
            ":2: not JSON",
        ),
        (
            [
                '{"kind": "history", "version": 1, "since": "2026-01-07T09:00+00:00", "until": "2026-01-08T09:00+00:00", '
                '"start": "2026-01-05T00:00+01:00"}',
                '{"kind": "arrival", "case": 0, "t": 1, "region": "SE-C", "urgency": 9}',
            ],
            ":2: ValueError('urgency must be 1..5",
        ),
    ],
)
def test_a_broken_history_file_is_refused_with_the_line_number(
    tmp_path: Path, lines: list[str], says: str
) -> None:
    path = tmp_path / "h.jsonl"
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(HistoryError) as err:
        read_history(path, CaseModel())
    assert says in str(err.value)


def test_a_completed_case_carries_the_clinicians_outcome_kind_but_never_the_sealed_note(
    tmp_path: Path,
) -> None:
    b = HistoryBuilder(SINCE, UNTIL)
    b.add(triaged("case-1", 1))
    b.add(called("case-1", 5))
    note = ev.SealedNote(key_id="adv1", nonce="bm9uY2U=", ciphertext="U0VBTEVEQURWSUNF")
    b.add(
        ev.CaseClosed(
            case_id="case-1",
            region="SE-C",
            reason="completed",
            outcome="booked_visit",
            note=note,
            occurred_at=at(20),
        )
    )
    text = b.text()
    assert "U0VBTEVEQURWSUNF" not in text and "adv1" not in text
    closed = json.loads(text.splitlines()[-1])
    assert (closed["kind"], closed["outcome"]) == ("closed", "booked_visit")
    path = tmp_path / "h.jsonl"
    path.write_text(text)
    [arrival] = read_history(path, CaseModel()).arrivals
    assert arrival.outcome == "booked_visit"


def _hours_changed(region: str, version: int, when: dt.datetime, days: list[str]) -> ev.OpeningHoursChanged:
    return ev.OpeningHoursChanged(
        region=region,
        days={d: days for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")},
        version=version,
        by="teamlead-eva",
        occurred_at=when,
    )


def test_hours_changes_are_exported_the_latest_before_the_period_first_without_the_team_lead(
    tmp_path: Path,
) -> None:
    b = HistoryBuilder(SINCE, UNTIL)
    assert b.add(_hours_changed("SE-C", 1, SINCE - dt.timedelta(days=45), ["08:00-17:00"]))
    assert b.add(_hours_changed("SE-C", 2, SINCE - dt.timedelta(days=30), []))  # closed: in force at since
    assert b.add(_hours_changed("SE-C", 3, at(60), ["07:00-22:00"]))
    assert not b.add(_hours_changed("SE-C", 4, UNTIL + dt.timedelta(hours=1), ["00:00-24:00"]))
    text = b.text()
    assert "teamlead-eva" not in text
    path = tmp_path / "h.jsonl"
    path.write_text(text)
    changes = read_history(path, CaseModel()).hours_changes
    assert [c.t for c in changes] == [0.0, (at(60) - week_start(SINCE)).total_seconds()]
    monday_noon = dt.datetime(2026, 1, 12, 11, 0, tzinfo=UTC)
    assert [c.hours.is_open(monday_noon) for c in changes] == [False, True]


def test_a_history_with_broken_opening_hours_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "h.jsonl"
    head = {"kind": "history", "version": 2, "since": SINCE.isoformat(), "until": UNTIL.isoformat()}
    head["start"] = week_start(SINCE).isoformat()
    bad = {"kind": "hours", "t": 0, "region": "SE-C", "version": 1, "days": {"mon": ["8-17"]}}
    path.write_text(json.dumps(head) + "\n" + json.dumps(bad) + "\n")
    with pytest.raises(HistoryError, match=r"h.jsonl:2: .*invalid opening hours"):
        read_history(path, CaseModel())
