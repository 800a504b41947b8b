"""OpenAPI against the code, both ways: an operation declares security exactly when it can answer 401.

Each app is built as the service builds it (no broker: the lifespan does not run) and every
operation of its generated document is called without a token: the ones that answer 401 must
declare a security requirement and document 401; the ones that declare one must answer 401.
"""

from __future__ import annotations

from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from services.intake.domain.submission_index import SubmissionIndex
from services.intake.http_api import create_app as intake_app
from services.intake.patient_login import PatientLogin
from services.intake.settings import IntakeSettings
from services.intake.submissions import TriageService
from services.staff.app import create_app as staff_app
from services.staff.settings import OidcSettings, StaffSettings

SAMPLES = {"{region}": "SE-C", "{case_id}": "c0ffee"}
# A valid body per operation, so that only the missing token can be refused.
BODIES: dict[tuple[str, str], dict[str, Any]] = {
    ("post", "/v1/triage"): {
        "region": "SE-C",
        "personnummer": "19900101-0017",
        "phone": "070-123 45 67",
        "symptom": "fever",
        "answers": {"temperature_over_40": True},
    },
}


def _intake() -> Litestar:
    login = PatientLogin(
        issuer="https://login.example.invalid", jwks_url="https://login.example.invalid/jwks"
    )
    settings = IntakeSettings(patient_login=login)
    app = intake_app(settings)
    # What the lifespan would add; its publisher is never reached before the 401.
    app.state.triage = TriageService(settings, app.state.rules, None, SubmissionIndex())  # type: ignore[arg-type]
    return app


def _staff() -> Litestar:
    return staff_app(StaffSettings(oidc=OidcSettings(issuer="https://idp.example.invalid")))


def _operations(app: Litestar) -> list[tuple[str, str, dict[str, Any]]]:
    doc = app.openapi_schema.to_schema()
    return [(path, method, op) for path, ops in doc["paths"].items() for method, op in ops.items()]


def _declares_security(op: dict[str, Any]) -> bool:
    return any(requirement for requirement in op.get("security") or [])


@pytest.mark.parametrize("build", [_intake, _staff], ids=["intake", "staff"])
def test_every_operation_that_answers_401_declares_security_and_documents_401_and_no_other_does(
    build: Any,
) -> None:
    app = build()
    wrong = []
    # Not entered as a context manager: the lifespan (Kafka) does not run, and the 401 decision
    # comes before anything it starts.
    client = TestClient(app, raise_server_exceptions=False)
    for path, method, op in _operations(app):
        url = path
        for name, value in SAMPLES.items():
            url = url.replace(name, value)
        body = BODIES.get((method, path), {}) if method in ("post", "put", "delete") else None
        answer = client.request(method.upper(), url, json=body)
        says_401 = answer.status_code == 401
        if says_401 != _declares_security(op) or says_401 != ("401" in op.get("responses", {})):
            wrong.append(
                f"{method.upper()} {path}: answered {answer.status_code}, security={op.get('security')}"
            )
    assert not wrong, "\n".join(wrong)
