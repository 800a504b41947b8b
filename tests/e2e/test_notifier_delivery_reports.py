"""POST /v1/sms/delivery-reports on a running notifier: 46elks' callback in, sms.events out."""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
import uuid
from typing import Any

import pytest

from proto.events import HeadsUp, SmsDelivered, SmsFailed, SmsSent
from tests.support.fake_46elks import Fake46elks
from tests.support.sms_feed import metric, publish, sms_events, your_turn
from tests.support.stack import Stack, wait_until

pytestmark = pytest.mark.e2e
PATH = "/v1/sms/delivery-reports"
SECRET = "webhook-secret-" + uuid.uuid4().hex


def post(stack: Stack, body: bytes, content_type: str, secret: str | None = SECRET) -> tuple[int, Any]:
    query = "" if secret is None else "?" + urllib.parse.urlencode({"secret": secret})
    req = urllib.request.Request(
        stack.url("notifier") + PATH + query, data=body, method="POST", headers={"content-type": content_type}
    )
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


def form(**fields: str) -> bytes:
    return urllib.parse.urlencode(fields).encode()


def test_delivery_reports_become_sms_events_and_bad_ones_get_a_clear_4xx(stack: Stack) -> None:
    with Fake46elks() as elks:
        stack.extra_env.update(
            elks.env(), ELKS_DELIVERY_REPORT_URL="http://127.0.0.1:1" + PATH, NOTIFIER_WEBHOOK_SECRET=SECRET
        )
        stack.start(("notifier",))
        cases = [(uuid.uuid4().hex, "+46703000001"), (uuid.uuid4().hex, "+46703000002")]
        soon = (uuid.uuid4().hex, "+46703000003")
        publish(
            stack.kafka,
            [*cases, soon],
            [
                *(your_turn(c, language="en") for c, _ in cases),
                HeadsUp(case_id=soon[0], region="SE-C", position=2),
            ],
        )
        sent = wait_until(
            lambda: (
                s
                if len(s := {e.case_id: e for e in sms_events(stack.kafka) if isinstance(e, SmsSent)}) == 3
                else None
            ),
            60,
            "three SMS sent",
        )
        assert {r.whendelivered for r in elks.accepted()} == {f"http://127.0.0.1:1{PATH}?secret={SECRET}"}
        texts = {r.to: r.message for r in elks.accepted()}
        assert all(texts[p].startswith("It is your turn") for _, p in cases)
        assert "plats 2 i kön" in texts[soon[1]] and sent[soon[0]].kind == "heads_up"
        assert all(e.segments == 1 for e in sent.values())
        delivered_case, failed_case = (c for c, _ in cases)
        delivered_id, failed_id = sent[delivered_case].provider_id, sent[failed_case].provider_id

    # forged: a real SMS id with "failed", but without the secret or with a wrong one: refused
    forged = form(id=failed_id, status="failed")
    for secret in (None, "", "guess-" + SECRET[6:], SECRET + "x"):
        status, body = post(stack, forged, "application/x-www-form-urlencoded", secret)
        assert status == 403 and "webhook secret" in body["error"], (secret, body)

    # valid: 46elks posts a form; JSON is accepted too
    assert post(stack, form(id=delivered_id, status="sent"), "application/x-www-form-urlencoded")[0] == 200
    status, body = post(
        stack,
        form(id=delivered_id, status="delivered", delivered="2026-11-23T09:57:23.741000"),
        "application/x-www-form-urlencoded",
    )
    assert (status, body["sms_id"]) == (200, sent[delivered_case].sms_id)
    assert (
        post(stack, json.dumps({"id": failed_id, "status": "failed"}).encode(), "application/json")[0] == 200
    )

    # an id we never sent: acknowledged (so the provider stops retrying), nothing published
    assert post(stack, form(id="s" + "0" * 32, status="delivered"), "application/x-www-form-urlencoded") == (
        200,
        {"status": "ignored", "reason": "unknown id"},
    )

    # malformed: 400 naming what is wrong
    for body_bytes, ctype, says in [
        (form(status="delivered"), "application/x-www-form-urlencoded", "'id'"),
        (form(id=delivered_id, status="read"), "application/x-www-form-urlencoded", "'status'"),
        (
            form(id=delivered_id, status="delivered", delivered="yesterday"),
            "application/x-www-form-urlencoded",
            "'delivered'",
        ),
        (b"{not json", "application/json", "not valid JSON"),
        (b"<report/>", "application/xml", "content-type"),
    ]:
        status, body = post(stack, body_bytes, ctype)
        assert status == 400 and says in body["error"], (body_bytes, body)

    events = wait_until(
        lambda: (
            ev
            if len(ev := [e for e in sms_events(stack.kafka) if isinstance(e, SmsDelivered | SmsFailed)]) >= 2
            else None
        ),
        30,
        "SmsDelivered and SmsFailed on sms.events",
    )
    assert len(events) == 2
    delivered = next(e for e in events if isinstance(e, SmsDelivered))
    assert (delivered.case_id, delivered.provider_id) == (delivered_case, delivered_id)
    assert delivered.delivered_at is not None and delivered.delivered_at.isoformat().startswith(
        "2026-11-23T09:57:23"
    )
    failed = next(e for e in events if isinstance(e, SmsFailed))
    assert (failed.case_id, failed.sms_id) == (failed_case, sent[failed_case].sms_id)
    assert metric(stack.url("notifier"), "triage_sms_total", outcome="delivered") == 1
