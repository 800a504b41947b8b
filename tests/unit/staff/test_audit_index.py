"""Auditor queries over the in-memory audit index: by case, actor, region and time range."""

from __future__ import annotations

import datetime as dt

from proto.events import AuditRecorded
from services.staff.audit_log import AuditIndex

T0 = dt.datetime(2026, 11, 23, 8, 0, tzinfo=dt.UTC)


def _rec(
    minute: int,
    actor: str,
    action: str,
    case_id: str = "",
    region: str = "SE-C",
    case_ids: tuple[str, ...] = (),
) -> AuditRecorded:
    return AuditRecorded(
        event_id=f"{minute}-{actor}-{action}",
        occurred_at=T0 + dt.timedelta(minutes=minute),
        actor=actor,
        role="nurse",
        action=action,
        outcome="ok",
        region=region,
        case_id=case_id,
        case_ids=list(case_ids),
    )


def _index() -> AuditIndex:
    index = AuditIndex(capacity=100)
    for r in (
        _rec(3, "nurse-anna", "no-show", "c1"),
        _rec(1, "nurse-anna", "serve-next", "c1"),
        _rec(2, "nurse-bo", "read-waiting", case_ids=("c1", "c2")),
        _rec(4, "nurse-eva", "serve-next", "c9", region="SE-E"),
    ):
        index.add(r)
    return index


def test_who_touched_a_case_includes_the_staff_who_saw_it_in_a_list() -> None:
    found = _index().query(case_id="c1")
    assert [(r.actor, r.action) for r in found] == [
        ("nurse-anna", "serve-next"),
        ("nurse-bo", "read-waiting"),
        ("nurse-anna", "no-show"),
    ]


def test_what_one_staff_member_did_in_a_time_range() -> None:
    found = _index().query(
        actor="nurse-anna", since=T0 + dt.timedelta(minutes=2), until=T0 + dt.timedelta(minutes=4)
    )
    assert [r.action for r in found] == ["no-show"]


def test_an_auditor_sees_only_the_regions_of_their_token() -> None:
    assert [r.actor for r in _index().query(regions=frozenset({"SE-E"}))] == ["nurse-eva"]


def test_a_redelivered_audit_record_is_counted_once() -> None:
    index = _index()
    index.add(_rec(1, "nurse-anna", "serve-next", "c1"))
    assert len(index) == 4


def test_past_its_capacity_the_index_keeps_the_newest_half() -> None:
    index = AuditIndex(capacity=4)
    for minute in range(5):
        index.add(_rec(minute, "nurse-anna", "serve-next", f"c{minute}"))
    assert [r.case_id for r in index.query()] == ["c2", "c3", "c4"]
    assert index.query(case_id="c0") == []
