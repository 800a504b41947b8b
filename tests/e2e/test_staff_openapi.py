"""schemathesis against the running staff API with a valid token: no 5xx, no schema violation."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.e2e.test_intake_openapi import CHECKS
from tests.support.stack import Stack

pytestmark = pytest.mark.e2e


def test_schemathesis_with_a_valid_token_finds_no_server_error_and_no_schema_violation(stack: Stack) -> None:
    stack.extra_env["STAFF_ANSWER_TIMEOUT_S"] = "3"
    stack.start(("queue", "staff", "forecast"))  # forecast: the team lead's forecast view
    schema = httpx.get(stack.url("staff") + "/openapi.json").json()
    assert schema["components"]["securitySchemes"]["bearerAuth"] == {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
        "description": schema["components"]["securitySchemes"]["bearerAuth"]["description"],
    }
    assert {
        "/v1/regions/{region}/serve-next",
        "/v1/regions/{region}/waiting",
        "/v1/audit",
        "/v1/regions/{region}/cases/{case_id}/transfer",
    } <= set(schema["paths"])
    bearer = stack.dev_issuer.mint("schemathesis", ["team-lead", "auditor"], ["*"], ttl_s=900)
    run = subprocess.run(
        [
            str(Path(sys.executable).parent / "schemathesis"),
            "run",
            stack.url("staff") + "/openapi.json",
            "--header",
            f"Authorization: Bearer {bearer}",
            "--checks",
            CHECKS,
            "--max-examples",
            "15",
            "--seed",
            "1177",
            "--request-timeout",
            "8",
            "--max-failures",
            "5",
            "--no-color",
        ],
        capture_output=True,
        text=True,
        timeout=400,
        cwd=stack.workdir,
    )
    assert run.returncode == 0, run.stdout[-6000:] + run.stderr[-2000:]
