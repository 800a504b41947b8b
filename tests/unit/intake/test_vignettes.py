"""Clinical vignettes: whole submissions through validation, refer-away rules and the shipped rules file.

Each row is a patient story; the expected outcome is a prio with the rule that decided
it, or a referral with its reason. Covers all seven symptoms and every refer-away path.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from proto.regions import DEFAULT_ENABLED
from services.intake.domain.assessment import Queue, Refer, assess
from services.intake.domain.rules_file import load_rulebook
from services.intake.domain.submission_form import parse_submission
from services.intake.settings import packaged_rules_path
from tests.support.people import luhn_digit, personnummer

TODAY = dt.date(2026, 11, 23)
RULES = load_rulebook(packaged_rules_path().read_text(encoding="utf-8"))


def coordination_number(birth: dt.date) -> str:
    """A samordningsnummer: the day of birth plus 60."""
    ten = f"{birth:%y%m}{birth.day + 60:02d}123"
    return f"{birth:%Y%m}{birth.day + 60:02d}-123{luhn_digit(ten)}"


ADULT = personnummer(dt.date(1985, 3, 14), 321)
# (story, overrides of a default adult submission in SE-C, expected)
VIGNETTES: list[tuple[str, dict[str, Any], tuple[str, Any, str]]] = [
    # ---- fever
    (
        "feverish on chemotherapy",
        {"symptom": "fever", "answers": {"immunosuppressed": True}},
        ("prio", 1, "fever.immunosuppressed"),
    ),
    (
        "41 degrees, otherwise healthy",
        {"symptom": "fever", "answers": {"temperature_over_40": True}},
        ("prio", 2, "fever.very_high"),
    ),
    (
        "fever for a week",
        {"symptom": "fever", "answers": {"days_with_fever": 7}},
        ("prio", 3, "fever.prolonged"),
    ),
    (
        "fever since yesterday",
        {"symptom": "fever", "answers": {"days_with_fever": 1}},
        ("prio", 4, "fever.recent"),
    ),
    (
        "fever, no details given: conservative default",
        {"symptom": "fever", "answers": {}},
        ("prio", 3, "fever.default"),
    ),
    (
        "fever with stiff neck",
        {"symptom": "fever", "answers": {"stiff_neck": True, "days_with_fever": 1}},
        ("refer", "red_flag", "112"),
    ),
    (
        "fever and confused",
        {"symptom": "fever", "answers": {"confusion": True}},
        ("refer", "red_flag", "112"),
    ),
    # ---- sore throat
    (
        "cannot swallow food",
        {"symptom": "sore_throat", "answers": {"difficulty_swallowing": True}},
        ("prio", 2, "sore_throat.cannot_swallow"),
    ),
    (
        "sore throat and high fever",
        {"symptom": "sore_throat", "answers": {"high_fever": True}},
        ("prio", 3, "sore_throat.fever"),
    ),
    (
        "sore throat for ten days",
        {"symptom": "sore_throat", "answers": {"days_with_symptoms": 10}},
        ("prio", 4, "sore_throat.lingering"),
    ),
    (
        "scratchy throat since this morning",
        {"symptom": "sore_throat", "answers": {"days_with_symptoms": 0}},
        ("prio", 5, "sore_throat.mild"),
    ),
    (
        "drooling, cannot swallow saliva",
        {"symptom": "sore_throat", "answers": {"cannot_swallow_saliva": True}},
        ("refer", "red_flag", "112"),
    ),
    # ---- eyes
    (
        "suddenly blind in one eye",
        {"symptom": "eye_problems", "answers": {"vision_loss": True}},
        ("prio", 1, "eye.vision_loss"),
    ),
    ("painful eye", {"symptom": "eye_problems", "answers": {"eye_pain": True}}, ("prio", 2, "eye.painful")),
    (
        "red eye, wears lenses",
        {"symptom": "eye_problems", "answers": {"red_eye": True, "contact_lenses": True}},
        ("prio", 3, "eye.red_with_lenses"),
    ),
    ("red eye, no lenses", {"symptom": "eye_problems", "answers": {"red_eye": True}}, ("prio", 4, "eye.red")),
    ("gritty eye, not red, no pain", {"symptom": "eye_problems", "answers": {}}, ("prio", 4, "eye.mild")),
    (
        "lye splashed in the eye",
        {"symptom": "eye_problems", "answers": {"chemical_in_eye": True}},
        ("refer", "red_flag", "112"),
    ),
    # ---- urinary
    (
        "burning and fever",
        {"symptom": "urinary_problems", "answers": {"fever": True}},
        ("prio", 2, "urinary.fever"),
    ),
    (
        "pain in the flank",
        {"symptom": "urinary_problems", "answers": {"flank_pain": True}},
        ("prio", 2, "urinary.flank_pain"),
    ),
    (
        "pregnant with burning",
        {"symptom": "urinary_problems", "answers": {"pregnant": True}},
        ("prio", 3, "urinary.pregnant"),
    ),
    (
        "uncomplicated cystitis",
        {"symptom": "urinary_problems", "answers": {}},
        ("prio", 4, "urinary.cystitis"),
    ),
    # ---- cough
    (
        "cough with fever for four days",
        {"symptom": "cough", "answers": {"fever_over_3_days": True}},
        ("prio", 3, "cough.long_fever"),
    ),
    (
        "cough for a month",
        {"symptom": "cough", "answers": {"weeks_with_cough": 4}},
        ("prio", 4, "cough.lingering"),
    ),
    (
        "cough after a cold",
        {"symptom": "cough", "answers": {"weeks_with_cough": 1}},
        ("prio", 5, "cough.acute"),
    ),
    (
        "coughing up blood",
        {"symptom": "cough", "answers": {"coughing_up_blood": True}},
        ("refer", "red_flag", "112"),
    ),
    (
        "cough and breathless",
        {"symptom": "cough", "answers": {"breathing_difficulty": True}},
        ("refer", "red_flag", "112"),
    ),
    # ---- back
    (
        "back pain, numb saddle area",
        {"symptom": "back_pain", "answers": {"numbness_or_incontinence": True}},
        ("prio", 1, "back.numbness"),
    ),
    ("back pain with fever", {"symptom": "back_pain", "answers": {"fever": True}}, ("prio", 2, "back.fever")),
    (
        "fell off a ladder",
        {"symptom": "back_pain", "answers": {"after_fall": True}},
        ("prio", 3, "back.after_fall"),
    ),
    ("severe lumbago", {"symptom": "back_pain", "answers": {"pain": "severe"}}, ("prio", 3, "back.severe")),
    (
        "ordinary lumbago",
        {"symptom": "back_pain", "answers": {"pain": "moderate"}},
        ("prio", 5, "back.ordinary"),
    ),
    (
        "back pain, pain level not given",
        {"symptom": "back_pain", "answers": {}},
        ("prio", 3, "back_pain.default"),
    ),
    (
        "sudden tearing pain between the shoulder blades",
        {"symptom": "back_pain", "answers": {"sudden_tearing_pain": True}},
        ("refer", "red_flag", "112"),
    ),
    # ---- rash
    (
        "rash spreading fast",
        {"symptom": "rash", "answers": {"spreading_fast": True}},
        ("prio", 2, "rash.spreading"),
    ),
    ("rash and fever", {"symptom": "rash", "answers": {"fever": True}}, ("prio", 3, "rash.fever")),
    ("itchy rash", {"symptom": "rash", "answers": {}}, ("prio", 4, "rash.mild")),
    (
        "rash that does not fade under a glass",
        {"symptom": "rash", "answers": {"rash_does_not_fade_under_glass": True}},
        ("refer", "red_flag", "112"),
    ),
    # ---- refer-away paths other than red flags
    (
        "baby of eight months with fever",
        {"personnummer": personnummer(TODAY - dt.timedelta(days=240), 111), "symptom": "fever"},
        ("refer", "infant", "1177"),
    ),
    (
        "baby one day short of one year",
        {"personnummer": personnummer(dt.date(2025, 11, 24), 112), "symptom": "cough"},
        ("refer", "infant", "1177"),
    ),
    (
        "child turning one today is served",
        {"personnummer": personnummer(dt.date(2025, 11, 23), 113), "symptom": "rash"},
        ("prio", 4, "rash.mild"),
    ),
    (
        "baby with a samordningsnummer",
        {"personnummer": coordination_number(dt.date(2026, 6, 2)), "symptom": "fever"},
        ("refer", "infant", "1177"),
    ),
    (
        "adult with a samordningsnummer is served",
        {"personnummer": coordination_number(dt.date(1990, 2, 3)), "symptom": "rash"},
        ("prio", 4, "rash.mild"),
    ),
    (
        "protected identity",
        {"protected_identity": True, "symptom": "cough"},
        ("refer", "protected_identity", "1177"),
    ),
    (
        "finds written text hard: 1177 by phone, around the clock",
        {"needs_spoken_contact": True, "symptom": "back_pain"},
        ("refer", "needs_spoken_contact", "Ring 1177"),
    ),
    (
        "finds written text hard, in English",
        {"needs_spoken_contact": True, "language": "en", "symptom": "cough"},
        ("refer", "needs_spoken_contact", "Call 1177"),
    ),
    (
        "lives in Stockholm, not enabled",
        {"region": "SE-AB", "symptom": "cough"},
        ("refer", "region_not_enabled", "Stockholm"),
    ),
    (
        "red flag outranks every other referral",
        {"region": "SE-AB", "protected_identity": True, "answers": {"unconscious": True}},
        ("refer", "red_flag", "112"),
    ),
    (
        "heavy bleeding in English",
        {"language": "en", "symptom": "rash", "answers": {"heavy_bleeding": True}},
        ("refer", "red_flag", "Call 112"),
    ),
]


def submission(overrides: dict[str, Any]) -> dict[str, Any]:
    base: dict[str, Any] = {
        "region": "SE-C",
        "personnummer": ADULT,
        "phone": "070-123 45 67",
        "symptom": "fever",
        "answers": {},
    }
    base.update(overrides)
    return base


@pytest.mark.parametrize("story, overrides, expected", VIGNETTES, ids=[v[0] for v in VIGNETTES])
def test_clinical_vignette(story: str, overrides: dict[str, Any], expected: tuple[str, Any, str]) -> None:
    form = parse_submission(submission(overrides), RULES)
    decision = assess(form, RULES, DEFAULT_ENABLED, TODAY)
    kind, value, detail = expected
    if kind == "prio":
        assert isinstance(decision, Queue), decision
        assert (decision.urgency, decision.rule_id) == (value, detail)
        assert decision.rules_version == RULES.version
    else:
        assert isinstance(decision, Refer), decision
        assert decision.reason == value
        assert detail in decision.advice


def test_the_vignettes_cover_every_symptom_and_every_refer_away_path() -> None:
    symptoms = {submission(o)["symptom"] for _, o, _ in VIGNETTES}
    reasons = {e[1] for _, _, e in VIGNETTES if e[0] == "refer"}
    assert symptoms == set(RULES.symptoms)
    assert reasons == {
        "red_flag",
        "infant",
        "protected_identity",
        "region_not_enabled",
        "needs_spoken_contact",
    }
    assert len(VIGNETTES) >= 30


def test_every_rule_of_the_shipped_file_is_exercised_by_a_vignette() -> None:
    used = {e[2] for _, _, e in VIGNETTES if e[0] == "prio"}
    assert {r.rule_id for r in RULES.rules} <= used
