"""Parsing 46elks delivery reports."""

import datetime as dt
import json

import pytest

from services.notifier.domain.delivery_reports import ReportError, parse_report

FORM = "application/x-www-form-urlencoded"


def test_a_46elks_form_report_is_read_with_its_utc_delivery_time() -> None:
    report = parse_report(
        FORM,
        b"id=s70df59406a1b4643b96f3f91e0bfb7b0&status=delivered&delivered=2018-07-13T13%3A57%3A23.741000",
    )
    assert (report.provider_id, report.status) == ("s70df59406a1b4643b96f3f91e0bfb7b0", "delivered")
    assert report.delivered_at == dt.datetime(2018, 7, 13, 13, 57, 23, 741000, tzinfo=dt.UTC)


def test_a_json_report_is_accepted_too() -> None:
    report = parse_report(
        "application/json; charset=utf-8", json.dumps({"id": "s1", "status": "failed"}).encode()
    )
    assert (report.provider_id, report.status, report.delivered_at) == ("s1", "failed", None)


@pytest.mark.parametrize(
    "ctype, body, says",
    [
        (FORM, b"status=delivered", "'id'"),
        (FORM, b"id=s1&status=read", "'status'"),
        (FORM, b"id=s1&status=delivered&delivered=yesterday", "'delivered'"),
        (FORM, b"id=s1%0A%3Cscript%3E&status=sent", "'id' must be"),
        ("application/json", b"[1]", "JSON body must be an object"),
        ("application/json", b"{", "not valid JSON"),
        ("text/plain", b"id=s1", "unsupported content-type"),
    ],
)
def test_a_malformed_report_is_refused_naming_the_problem(ctype: str, body: bytes, says: str) -> None:
    with pytest.raises(ReportError, match=says):
        parse_report(ctype, body)
