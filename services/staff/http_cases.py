"""The clinician's view of one case and the audited identity read (issue 25).

``GET /v1/cases/{case_id}``: symptom, answers, language, rule, advice, region, status, wait and
no-shows, from staff's own read model (services/staff/case_log.py). ``GET
/v1/cases/{case_id}/identity``: the personnummer and phone, opened from the sealed contact card,
for the clinician who called the case and the region's team leads only. Both are written to the
audit trail (case id only, never the identity) before anything is shown; a refusal is audited too.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from typing import Annotated, Any

import msgspec
from litestar import Request, Response
from litestar.datastructures import State
from litestar.exceptions import NotFoundException, PermissionDeniedException
from litestar.params import Parameter

from proto import codec
from proto.contact_crypto import ContactKeyError, open_card, open_identity
from services.staff.audit_trail import AuditUnavailable
from services.staff.case_log import CaseLog
from services.staff.desk import Caller, StaffDesk
from services.staff.domain.access import READ_CASE, READ_IDENTITY, Principal, identity_access
from services.staff.domain.case_files import CaseFile
from services.staff.http_auth import authorised_caller, client_address
from services.staff.http_models import CalledCase, CaseDetails, PatientIdentity
from services.staff.http_routes import StaffCall, read_route
from services.staff.problems import not_shown, problem_response

log = logging.getLogger("triage.staff.cases")
CaseId = Annotated[str, Parameter(pattern=r"^[A-Za-z0-9._:-]{1,64}$", description="the case id")]


def _iso(ts: float | None) -> str | None:
    return None if ts is None else dt.datetime.fromtimestamp(ts, dt.UTC).isoformat()


def _clinical(f: CaseFile) -> dict[str, Any]:
    """What the serve-next answer and the case view both show of a case file."""
    return {
        "region": f.region,
        "language": f.language,
        "symptom": f.symptom,
        "answers": dict(f.answers),
        "symptom_text": f.symptom_text,
        "answer_texts": list(f.answer_texts),
        "rule_id": f.rule_id,
        "advice": f.advice,
        "no_shows": f.no_shows,
    }


def case_details(f: CaseFile, now: float) -> CaseDetails:
    """The clinician's view of a case file at ``now`` (epoch seconds)."""
    return CaseDetails(
        **_clinical(f),
        case_id=f.case_id,
        status=f.status,
        urgency=f.urgency,
        person_pseudonym=f.person_pseudonym,
        rules_version=f.rules_version,
        triaged=f.triaged,
        queued_at=_iso(f.queued_at),
        waited_seconds=f.waited_s(now),
        called_at=_iso(f.called_at),
        called_by=f.called_by,
        not_reached=f.not_reached,
        closed_reason=f.closed_reason,
    )


def with_case_file(called: CalledCase, f: CaseFile | None) -> CalledCase:
    """The serve-next answer completed with the case's clinical data (unchanged when unknown)."""
    return called if f is None else msgspec.structs.replace(called, **_clinical(f))


async def _known_case(
    request: Request[Any, Any, Any], principal: Principal, action: str, case_id: str, state: State
) -> CaseFile:
    """The case's file; 403 (audited) for a caller without the role, 404 for an unknown case."""
    cases: CaseLog = state.case_log
    found = cases.files.get(case_id)
    if found is None:
        await authorised_caller(request, principal, action, "", state.desk, case_id)  # role only
        raise NotFoundException(detail=f"no case {case_id} is known to the staff API")
    return found


@read_route(
    "/v1/cases/{case_id:str}",
    "The clinician's view of one case: symptom, answers, rule, advice, region, wait, no-shows",
)
async def read_case(call: StaffCall, case_id: CaseId) -> Response[CaseDetails]:
    """The case as the clinician needs it (pseudonymised; the identity is a separate read). Audited."""
    f = await _known_case(call.request, call.principal, READ_CASE, case_id, call.state)
    desk: StaffDesk = call.state.desk
    caller = await authorised_caller(call.request, call.principal, READ_CASE, f.region, desk, case_id)
    try:
        await desk.trail.record(caller.audit(READ_CASE, "ok", f.region, case_id))
    except AuditUnavailable:
        return not_shown()
    return Response(case_details(f, time.time()), headers={"cache-control": "no-store"})


@read_route(
    "/v1/cases/{case_id:str}/identity",
    "The patient's personnummer and phone (the calling clinician and team leads only; audited)",
)
async def read_identity(call: StaffCall, case_id: CaseId) -> Response[PatientIdentity]:
    """Opens the case's sealed contact card for the clinician who called it or a team lead of its
    region; everyone else gets 403. Every attempt is audited (case id only, never the identity)."""
    request, state, principal = call.request, call.state, call.principal
    f = await _known_case(request, principal, READ_IDENTITY, case_id, state)
    desk: StaffDesk = state.desk
    why, role = identity_access(principal, f.region, f.called_by)
    caller = Caller(principal, role, client_address(request))
    if why is not None:
        try:
            await desk.trail.record(caller.audit(READ_IDENTITY, "denied", f.region, case_id, detail=why))
        except AuditUnavailable:
            pass  # refused either way
        raise PermissionDeniedException(detail=why)
    cases: CaseLog = state.case_log
    sealed = cases.cards.get(case_id)
    if sealed is None:
        await _audit_quietly(desk, caller.audit(READ_IDENTITY, "empty", f.region, case_id, detail="no card"))
        raise NotFoundException(
            detail=f"case {case_id} has no contact card: it is deleted when the case closes"
        )
    try:
        card = codec.CONTACT_CARDS.decode(sealed)
        phone, personnummer = open_card(card, state.contact_keys), open_identity(card, state.contact_keys)
    except (codec.DecodeError, ContactKeyError) as exc:
        log.error("case %s: contact card cannot be opened (%s)", case_id, type(exc).__name__)
        await _audit_quietly(desk, caller.audit(READ_IDENTITY, "failed", f.region, case_id, detail="sealed"))
        return problem_response(  # type: ignore[return-value]
            503, "the contact card cannot be opened with this service's keys (CONTACT_KEYS)"
        )
    try:
        await desk.trail.record(caller.audit(READ_IDENTITY, "ok", f.region, case_id))
    except AuditUnavailable:
        return not_shown()
    number = f"{personnummer[:8]}-{personnummer[8:]}" if personnummer else None
    return Response(
        PatientIdentity(case_id=case_id, personnummer=number, phone=phone),
        headers={"cache-control": "no-store"},
    )


async def _audit_quietly(desk: StaffDesk, entry: Any) -> None:
    try:
        await desk.trail.record(entry)
    except AuditUnavailable:
        pass  # nothing was shown either way


CASE_HANDLERS = [read_case, read_identity]
