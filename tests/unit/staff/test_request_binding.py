"""A staff request_id is bound to the request it first named (issue 25, item 3)."""

from __future__ import annotations

import pytest

from proto import events as ev
from services.staff.audit_log import AuditIndex
from services.staff.domain.request_binding import RequestBindings, RequestIdReused, request_digest


def _cancel(case_id: str, reason: str = "handled by phone", rid: str = "r1") -> ev.CancelCase:
    return ev.CancelCase(region="SE-C", case_id=case_id, reason=reason, by="nurse-1", request_id=rid)


def test_a_retry_of_the_same_command_has_the_same_digest_and_another_command_another() -> None:
    first = request_digest(_cancel("c1"))
    assert request_digest(_cancel("c1")) == first  # new event id and time: still the same request
    assert request_digest(_cancel("c2")) != first
    assert request_digest(_cancel("c1", reason="other")) != first
    assert request_digest(ev.ServeNext(region="SE-C", clinician_id="nurse-1", request_id="r1")) != first


def test_a_request_id_reused_for_another_case_is_refused_naming_the_id() -> None:
    bindings = RequestBindings()
    bindings.note("r1", request_digest(_cancel("c1")))
    bindings.check("r1", request_digest(_cancel("c1")))  # the retry goes through
    with pytest.raises(RequestIdReused, match="request_id 'r1' was already used for a different request"):
        bindings.check("r1", request_digest(_cancel("c2")))
    bindings.check("r2", request_digest(_cancel("c2")))  # a new id is a new request


def test_bindings_come_back_from_the_audit_trail_after_a_restart() -> None:
    bindings = RequestBindings()
    index = AuditIndex(capacity=10, on_request=bindings.note)
    digest = request_digest(_cancel("c1"))
    requested = ev.AuditRecorded(
        actor="nurse-1",
        role="nurse",
        action="cancel",
        outcome="requested",
        request_id="r1",
        request_digest=digest,
    )
    index.add(requested)
    index.add(ev.AuditRecorded(actor="nurse-1", role="nurse", action="cancel", outcome="ok", request_id="r1"))
    with pytest.raises(RequestIdReused):
        bindings.check("r1", request_digest(_cancel("c2")))


def test_memory_of_bindings_is_bounded() -> None:
    bindings = RequestBindings(memory=2)
    for i in range(5):
        bindings.note(f"r{i}", f"d{i}")
    bindings.check("r0", "anything")  # forgotten
    with pytest.raises(RequestIdReused):
        bindings.check("r4", "other")
