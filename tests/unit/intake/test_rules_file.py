"""The rules loader refuses a bad rules file, naming the line of every problem."""

from __future__ import annotations

import pytest

from services.intake.domain.rules_file import RulesFileError, load_rulebook
from services.intake.settings import packaged_rules_path

SHIPPED = packaged_rules_path().read_text(encoding="utf-8")
ADVICE = "\n".join(
    f'[advice.{k}]\nsv = "s"\nen = "e"'
    for k in (
        "queued",
        "red_flag",
        "infant",
        "protected_identity",
        "region_not_enabled",
        "needs_spoken_contact",
        "full",
        "duplicate",
        "default",
        "opens_too_late",
        "wait_too_long",
        "go_to_emergency",
        "call_1177",
        "queue_anyway",
    )
)


def small_file(rules: str, symptom_extra: str = "") -> str:
    return f"""version = "t-1"
[red_flags]
chest_pain = "x"
{ADVICE}
[symptoms.fever]
default_prio = 2
questions.high = {{ type = "bool" }}
questions.days = {{ type = "int", min = 0, max = 30 }}
{symptom_extra}
{rules}
"""


def rule(rule_id: str, when: str, prio: int = 2, symptom: str = "fever") -> str:
    return f'''
[[rules]]
id = "{rule_id}"
symptom = "{symptom}"
when = {when}
prio = {prio}
advice = {{ sv = "s", en = "e" }}
'''


def line_of(text: str, needle: str, nth: int = 1) -> int:
    seen = 0
    for no, line in enumerate(text.splitlines(), start=1):
        if needle in line:
            seen += 1
            if seen == nth:
                return no
    raise AssertionError(needle)


def problems(text: str) -> list[str]:
    with pytest.raises(RulesFileError) as err:
        load_rulebook(text, "rules.toml")
    assert "rules.toml" in str(err.value)
    return err.value.problems


def test_the_shipped_rules_file_loads_with_a_version() -> None:
    book = load_rulebook(SHIPPED)
    assert book.version and len(book.symptoms) == 7 and len(book.rules) >= 20


def test_a_rule_for_an_unknown_symptom_is_refused_with_its_line() -> None:
    text = small_file(rule("headache.bad", "{ high = true }", symptom="headache"))
    [problem] = problems(text)
    line = line_of(text, 'symptom = "headache"')
    assert problem.startswith(f"line {line}:")
    assert "unknown symptom 'headache'" in problem


@pytest.mark.parametrize("prio", [0, 6, '"2"', "true"])
def test_a_bad_prio_is_refused_with_its_line(prio: object) -> None:
    text = small_file(rule("fever.bad", "{ high = true }").replace("prio = 2", f"prio = {prio}"))
    [problem] = problems(text)
    assert problem.startswith(f"line {line_of(text, 'prio = ', 2)}:") and "not 1..5" in problem


def test_overlapping_rules_with_different_outcomes_are_refused_naming_both_lines() -> None:
    text = small_file(
        rule("fever.high", "{ high = true }", 2) + rule("fever.long", "{ days = { at_least = 5 } }", 3)
    )
    [problem] = problems(text)
    second = line_of(text, "[[rules]]", 2)
    first = line_of(text, "[[rules]]", 1)
    assert problem.startswith(f"line {second}:") and f"(line {first})" in problem
    assert "overlaps" in problem


def test_rules_told_apart_by_an_answer_or_a_range_do_not_overlap() -> None:
    text = small_file(
        rule("fever.high", "{ high = true }", 2)
        + rule("fever.long", "{ high = false, days = { at_least = 5 } }", 3)
        + rule("fever.short", "{ high = false, days = { at_most = 4 } }", 4)
    )
    book = load_rulebook(text)
    assert book.decide("fever", {"days": 5}).rule_id == "fever.long"
    assert book.decide("fever", {"days": 4}).rule_id == "fever.short"


def test_overlapping_rules_with_the_same_outcome_are_allowed() -> None:
    text = small_file(
        rule("fever.a", "{ high = true }", 2) + rule("fever.b", "{ days = { at_least = 5 } }", 2)
    )
    assert len(load_rulebook(text).rules) == 2


def test_an_unknown_question_and_a_wrong_answer_type_are_refused() -> None:
    text = small_file(rule("fever.a", "{ sweaty = true }") + rule("fever.b", '{ high = "yes" }'))
    found = problems(text)
    assert len(found) == 2
    assert "unknown question 'sweaty'" in found[0] and found[0].startswith(f"line {line_of(text, 'sweaty')}:")
    assert "not a valid condition" in found[1]


def test_a_rule_may_not_use_a_red_flag() -> None:
    [problem] = problems(small_file(rule("fever.a", "{ chest_pain = true }")))
    assert "red flag" in problem


def test_a_default_less_urgent_than_the_rules_is_refused() -> None:
    text = small_file(rule("fever.a", "{ high = true }", 2)).replace("default_prio = 2", "default_prio = 3")
    [problem] = problems(text)
    assert problem.startswith(f"line {line_of(text, 'default_prio')}:") and "conservative" in problem


def test_broken_toml_names_the_line() -> None:
    [problem] = problems('version = "x"\n[symptoms.fever\n')
    assert "line 2" in problem


def test_duplicate_rule_ids_and_missing_advice_are_refused() -> None:
    text = small_file(rule("fever.a", "{ high = true }") + rule("fever.a", "{ high = false }", 3))
    text = text.replace('[advice.full]\nsv = "s"\nen = "e"', "")
    found = problems(text)
    assert any("already used" in p for p in found) and any("[advice.full]" in p for p in found)


def test_intake_refuses_to_start_on_a_bad_rules_file(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from services.intake.http_api import create_app
    from services.intake.settings import IntakeSettings

    bad = tmp_path / "rules.toml"
    bad.write_text(
        SHIPPED.replace('id = "fever.recent"\nsymptom = "fever"', 'id = "fever.recent"\nsymptom = "fevr"')
    )
    with pytest.raises(RulesFileError, match=r"line \d+: rule 'fever.recent': unknown symptom 'fevr'"):
        create_app(IntakeSettings(rules_path=bad))


def test_an_optional_advice_text_may_be_left_out_but_not_half_written() -> None:
    shipped = packaged_rules_path().read_text(encoding="utf-8")
    assert "duplicate_elsewhere" in load_rulebook(shipped).advice
    without = shipped.replace("[advice.duplicate_elsewhere]", "[advice.unused_elsewhere]")
    assert "duplicate_elsewhere" not in load_rulebook(without).advice  # callers fall back to "duplicate"
    half = shipped.replace(
        'en = "You are already in the 1177 direkt queue', 'fr = "You are already in the 1177 direkt queue'
    )
    with pytest.raises(RulesFileError, match=r"line \d+: \[advice.duplicate_elsewhere\] needs `sv` and `en`"):
        load_rulebook(half)
