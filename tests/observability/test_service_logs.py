"""The services log structured JSON with case ids, and never a patient's personnummer or phone."""

from __future__ import annotations

import re

import orjson
import pytest

from tests.observability.conftest import ObservedRun
from tests.support.stack import SERVICES

pytestmark = pytest.mark.e2e
REQUIRED = {"ts", "level", "service", "logger", "msg"}


def _digits(text: str) -> str:
    return re.sub(r"\D", "", text)


def _log_lines(run: ObservedRun, service: str) -> list[str]:
    return (run.stack.workdir / f"{service}.log").read_text(errors="replace").splitlines()


def test_every_service_log_line_is_a_json_object_with_the_standard_fields(observed_run: ObservedRun) -> None:
    for service in SERVICES:
        lines = [line for line in _log_lines(observed_run, service) if line.strip()]
        assert lines, f"{service} logged nothing"
        for line in lines:
            try:
                entry = orjson.loads(line)
            except orjson.JSONDecodeError:
                pytest.fail(f"{service} wrote a line that is not JSON: {line[:200]!r}")
            assert REQUIRED <= entry.keys(), (service, line[:200])
            assert entry["service"] == service


def test_no_log_line_contains_a_test_patients_personnummer_or_phone(observed_run: ObservedRun) -> None:
    secrets = set()
    for pnr, phone in observed_run.load.patients:
        secrets |= {pnr, pnr.replace("-", ""), pnr[2:], pnr[2:].replace("-", "")}
        digits = _digits(phone)
        secrets |= {phone, digits, "+46" + digits[1:]}
    for service in SERVICES:
        text = "\n".join(_log_lines(observed_run, service))
        flat = _digits(text)
        leaked = sorted(s for s in secrets if s in text)
        assert not leaked, f"{service} log contains personal data of test patients ({len(leaked)} values)"
        # numbers split by other characters (e.g. '070 555 12 03') are caught on the digits alone
        leaked_digits = [s for s in secrets if s.isdigit() and len(s) >= 10 and s in flat]
        assert not leaked_digits, f"{service} log contains a test patient's number (digits only)"


def test_called_cases_are_findable_in_the_logs_by_case_id(observed_run: ObservedRun) -> None:
    # Services attach the id as a field (extra={"case_id": ...}) or name it in the message;
    # either way an operator can grep the JSON logs for a case the load called.
    entries = [
        orjson.loads(line)
        for service in SERVICES
        for line in _log_lines(observed_run, service)
        if line.strip()
    ]
    called = {r["case_id"] for r in observed_run.load.sms}
    found = {cid for cid in called for e in entries if e.get("case_id") == cid or cid in e["msg"]}
    assert found == called, f"{len(called - found)} called case(s) never appear in any log line"
