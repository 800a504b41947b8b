"""Loading the versioned urgency rules file (TOML) into a RuleBook, or refusing it.

Every problem is reported with the line it is on, all at once, so whoever edits the
clinical rules sees exactly what to fix. ``tomllib`` keeps no positions, so lines are
found by a small scan of the text for table headers and keys (``rules_lines``).
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from typing import Any

from services.intake.domain.rulebook import Condition, Question, Rule, RuleBook, Symptom
from services.intake.domain.rules_lines import SourceLines as _Lines
from services.intake.domain.time_frames import read_time_frames

LANGUAGES = ("sv", "en")
REQUIRED_ADVICE = (
    "queued",
    "red_flag",
    "infant",
    "protected_identity",
    "region_not_enabled",
    "needs_spoken_contact",
    "full",
    "duplicate",
    "default",
    # issue 25: a case its region cannot call within its time frame ([time_frames])
    "opens_too_late",
    "wait_too_long",
    "go_to_emergency",
    "call_1177",
    "queue_anyway",
)
# Optional texts: when a file lacks one, the caller falls back to a required one.
OPTIONAL_ADVICE = ("duplicate_elsewhere",)  # already queued in ANOTHER region (else "duplicate")


class RulesFileError(ValueError):
    """The rules file is invalid; the message lists every problem with its line."""

    def __init__(self, source: str, problems: list[str]) -> None:
        self.problems = problems
        super().__init__(f"invalid urgency rules file {source}:\n  " + "\n  ".join(problems))


def load_rulebook(text: str, source: str = "urgency-rules.toml") -> RuleBook:
    """Parse and check the rules file; raise RulesFileError naming every bad line."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:  # its message carries "(at line N, column M)"
        raise RulesFileError(source, [f"not valid TOML: {exc}"]) from exc
    lines = _Lines(text)
    problems: list[str] = []
    version = data.get("version")
    if not isinstance(version, str) or not version.strip():
        problems.append("line 1: `version` (a non-empty string) is required at the top")
        version = ""
    advice = _advice(data.get("advice", {}), lines, problems)
    global_flags = data.get("red_flags", {})
    if not isinstance(global_flags, dict):
        problems.append(f"line {lines.tables.get('red_flags', 0)}: [red_flags] must be a table")
        global_flags = {}
    symptoms = _symptoms(data.get("symptoms", {}), frozenset(global_flags), lines, problems)
    rules = _rules(data.get("rules", []), symptoms, lines, problems)
    _check_overlaps(rules, problems)
    _check_defaults(symptoms, rules, lines, problems)
    frames = read_time_frames(data.get("time_frames"), frozenset(advice), lines.tables, problems)
    if problems:
        raise RulesFileError(source, problems)
    return RuleBook(
        version=str(version), symptoms=symptoms, rules=tuple(rules), advice=advice, time_frames=frames
    )


def _advice(raw: Any, lines: _Lines, problems: list[str]) -> dict[str, dict[str, str]]:
    out: dict[str, dict[str, str]] = {}
    for key in REQUIRED_ADVICE:
        texts = raw.get(key) if isinstance(raw, dict) else None
        line = lines.tables.get(f"advice.{key}", 0)
        if not isinstance(texts, dict) or any(not isinstance(texts.get(lang), str) for lang in LANGUAGES):
            problems.append(f"line {line}: [advice.{key}] needs `sv` and `en` texts")
            continue
        out[key] = {lang: texts[lang] for lang in LANGUAGES}
    for key in OPTIONAL_ADVICE:
        texts = raw.get(key) if isinstance(raw, dict) else None
        if texts is None:
            continue
        if not isinstance(texts, dict) or any(not isinstance(texts.get(lang), str) for lang in LANGUAGES):
            problems.append(
                f"line {lines.tables.get(f'advice.{key}', 0)}: [advice.{key}] needs `sv` and `en` texts"
            )
            continue
        out[key] = {lang: texts[lang] for lang in LANGUAGES}
    return out


def _symptoms(
    raw: Any, global_flags: frozenset[str], lines: _Lines, problems: list[str]
) -> dict[str, Symptom]:
    out: dict[str, Symptom] = {}
    if not isinstance(raw, dict) or not raw:
        problems.append("line 0: at least one [symptoms.NAME] table is required")
        return out
    for name, spec in raw.items():
        line = lines.symptom(name)
        if not isinstance(spec, dict):
            problems.append(f"line {line}: symptoms.{name} must be a table")
            continue
        questions: dict[str, Question] = {}
        for qname, q in (spec.get("questions") or {}).items():
            qline = lines.symptom(name, f"questions.{qname}")
            question = _question(qname, q, f"line {qline}: symptom {name!r} question {qname!r}", problems)
            if question:
                questions[qname] = question
        own_flags = spec.get("red_flags", [])
        if not isinstance(own_flags, list) or not all(isinstance(f, str) for f in own_flags):
            problems.append(f"line {lines.symptom(name, 'red_flags')}: red_flags must be a list of names")
            own_flags = []
        flags = global_flags | frozenset(own_flags)
        for flag in flags:
            if flag in questions:
                problems.append(
                    f"line {lines.symptom(name, 'red_flags')}: {flag!r} is both a red flag "
                    f"and a question of {name!r}"
                )
            questions[flag] = Question(flag, "bool")
        default = spec.get("default_prio")
        if not _is_prio(default):
            problems.append(
                f"line {lines.symptom(name, 'default_prio')}: symptom {name!r}: "
                f"default_prio {default!r} is not a prio 1..5"
            )
            default = 1
        out[name] = Symptom(name, questions, flags, default if isinstance(default, int) else 1)
    return out


