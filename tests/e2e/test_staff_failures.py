"""When the queue or the audit trail cannot answer: a clear 504 or 503, and nothing done twice."""

from __future__ import annotations

import httpx
import pytest

from proto import topics
from tests.support.queue_io import read_all
from tests.support.stack import Stack, wait_until
from tests.support.staff_client import call, is_problem, token

pytestmark = pytest.mark.e2e


def test_serve_next_without_an_answer_in_time_says_504_and_a_retry_with_the_same_request_id_is_answered(
    stack: Stack,
) -> None:
    stack.extra_env["STAFF_ANSWER_TIMEOUT_S"] = "1"
    stack.start(("staff",))  # no queue yet: nobody decides the command
    anna = token(stack, "nurse-anna", "nurse", "SE-C")
    late = call(stack, "POST", "/v1/regions/SE-C/serve-next", anna, {"request_id": "shift-7-call-1"})
    assert is_problem(late, 504)
    assert "may still be decided" in late.json()["detail"] and "'shift-7-call-1'" in late.json()["detail"]

    stack.start(("queue",))  # the queue comes up and decides the waiting command: nobody waits in SE-C
    retry = call(stack, "POST", "/v1/regions/SE-C/serve-next", anna, {"request_id": "shift-7-call-1"})
    assert retry.status_code == 200 and retry.json()["outcome"] == "empty", retry.text


def test_an_action_whose_audit_record_cannot_be_written_fails_with_503_and_is_not_sent(stack: Stack) -> None:
    stack.extra_env["STAFF_AUDIT_TIMEOUT_S"] = "0.000001"  # no broker acknowledges this fast
    stack.start(("staff",))
    anna = token(stack, "nurse-anna", "nurse", "SE-C")
    refused = call(stack, "POST", "/v1/regions/SE-C/serve-next", anna, {})
    assert is_problem(refused, 503) and "nothing was done" in refused.json()["detail"]
    assert read_all(stack.kafka, topics.QUEUE_COMMANDS) == []


def test_behind_a_trusted_proxy_the_audit_records_the_forwarded_client_and_ignores_forged_hops(
    stack: Stack,
) -> None:
    stack.extra_env["STAFF_TRUSTED_PROXIES"] = "127.0.0.1"  # the test plays the ingress controller
    stack.start(("queue", "staff"))
    anna = token(stack, "nurse-anna", "nurse", "SE-C")
    headers = {"authorization": f"Bearer {anna}", "x-forwarded-for": "6.6.6.6, 10.20.30.40"}
    assert httpx.get(stack.url("staff") + "/v1/regions/SE-C/waiting", headers=headers).status_code == 200
    auditor = token(stack, "auditor-ake", "auditor", "SE-C")
    records = wait_until(
        lambda: call(stack, "GET", "/v1/audit", auditor, params={"actor": "nurse-anna"}).json()["records"],
        20,
        "the read's audit record",
    )
    assert [r["client"] for r in records] == ["10.20.30.40"]
