"""Validating submissions: identities, phones, regions, answers and limits, field by field."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from services.intake.domain.rules_file import load_rulebook
from services.intake.domain.submission_form import InvalidSubmission, parse_submission
from services.intake.settings import packaged_rules_path
from tests.support.people import luhn_digit

RULES = load_rulebook(packaged_rules_path().read_text(encoding="utf-8"))


def body(**overrides: Any) -> dict[str, Any]:
    b: dict[str, Any] = {
        "region": "SE-C",
        "personnummer": "19900101-0017",
        "phone": "070-123 45 67",
        "symptom": "fever",
        "answers": {},
    }
    b.update(overrides)
    return b


def errors(raw: Any) -> dict[str, str]:
    with pytest.raises(InvalidSubmission) as err:
        parse_submission(raw, RULES)
    return {e.pointer: e.detail for e in err.value.errors}


@pytest.mark.parametrize("pnr", ["19900101-0017", "199001010017", "900101-0017", "9001010017"])
def test_a_personnummer_is_accepted_in_10_or_12_digits_with_or_without_separator(pnr: str) -> None:
    assert parse_submission(body(personnummer=pnr), RULES).identity.number == "199001010017"


def test_a_samordningsnummer_is_accepted_and_dated_by_day_minus_60() -> None:
    ten = "900161123"
    form = parse_submission(body(personnummer=f"19900161-123{luhn_digit(ten)}"), RULES)
    assert form.identity.coordination and form.identity.birth_date == dt.date(1990, 1, 1)


@pytest.mark.parametrize("pnr", ["19900101-0018", "19900230-0017", "1990010", "abcdefghij", "19900101_0017"])
def test_a_bad_personnummer_is_refused_with_how_to_fix_it(pnr: str) -> None:
    detail = errors(body(personnummer=pnr))["#/personnummer"]
    assert "YYYYMMDD-NNNN" in detail and pnr not in detail


@pytest.mark.parametrize(
    "phone, e164",
    [
        ("070-123 45 67", "+46701234567"),
        ("+46 70 123 45 67", "+46701234567"),
        ("0046701234567", "+46701234567"),
        ("073-1234567", "+46731234567"),
    ],
)
def test_a_mobile_number_is_normalised_to_e164(phone: str, e164: str) -> None:
    assert parse_submission(body(phone=phone), RULES).phone_e164 == e164


@pytest.mark.parametrize("phone", ["08-123 456 78", "+4570123456", "07012", "phone"])
def test_a_number_that_is_not_a_swedish_mobile_is_refused(phone: str) -> None:
    assert "Swedish mobile" in errors(body(phone=phone))["#/phone"]


def test_every_bad_field_is_listed_not_just_the_first() -> None:
    found = errors(
        {
            "region": "SE-Q",
            "personnummer": 19900101,
            "phone": None,
            "symptom": "fever",
            "language": "fi",
            "protected_identity": "yes",
            "submission_id": "",
            "answers": {"x": 1},
            "surprise": True,
        }
    )
    assert set(found) == {
        "#/region",
        "#/personnummer",
        "#/phone",
        "#/language",
        "#/protected_identity",
        "#/submission_id",
        "#/answers/x",
        "#/surprise",
    }
    assert found["#/phone"] == "required"


def test_answers_are_checked_against_the_symptoms_questions() -> None:
    found = errors(
        body(
            symptom="back_pain",
            answers={"pain": "unbearable", "fever": 1, "after_fall": True, "temperature_over_40": True},
        )
    )
    assert set(found) == {"#/answers/pain", "#/answers/fever", "#/answers/temperature_over_40"}
    assert "mild" in found["#/answers/pain"] and "true or false" in found["#/answers/fever"]
    assert "unknown question" in found["#/answers/temperature_over_40"]


def test_a_whole_number_answer_must_be_in_range_and_not_a_boolean() -> None:
    assert "out of range" in errors(body(answers={"days_with_fever": 61}))["#/answers/days_with_fever"]
    assert "whole number" in errors(body(answers={"days_with_fever": True}))["#/answers/days_with_fever"]


def test_limits_on_lengths_and_answer_counts() -> None:
    assert "too long" in errors(body(phone="0" * 25))["#/phone"]
    assert "too long" in errors(body(personnummer="1" * 21))["#/personnummer"]
    assert "too many" in errors(body(answers={f"q{i}": True for i in range(33)}))["#/answers"]
    assert "too long" in errors(body(symptom="back_pain", answers={"pain": "x" * 201}))["#/answers/pain"]


def test_a_body_that_is_not_an_object_is_refused() -> None:
    assert set(errors([1, 2])) == {"#"}


def test_a_field_name_is_never_echoed_with_a_personal_number_in_it() -> None:
    found = errors(body(**{"199001010017": "x"}))
    assert all("199001010017" not in pointer for pointer in found)


@pytest.mark.parametrize(
    "phone",
    [
        "+46 (0)70-123 45 67",
        "070.123.45.67",
        "070/123 45 67",
        "+46 0701234567",
        "070-123 45 67",
        "0046701234567",
        "+46701234567",
        "0701234567",
    ],
)
def test_a_swedish_mobile_is_accepted_as_people_type_it(phone: str) -> None:
    assert parse_submission(body(phone=phone), RULES).phone_e164 == "+46701234567"


@pytest.mark.parametrize(
    "phone", ["08-123 456 78", "+46 8 123 456 78", "+47 412 34 567", "+4670123456", "0741234567", "hello"]
)
def test_a_landline_a_foreign_or_a_short_number_is_not_a_swedish_mobile(phone: str) -> None:
    assert "Swedish mobile" in errors(body(phone=phone))["#/phone"]


def test_a_personnummer_dated_in_the_future_is_refused_not_referred_as_an_infant() -> None:
    tomorrow = dt.date.today() + dt.timedelta(days=1)
    nine = tomorrow.strftime("%y%m%d") + "123"
    pnr = f"{tomorrow:%Y%m%d}-123{luhn_digit(nine)}"
    with pytest.raises(InvalidSubmission) as err:
        parse_submission(body(personnummer=pnr), RULES, today=dt.date.today())
    assert "future" in {e.pointer: e.detail for e in err.value.errors}["#/personnummer"]
    assert parse_submission(body(personnummer=pnr), RULES, today=tomorrow).identity.birth_date == tomorrow
