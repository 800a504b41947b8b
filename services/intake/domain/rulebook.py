"""The symptom catalogue and urgency rules as values, and deciding a Prio from answers.

A ``RuleBook`` is what ``rules_file.load_rulebook`` builds from the versioned TOML file.
Rules form a decision table with the unique hit policy (the loader proves that no two
rules of a symptom with different outcomes can match the same answers), so deciding is
"the one rule that matches, else the symptom's conservative default".
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from services.intake.domain.time_frames import TimeFrames

Answer = str | int | bool
Language = Literal["sv", "en"]


@dataclass(frozen=True)
class Question:
    """One question of a symptom: yes/no, a whole number in a range, or one of some options."""

    name: str
    kind: Literal["bool", "int", "choice"]
    minimum: int | None = None
    maximum: int | None = None
    options: tuple[str, ...] = ()

    def check(self, value: object) -> str | None:
        """Why ``value`` is not a valid answer to this question, or None if it is."""
        if self.kind == "bool":
            return None if isinstance(value, bool) else "expected true or false"
        if self.kind == "int":
            if isinstance(value, bool) or not isinstance(value, int):
                return f"expected a whole number from {self.minimum} to {self.maximum}"
            if (self.minimum is not None and value < self.minimum) or (
                self.maximum is not None and value > self.maximum
            ):
                return f"{value} is out of range: expected {self.minimum} to {self.maximum}"
            return None
        if not isinstance(value, str) or value not in self.options:
            return f"expected one of {list(self.options)}"
        return None


@dataclass(frozen=True)
class Condition:
    """What a rule requires of one answer: a set of values, or an inclusive int range."""

    question: str
    values: frozenset[Answer] = frozenset()
    at_least: int | None = None
    at_most: int | None = None

    def matches(self, answer: object) -> bool:
        if answer is None:
            return False
        if self.values:
            # bool is an int subclass: True == 1, so compare types as well as values.
            return any(type(answer) is type(v) and answer == v for v in self.values)
        if isinstance(answer, bool) or not isinstance(answer, int):
            return False
        return (self.at_least is None or answer >= self.at_least) and (
            self.at_most is None or answer <= self.at_most
        )

    def intersects(self, other: Condition) -> bool:
        """Could one answer satisfy both conditions?"""
        if self.values and other.values:
            return any(type(a) is type(b) and a == b for a in self.values for b in other.values)
        if self.values or other.values:  # a value set never meets a range (the loader forbids mixing)
            return False
        lo = max(x for x in (self.at_least, other.at_least, -(2**63)) if x is not None)
        hi = min(x for x in (self.at_most, other.at_most, 2**63) if x is not None)
        return lo <= hi


@dataclass(frozen=True)
class Rule:
    rule_id: str
    symptom: str
    conditions: tuple[Condition, ...]
    prio: int
    advice: Mapping[str, str]
    line: int = 0

    def matches(self, answers: Mapping[str, object]) -> bool:
        return all(c.matches(answers.get(c.question)) for c in self.conditions)

    def overlaps(self, other: Rule) -> bool:
        """Could one set of answers match both rules? Only shared questions can separate them."""
        mine = {c.question: c for c in self.conditions}
        return all(c.intersects(mine[c.question]) for c in other.conditions if c.question in mine)


@dataclass(frozen=True)
class Symptom:
    """One catalogue entry: its questions (red flags included) and its conservative default."""

    name: str
    questions: Mapping[str, Question]
    red_flags: frozenset[str]
    default_prio: int


@dataclass(frozen=True)
class UrgencyDecision:
    urgency: int
    rule_id: str
    rules_version: str
    advice: Mapping[str, str]


@dataclass(frozen=True)
class RuleBook:
    version: str
    symptoms: Mapping[str, Symptom]
    rules: tuple[Rule, ...]
    advice: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    time_frames: TimeFrames = field(default_factory=TimeFrames)  # [time_frames] (issue 25)

    def has_red_flag(self, symptom: str, answers: Mapping[str, object]) -> bool:
        """Any life-threatening answer (global or this symptom's own red flags) given as yes."""
        return any(answers.get(flag) is True for flag in self.symptoms[symptom].red_flags)

    def decide(self, symptom: str, answers: Mapping[str, object]) -> UrgencyDecision:
        """The one matching rule, else the symptom's default (more urgent, never less).

        Unanswered yes/no questions count as "no" (the patient did not tick them).
        """
        spec = self.symptoms[symptom]
        full: dict[str, object] = {q.name: False for q in spec.questions.values() if q.kind == "bool"}
        full.update(answers)
        for rule in self.rules:
            if rule.symptom == symptom and rule.matches(full):
                return UrgencyDecision(rule.prio, rule.rule_id, self.version, rule.advice)
        return UrgencyDecision(
            spec.default_prio, f"{symptom}.default", self.version, self.advice.get("default", {})
        )

    def rule_advice(self, rule_id: str, language: str) -> str:
        """The advice of the rule ``rule_id`` (``<symptom>.default``: the default advice)."""
        for rule in self.rules:
            if rule.rule_id == rule_id:
                return rule.advice.get(language) or rule.advice.get("sv", "")
        texts = self.advice.get("default", {})
        return texts.get(language) or texts.get("sv", "")

    def text(self, key: str, language: str, **values: str) -> str:
        """An advice text of the file (``queued``, ``red_flag``, ``full``...) in a language."""
        texts = self.advice.get(key, {})
        template = texts.get(language) or texts.get("sv", "")
        return template.format(**values) if values else template
