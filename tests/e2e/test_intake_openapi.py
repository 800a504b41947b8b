"""schemathesis against the running intake's OpenAPI document: no 5xx, no schema violation."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from services.kafka.settings import KafkaSettings
from tests.support.stack import Stack, new_namespace

pytestmark = pytest.mark.e2e
CHECKS = ",".join(
    [
        "not_a_server_error",
        "status_code_conformance",
        "content_type_conformance",
        "response_schema_conformance",
        "response_headers_conformance",
    ]
)


def test_schemathesis_finds_no_server_error_and_no_schema_violation(
    bootstrap_servers: str, tmp_path: Path
) -> None:
    stack = Stack(
        kafka=KafkaSettings(bootstrap_servers, new_namespace()),
        workdir=tmp_path,
        extra_env={"INTAKE_RATE_PER_S": "1000", "INTAKE_RATE_BURST": "1000"},
    )
    try:
        stack.start(services=("intake",))  # intake answers from its own read model: no queue needed
        schema = httpx.get(stack.url("intake") + "/openapi.json").json()
        assert {"/v1/triage", "/v1/cases/{case_id}", "/healthz", "/readyz"} <= set(schema["paths"])
        for path in ("/v1/triage", "/v1/cases/{case_id}"):
            responses = next(iter(schema["paths"][path].values()))["responses"]
            for code in ("429", "503"):  # documented as the service sends them
                assert "Retry-After" in responses[code]["headers"], (path, code)
        case_errors = schema["paths"]["/v1/cases/{case_id}"]["get"]["responses"]
        assert "400" not in case_errors and "problem+json" in next(iter(case_errors["422"]["content"]))
        # Bounded: a few examples per operation, a timeout per request, about half a minute in all.
        run = subprocess.run(
            [
                str(Path(sys.executable).parent / "schemathesis"),
                "run",
                stack.url("intake") + "/openapi.json",
                "--checks",
                CHECKS,
                "--max-examples",
                "25",
                "--seed",
                "1177",
                "--request-timeout",
                "5",
                "--max-failures",
                "5",
                "--no-color",
            ],
            capture_output=True,
            text=True,
            timeout=240,
            cwd=tmp_path,
        )
        assert run.returncode == 0, run.stdout[-6000:] + run.stderr[-2000:]
    finally:
        stack.stop()
