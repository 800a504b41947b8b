"""The catalogue's words: every symptom, question and choice of the rules file in sv and en."""

from __future__ import annotations

import pytest

from services.intake.domain.question_texts import QuestionTextsError, load_question_texts
from services.intake.lifecycle import TEXTS_FILE, load_rules, load_texts
from services.intake.settings import packaged_rules_path


def test_the_shipped_texts_name_every_symptom_question_and_choice_of_the_shipped_rules() -> None:
    texts = load_texts(packaged_rules_path(), load_rules(packaged_rules_path()))
    assert texts is not None
    assert texts.symptom("fever", "en") == "Fever" and texts.symptom("fever", "sv") == "Feber"


def test_answers_read_as_the_patient_saw_them_in_their_language() -> None:
    texts = load_texts(packaged_rules_path(), load_rules(packaged_rules_path()))
    assert texts is not None
    answers = {"temperature_over_40": True, "days_with_fever": 2, "immunosuppressed": False}
    assert texts.answer_lines(answers, "sv") == [
        "Feber över 40 °C: ja",
        "Antal dagar med feber: 2",
        "Nedsatt immunförsvar: nej",
    ]
    assert texts.answer_lines({"pain": "severe"}, "en") == ["Pain: severe"]


def test_a_missing_text_and_an_unknown_name_are_refused_with_their_lines() -> None:
    rules = load_rules(packaged_rules_path())
    shipped = (packaged_rules_path().with_name(TEXTS_FILE)).read_text(encoding="utf-8")
    broken = (
        shipped.replace('fever = { sv = "Feber", en = "Fever" }\n', "", 1) + 'tempurature = { sv = "x" }\n'
    )
    with pytest.raises(QuestionTextsError) as err:
        load_question_texts(broken, rules)
    problems = "\n".join(err.value.problems)
    assert "[symptoms] has no text for 'fever'" in problems
    assert "[answers] tempurature: the rules file has no such name among its answers" in problems
