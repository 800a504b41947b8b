"""Completing a case over HTTP (issue 26): check the clinician's note, seal it, build the command.

The note (advice, clinic, visit time) is health data: it is sealed here with the first key of
``ADVICE_KEYS`` and travels only sealed (queue.commands -> queue.events -> intake, which opens
it for the patient). Neither it nor its length is logged or audited; the audit records the
outcome kind only.
"""

from __future__ import annotations

from typing import Any

from litestar import Response

from proto import events as ev
from proto.field_error import FieldError
from proto.note_crypto import parse_keyring, seal_note
from services.config.env import SettingsError
from services.staff.domain.closing_note import note_problems
from services.staff.http_models import CompleteRequest
from services.staff.problems import problem_response

__all__ = ["CompleteRequest", "advice_key", "complete_command", "invalid"]

AdviceKey = tuple[str, bytes]


def advice_key(spec: str) -> AdviceKey:
    """The key id and key that seal new notes (the first of ``ADVICE_KEYS``)."""
    try:
        return next(iter(parse_keyring(spec).items()))
    except ValueError as exc:
        raise SettingsError(f"ADVICE_KEYS: {exc} (format 'kid:base64key,...', 32-byte keys)") from None


def complete_command(
    region: str, case_id: str, actor: str, request_id: str, body: CompleteRequest, key: AdviceKey
) -> ev.CompleteCase | list[FieldError]:
    """The CompleteCase to send, with the note sealed; or every field the clinician must fix."""
    problems = note_problems(body.outcome, body.advice, body.clinic, body.visit_at)
    if problems:
        return [FieldError(pointer=pointer, detail=detail) for pointer, detail in problems]
    note = ev.ClosingNote(
        advice=body.advice.strip(), clinic=(body.clinic or "").strip(), visit_at=body.visit_at
    )
    return ev.CompleteCase(
        region=region,
        case_id=case_id,
        by=actor,
        request_id=request_id,
        outcome=body.outcome,
        note=seal_note(case_id, note, *key),
    )


def invalid(errors: list[FieldError]) -> Response[Any]:
    """422 problem+json naming every field of the completion to fix."""
    return problem_response(
        422,
        f"{len(errors)} invalid field(s): fix each one listed in `errors` and send again",
        errors,
        type_="/problems/invalid-completion",
    )
