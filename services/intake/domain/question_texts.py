"""The symptom catalogue's words in Swedish and English (``rules/question-texts.toml``).

Intake writes a case's symptom and answers in the patient's language into its CaseTriaged, so
the clinician who calls the case reads them as the patient saw them (issue 25). The file is
checked against the rule book at start: every symptom, question and choice needs an sv and an en
text, and a name the rule book does not know is refused, each problem with its line.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass

from services.intake.domain.rulebook import Answer, RuleBook

LANGUAGES = ("sv", "en")
Texts = Mapping[str, Mapping[str, str]]  # name -> {sv, en}


class QuestionTextsError(ValueError):
    """The texts file is invalid; the message lists every problem with its line."""

    def __init__(self, source: str, problems: list[str]) -> None:
        self.problems = problems
        super().__init__(f"invalid question texts file {source}:\n  " + "\n  ".join(problems))


@dataclass(frozen=True)
class QuestionTexts:
    symptoms: Texts
    questions: Texts
    choices: Texts
    answers: Texts  # yes, no

    def symptom(self, name: str, language: str) -> str:
        """The symptom in ``language`` (its catalogue name when the file has none)."""
        return _in(self.symptoms.get(name), language) or name

    def answer_lines(self, answers: Mapping[str, Answer], language: str) -> list[str]:
        """One line per answer in ``language``, e.g. "Temperature over 40 °C: yes"."""
        return [
            f"{_in(self.questions.get(q), language) or q}: {self._value(v, language)}"
            for q, v in answers.items()
        ]

    def _value(self, value: Answer, language: str) -> str:
        if isinstance(value, bool):
            return _in(self.answers.get("yes" if value else "no"), language) or str(value).lower()
        if isinstance(value, str):
            return _in(self.choices.get(value), language) or value
        return str(value)


def _in(texts: Mapping[str, str] | None, language: str) -> str:
    return "" if texts is None else texts.get(language) or texts.get("sv", "")


def load_question_texts(text: str, rules: RuleBook, source: str = "question-texts.toml") -> QuestionTexts:
    """Parse the texts file and check it against ``rules``; QuestionTextsError names every bad line."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise QuestionTextsError(source, [f"not valid TOML: {exc}"]) from exc
    lines = text.splitlines()
    questions = {q.name: q for s in rules.symptoms.values() for q in s.questions.values()}
    known = {
        "symptoms": set(rules.symptoms),
        "questions": set(questions),
        "choices": {o for q in questions.values() for o in q.options},
        "answers": {"yes", "no"},
    }
    problems: list[str] = []
    tables: dict[str, dict[str, dict[str, str]]] = {}
    for table, names in known.items():
        raw = data.get(table, {})
        tables[table] = {}
        for name in sorted(names - set(raw) if isinstance(raw, dict) else names):
            problems.append(f"line {_line(lines, table)}: [{table}] has no text for {name!r}")
        for name, texts in raw.items() if isinstance(raw, dict) else ():
            where = f"line {_line(lines, table, name)}: [{table}] {name}"
            if name not in names:
                problems.append(f"{where}: the rules file has no such name among its {table}")
            elif not isinstance(texts, dict) or any(
                not isinstance(texts.get(lang), str) for lang in LANGUAGES
            ):
                problems.append(f"{where}: needs `sv` and `en` texts")
            else:
                tables[table][name] = {lang: texts[lang] for lang in LANGUAGES}
    if problems:
        raise QuestionTextsError(source, problems)
    return QuestionTexts(tables["symptoms"], tables["questions"], tables["choices"], tables["answers"])


def _line(lines: list[str], table: str, key: str = "") -> int:
    """The line of ``[table]`` (or of ``key`` in it): tomllib keeps no positions."""
    start = next((no for no, line in enumerate(lines, 1) if line.strip() == f"[{table}]"), 0)
    if key and start:
        pattern = re.compile(rf"^\s*{re.escape(key)}\s*=")
        return next((no for no in range(start, len(lines) + 1) if pattern.match(lines[no - 1])), start)
    return start