def _question(name: str, raw: Any, where: str, problems: list[str]) -> Question | None:
    kind = raw.get("type") if isinstance(raw, dict) else None
    if kind == "bool":
        return Question(name, "bool")
    if kind == "int":
        lo, hi = raw.get("min"), raw.get("max")
        if not (isinstance(lo, int) and isinstance(hi, int) and lo <= hi):
            problems.append(f"{where}: an int question needs whole-number min <= max")
            return None
        return Question(name, "int", minimum=lo, maximum=hi)
    if kind == "choice":
        options = raw.get("options")
        if not isinstance(options, list) or not options or not all(isinstance(o, str) for o in options):
            problems.append(f"{where}: a choice question needs a non-empty list of string options")
            return None
        return Question(name, "choice", options=tuple(options))
    problems.append(f'{where}: type must be "bool", "int" or "choice", not {kind!r}')
    return None


def _is_prio(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 5


def _rules(raw: Any, symptoms: Mapping[str, Symptom], lines: _Lines, problems: list[str]) -> list[Rule]:
    out: list[Rule] = []
    seen: dict[str, int] = {}
    if not isinstance(raw, list):
        problems.append("line 0: rules must be an array of [[rules]] tables")
        return out
    for i, r in enumerate(raw):
        line = lines.rule(i)
        rule_id = r.get("id")
        if not isinstance(rule_id, str) or not rule_id:
            problems.append(f"line {line}: rule #{i + 1} needs an `id`")
            continue
        where = f"rule {rule_id!r}"
        if rule_id in seen:
            problems.append(f"line {line}: {where}: id already used on line {seen[rule_id]}")
        seen[rule_id] = line
        symptom = r.get("symptom")
        if symptom not in symptoms:
            problems.append(
                f"line {lines.key_in_rule(i, 'symptom')}: {where}: unknown symptom "
                f"{symptom!r}; known: {sorted(symptoms)}"
            )
            continue
        prio = r.get("prio")
        if not _is_prio(prio):
            problems.append(
                f"line {lines.key_in_rule(i, 'prio')}: {where}: prio {prio!r} is not 1..5 (1 = most urgent)"
            )
            continue
        advice = r.get("advice")
        if not isinstance(advice, dict) or any(not isinstance(advice.get(lang), str) for lang in LANGUAGES):
            problems.append(
                f"line {lines.key_in_rule(i, 'advice')}: {where}: advice needs `sv` and `en` texts"
            )
            continue
        conditions = _conditions(
            r.get("when"), symptoms[symptom], f"line {lines.key_in_rule(i, 'when')}: {where}", problems
        )
        if conditions is None:
            continue
        out.append(Rule(rule_id, symptom, conditions, prio, {k: advice[k] for k in LANGUAGES}, line))
    return out


def _conditions(raw: Any, symptom: Symptom, where: str, problems: list[str]) -> tuple[Condition, ...] | None:
    if not isinstance(raw, dict) or not raw:
        problems.append(f"{where}: `when` must be a non-empty table of question = answer")
        return None
    out: list[Condition] = []
    for qname, want in raw.items():
        q = symptom.questions.get(qname)
        if q is None:
            problems.append(f"{where}: unknown question {qname!r} for symptom {symptom.name!r}")
            return None
        if qname in symptom.red_flags:
            problems.append(f"{where}: {qname!r} is a red flag (always refers to 112); rules cannot use it")
            return None
        cond = _condition(q, want)
        if cond is None:
            problems.append(f"{where}: {want!r} is not a valid condition for {q.kind} question {qname!r}")
            return None
        out.append(cond)
    return tuple(out)


def _condition(q: Question, want: Any) -> Condition | None:
    if q.kind == "bool":
        return Condition(q.name, values=frozenset({want})) if isinstance(want, bool) else None
    if q.kind == "choice":
        wanted = [want] if isinstance(want, str) else want
        if isinstance(wanted, list) and wanted and all(isinstance(w, str) and w in q.options for w in wanted):
            return Condition(q.name, values=frozenset(wanted))
        return None
    if isinstance(want, dict) and want and set(want) <= {"at_least", "at_most"}:
        lo, hi = want.get("at_least"), want.get("at_most")
        if all(v is None or (isinstance(v, int) and not isinstance(v, bool)) for v in (lo, hi)):
            return Condition(q.name, at_least=lo, at_most=hi)
    return None


def _check_overlaps(rules: list[Rule], problems: list[str]) -> None:
    for i, a in enumerate(rules):
        for b in rules[i + 1 :]:
            if a.symptom != b.symptom or not a.overlaps(b):
                continue
            if (a.prio, dict(a.advice)) != (b.prio, dict(b.advice)):
                problems.append(
                    f"line {b.line}: rule {b.rule_id!r} overlaps rule {a.rule_id!r} (line {a.line}) "
                    f"with a different outcome (prio {b.prio} vs {a.prio}): some answers match both; "
                    "add a condition that tells them apart"
                )


def _check_defaults(
    symptoms: Mapping[str, Symptom], rules: list[Rule], lines: _Lines, problems: list[str]
) -> None:
    for name, spec in symptoms.items():
        least_urgent = max((r.prio for r in rules if r.symptom == name), default=5)
        limit = min(3, least_urgent)
        if spec.default_prio > limit:
            problems.append(
                f"line {lines.symptom(name, 'default_prio')}: symptom {name!r}: default_prio "
                f"{spec.default_prio} is not conservative: it must be {limit} or more urgent "
                "(at most 3, and at least as urgent as the symptom's least urgent rule)"
            )
