"""Who may use the staff API: 401 without a valid token, 403 outside one's role or region."""

from __future__ import annotations

import time
import urllib.request
from pathlib import Path

import pytest

from services.staff.dev_issuer import DevIssuer
from tests.support.stack import Stack
from tests.support.staff_client import call, is_problem, token

pytestmark = pytest.mark.e2e


def test_no_token_an_expired_one_or_one_from_a_foreign_issuer_gets_401_problem_json(
    stack: Stack, tmp_path: Path
) -> None:
    stack.start(("queue", "staff"))
    path = "/v1/regions/SE-C/waiting"
    missing = call(stack, "GET", path)
    assert is_problem(missing, 401) and "no token" in missing.json()["detail"]
    assert missing.headers["www-authenticate"].startswith("Bearer")
    # without a token nothing about the request is judged: 401, not a field-by-field 422
    blind = call(stack, "POST", "/v1/regions/stockholm/cases/x/reprioritise", body={"urgency": 9})
    assert is_problem(blind, 401)

    expired = token(stack, "nurse-anna", "nurse", "SE-C", ttl_s=60, now=time.time() - 3600)
    resp = call(stack, "GET", path, expired)
    assert is_problem(resp, 401) and "expired" in resp.json()["detail"]

    not_yet = token(stack, "nurse-anna", "nurse", "SE-C", not_before_s=600)
    assert is_problem(call(stack, "GET", path, not_yet), 401)
    other_api = token(stack, "nurse-anna", "nurse", "SE-C", audience="some-other-api")
    assert "audience" in call(stack, "GET", path, other_api).json()["detail"]
    forged = DevIssuer(tmp_path / "another-key").mint(
        "nurse-anna", ["nurse"], ["SE-C"]
    )  # same claims, wrong key
    assert is_problem(call(stack, "POST", "/v1/regions/SE-C/serve-next", forged, {}), 401)
    assert is_problem(call(stack, "GET", path, "not-a-jwt"), 401)


def test_a_nurse_of_uppsala_cannot_act_in_ostergotland_nor_transfer_and_refusals_are_audited(
    stack: Stack,
) -> None:
    stack.start(("queue", "staff"))
    anna = token(stack, "nurse-anna", "nurse", "SE-C")
    resp = call(stack, "POST", "/v1/regions/SE-E/serve-next", anna, {})
    assert is_problem(resp, 403) and "does not cover region SE-E" in resp.json()["detail"]
    assert is_problem(call(stack, "GET", "/v1/regions/SE-E/waiting", anna), 403)
    resp = call(
        stack,
        "POST",
        "/v1/regions/SE-C/cases/c-1/transfer",
        anna,
        {"to_region": "SE-E", "reason": "closer to home"},
    )
    assert is_problem(resp, 403) and "needs the role team-lead" in resp.json()["detail"]
    assert is_problem(call(stack, "GET", "/v1/audit", anna), 403)  # only auditors read the trail
    city = call(stack, "POST", "/v1/regions/stockholm/serve-next", anna, {})
    assert is_problem(city, 422) and city.json()["errors"][0]["pointer"] == "#/region", city.text

    auditor = token(stack, "auditor-ake", "auditor", "SE-C", "SE-E")

    def denials() -> list[dict[str, str]]:
        records = call(stack, "GET", "/v1/audit", auditor, params={"actor": "nurse-anna"}).json()["records"]
        return [r for r in records if r["outcome"] == "denied"]

    deadline = time.monotonic() + 20
    while len(denials()) < 3 and time.monotonic() < deadline:
        time.sleep(0.2)
    assert [(r["action"], r["region"]) for r in denials()] == [
        ("serve-next", "SE-E"),
        ("read-waiting", "SE-E"),
        ("transfer", "SE-C"),
    ]


def test_faust_pages_of_the_queue_that_would_show_tables_and_topology_are_off(stack: Stack) -> None:
    stack.start(("queue",))
    for page in ("/router/", "/table/", "/graph/", "/stats/"):
        try:
            with urllib.request.urlopen(stack.url("queue") + page, timeout=5) as resp:
                status = resp.status
        except urllib.error.HTTPError as err:
            status = err.code
        assert status == 404, page
