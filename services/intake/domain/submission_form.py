"""Validating a triage submission field by field: one error per bad field, all at once.

The same checks run for ``POST /v1/triage`` bodies and ``triage.submissions`` records,
on the plain decoded JSON object, so both ingresses accept and reject exactly the same
input. Messages say what is wrong and how to fix it, and never repeat a personnummer or
phone number back (they may end up in a result event or a log).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

import msgspec

from proto.field_error import FieldError as FieldError  # re-exported: intake's problems use it
from proto.regions import REGIONS
from services.intake.domain.identity import Identity, InvalidIdentity, parse_identity
from services.intake.domain.phone import InvalidPhone, normalise_mobile
from services.intake.domain.rulebook import Answer, RuleBook
from services.observability.redaction import redact

FIELDS = (
    "region",
    "personnummer",
    "phone",
    "symptom",
    "answers",
    "language",
    "protected_identity",
    "needs_spoken_contact",
    "submission_id",
    "accept_long_wait",
)
REQUIRED = ("region", "personnummer", "phone", "symptom")
LANGUAGES = ("sv", "en")
SUBMISSION_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")


@dataclass(frozen=True)
class Limits:
    """Size limits on a submission (the HTTP body size limit is the edge's)."""

    max_personnummer: int = 20
    max_phone: int = 24
    max_region: int = 8
    max_symptom: int = 40
    max_answers: int = 32
    max_answer_key: int = 64
    max_answer_text: int = 200


class InvalidSubmission(ValueError):
    """The submission has bad fields; nothing may be published for it."""

    def __init__(self, errors: list[FieldError]) -> None:
        super().__init__("; ".join(f"{e.pointer}: {e.detail}" for e in errors))
        self.errors = errors


@dataclass(frozen=True)
class Submission:
    """A fully validated submission, normalised (12-digit identity, E.164 phone)."""

    region: str
    identity: Identity
    phone_e164: str
    symptom: str
    answers: Mapping[str, Answer]
    language: str = "sv"
    protected_identity: bool = False
    needs_spoken_contact: bool = False  # finds written text hard: referred to 1177 by phone
    submission_id: str = ""
    # Prio 4-5 only: queue even when the region cannot call within the time frame (issue 25)
    accept_long_wait: bool = False
    errors: list[FieldError] = field(default_factory=list, compare=False)


def _pointer(*parts: str) -> str:
    return "#/" + "/".join(p.replace("~", "~0").replace("/", "~1") for p in parts)


def _answer_at(name: str) -> str:
    """The pointer of an answer, for an error only (masking the name costs more than checking it)."""
    return _pointer("answers", _name(name))


def _name(raw: str, limit: int = 64) -> str:
    """A client-supplied name, safe to echo: shortened, personal numbers masked."""
    return redact(raw[:limit])


def parse_submission(
    raw: object, rules: RuleBook, limits: Limits = Limits(), today: dt.date | None = None
) -> Submission:
    """Validate every field of a decoded JSON object; raise InvalidSubmission listing all faults.

    ``raw`` may be the HTTP edge's already-decoded msgspec Struct (its fields are read as they
    are: the body is not decoded twice). ``today``: a personnummer dated later is refused.
    """
    if isinstance(raw, msgspec.Struct):
        raw = msgspec.structs.asdict(raw)
    if not isinstance(raw, Mapping):
        raise InvalidSubmission(
            [FieldError("#", "the body must be a JSON object with the submission's fields")]
        )
    errors: list[FieldError] = []
    for name in raw:
        if name not in FIELDS:
            errors.append(
                FieldError(_pointer(_name(str(name))), f"unknown field; allowed fields are {list(FIELDS)}")
            )
    for name in REQUIRED:
        if raw.get(name) is None:
            errors.append(FieldError(_pointer(name), "required"))

    def text(name: str, limit: int) -> str | None:
        value = raw.get(name)
        if value is None:
            return None
        if not isinstance(value, str):
            errors.append(FieldError(_pointer(name), "must be a string"))
            return None
        if len(value) > limit:
            errors.append(FieldError(_pointer(name), f"too long: at most {limit} characters"))
            return None
        return value

    identity = phone = None
    if (pnr := text("personnummer", limits.max_personnummer)) is not None:
        try:
            identity = parse_identity(pnr)
        except InvalidIdentity as exc:
            errors.append(FieldError(_pointer("personnummer"), str(exc)))
        if identity is not None and today is not None and identity.birth_date > today:
            errors.append(
                FieldError(
                    _pointer("personnummer"),
                    "the birth date in this personnummer is in "
                    "the future: check the year and the date digits",
                )
            )
            identity = None
    if (raw_phone := text("phone", limits.max_phone)) is not None:
        try:
            phone = normalise_mobile(raw_phone)
        except InvalidPhone as exc:
            errors.append(FieldError(_pointer("phone"), str(exc)))
    region = text("region", limits.max_region)
    if region is not None and region not in REGIONS:
        errors.append(
            FieldError(
                _pointer("region"),
                f"unknown region {_name(region, 8)!r}: use an ISO 3166-2:SE code such as SE-C (Uppsala)",
            )
        )
        region = None
    symptom = text("symptom", limits.max_symptom)
    if symptom is not None and symptom not in rules.symptoms:
        errors.append(
            FieldError(
                _pointer("symptom"),
                f"unknown symptom {_name(symptom, 40)!r}; one of {sorted(rules.symptoms)}",
            )
        )
        symptom = None
    language = raw.get("language", "sv")
    if language not in LANGUAGES:
        errors.append(FieldError(_pointer("language"), 'must be "sv" or "en"'))
    spoken = raw.get("needs_spoken_contact", False)
    if not isinstance(spoken, bool):
        errors.append(FieldError(_pointer("needs_spoken_contact"), "must be true or false"))
    protected = raw.get("protected_identity", False)
    if not isinstance(protected, bool):
        errors.append(FieldError(_pointer("protected_identity"), "must be true or false"))
    accept_long_wait = raw.get("accept_long_wait", False)
    if not isinstance(accept_long_wait, bool):
        errors.append(FieldError(_pointer("accept_long_wait"), "must be true or false"))
    submission_id = raw.get("submission_id")
    if submission_id is not None and not (
        isinstance(submission_id, str) and SUBMISSION_ID.match(submission_id)
    ):
        errors.append(
            FieldError(
                _pointer("submission_id"),
                "must be 1-64 characters of letters, digits and . _ : - (a UUID is a good choice)",
            )
        )
    answers = _answers(raw.get("answers", {}), symptom, rules, limits, errors)
    if errors or identity is None or phone is None or region is None or symptom is None:
        raise InvalidSubmission(errors)
    return Submission(
        region=region,
        identity=identity,
        phone_e164=phone,
        symptom=symptom,
        answers=answers,
        language=str(language),
        protected_identity=bool(protected),
        needs_spoken_contact=bool(spoken),
        submission_id=submission_id or "",
        accept_long_wait=accept_long_wait is True,
    )


def _answers(
    raw: object, symptom: str | None, rules: RuleBook, limits: Limits, errors: list[FieldError]
) -> dict[str, Answer]:
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        errors.append(FieldError(_pointer("answers"), "must be an object of question: answer"))
        return {}
    if len(raw) > limits.max_answers:
        errors.append(FieldError(_pointer("answers"), f"too many answers: at most {limits.max_answers}"))
        return {}
    out: dict[str, Answer] = {}
    questions = rules.symptoms[symptom].questions if symptom else None
    for key, value in raw.items():
        name = str(key)
        if len(name) > limits.max_answer_key:
            errors.append(
                FieldError(_answer_at(name), f"question name too long: at most {limits.max_answer_key}")
            )
            continue
        if isinstance(value, str) and len(value) > limits.max_answer_text:
            errors.append(
                FieldError(_answer_at(name), f"answer too long: at most {limits.max_answer_text} characters")
            )
            continue
        if questions is None:  # unknown symptom: already reported; its answers cannot be checked
            continue
        question = questions.get(name)
        if question is None:
            errors.append(
                FieldError(
                    _answer_at(name),
                    f"unknown question for symptom {symptom!r}; its questions are {sorted(questions)}",
                )
            )
            continue
        if (problem := question.check(value)) is not None:
            errors.append(FieldError(_answer_at(name), problem))
            continue
        out[name] = value
    return out
