"""What a clinician may write when completing a case: plain advice, a booked visit with clinic and time."""

from __future__ import annotations

import datetime as dt

import pytest

from services.staff.domain.closing_note import note_problems

VISIT = dt.datetime(2026, 12, 8, 14, 30, tzinfo=dt.timezone(dt.timedelta(hours=1)))


def test_plain_advice_for_an_advice_outcome_is_accepted() -> None:
    assert note_problems("advice", "Vila och drick mycket. Ring 1177 om du blir sämre.", None, None) == []


@pytest.mark.parametrize("text", ["Se https://1177.se/feber", "www.example.org", "Läs på 1177.se", "ftp://x"])
def test_a_link_in_the_advice_is_refused_naming_the_field(text: str) -> None:
    [(pointer, detail)] = note_problems("advice", text, None, None)
    assert pointer == "#/advice" and "link" in detail and "plain text" in detail


def test_a_booked_visit_needs_the_clinic_and_the_time() -> None:
    assert {p for p, _ in note_problems("booked_visit", "Ta med medicinlistan.", None, None)} == {
        "#/clinic",
        "#/visit_at",
    }
    assert note_problems("booked_visit", "Ta med medicinlistan.", "Vårdcentralen Gottsunda", VISIT) == []


def test_only_a_booked_visit_has_a_time_and_a_time_needs_its_offset() -> None:
    [(pointer, detail)] = note_problems("referred_emergency", "Åk till akuten nu.", None, VISIT)
    assert pointer == "#/visit_at" and "only a booked visit" in detail
    naive = VISIT.replace(tzinfo=None)
    assert ("#/visit_at", "give the time with its offset, e.g. 2026-12-08T14:30:00+01:00") in note_problems(
        "booked_visit", "x", "Vårdcentralen", naive
    )


def test_a_clinic_given_as_a_link_is_refused() -> None:
    [(pointer, _)] = note_problems("referred_health_centre", "Ring dem i morgon.", "vardcentralen.se", None)
    assert pointer == "#/clinic"


def test_blank_advice_is_refused() -> None:
    assert [p for p, _ in note_problems("other", "   ", None, None)] == ["#/advice"]
