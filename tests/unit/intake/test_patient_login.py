"""The patient's identity token at intake: who the caller is, and every way a token is refused."""

from __future__ import annotations

import asyncio
import base64
import time
from pathlib import Path

import pytest

from proto.pseudonym import DEV_PSEUDONYM_KEY, person_pseudonym
from services.auth.jwt_tokens import TokenRejected
from services.intake.patient_dev_issuer import DEV_PATIENT_AUDIENCE, DEV_PATIENT_ISSUER, PatientDevIssuer
from services.intake.patient_login import PatientLogin, PatientVerifier
from services.intake.settings import IntakeSettings

KEY = base64.b64decode(DEV_PSEUDONYM_KEY)
TOLVAN = "19121212-1212"


@pytest.fixture
def gateway(tmp_path: Path) -> PatientDevIssuer:
    return PatientDevIssuer(tmp_path / "login-gateway")


def verifier(gateway: PatientDevIssuer, **login: object) -> PatientVerifier:
    settings = {"issuer": DEV_PATIENT_ISSUER, "audience": DEV_PATIENT_AUDIENCE, "jwks_url": gateway.jwks_url}
    return PatientVerifier(PatientLogin(**{**settings, **login}), KEY)  # type: ignore[arg-type]


def test_a_valid_token_names_the_patient_by_the_same_pseudonym_their_cases_carry(
    gateway: PatientDevIssuer,
) -> None:
    patient = verifier(gateway).patient_sync(gateway.mint(TOLVAN))
    assert patient.pseudonym == person_pseudonym("191212121212", KEY)
    assert patient.number == "191212121212" and "191212121212" not in repr(patient)


def test_a_ten_digit_personnummer_of_a_centenarian_gives_the_same_patient_as_twelve_digits(
    gateway: PatientDevIssuer,
) -> None:
    v = verifier(gateway)
    assert (
        v.patient_sync(gateway.mint("121212+1212")).pseudonym
        == v.patient_sync(gateway.mint(TOLVAN)).pseudonym
    )


@pytest.mark.parametrize(
    "mint, says",
    [
        ({"ttl_s": 60, "now": time.time() - 3600}, "expired"),
        ({"not_before_s": 600}, "not valid yet"),
        ({"audience": "triage-staff"}, "audience must be triage-intake"),
    ],
)
def test_an_expired_premature_or_staff_audience_token_is_refused(
    gateway: PatientDevIssuer, mint: dict[str, float], says: str
) -> None:
    with pytest.raises(TokenRejected, match=says):
        verifier(gateway).patient_sync(gateway.mint(TOLVAN, **mint))  # type: ignore[arg-type]


def test_a_token_signed_by_another_key_is_refused(gateway: PatientDevIssuer, tmp_path: Path) -> None:
    forged = PatientDevIssuer(tmp_path / "mallory").mint(TOLVAN)
    with pytest.raises(TokenRejected, match="signing key"):
        verifier(gateway).patient_sync(forged)


def test_a_token_from_an_untrusted_issuer_is_refused(gateway: PatientDevIssuer) -> None:
    with pytest.raises(TokenRejected, match="issuer"):
        verifier(gateway, issuer="https://login.example.se").patient_sync(gateway.mint(TOLVAN))


def test_a_token_whose_subject_is_not_a_personnummer_is_refused(gateway: PatientDevIssuer) -> None:
    token = gateway.sign("nurse-anna", {})
    with pytest.raises(TokenRejected, match="'sub' claim is not a valid personnummer"):
        verifier(gateway).patient_sync(token)


def test_the_personnummer_can_come_from_a_claim_the_gateway_names(gateway: PatientDevIssuer) -> None:
    token = gateway.sign("opaque-subject-1", {"personal_identity_number": "191212121212"})
    patient = verifier(gateway, id_claim="personal_identity_number").patient_sync(token)
    assert patient.pseudonym == person_pseudonym("191212121212", KEY)


def test_the_refusal_never_repeats_the_token_or_the_personnummer(gateway: PatientDevIssuer) -> None:
    token = gateway.mint(TOLVAN, audience="elsewhere")
    with pytest.raises(TokenRejected) as refused:
        verifier(gateway).patient_sync(token)
    assert token not in str(refused.value) and "1212" not in str(refused.value)


@pytest.mark.parametrize(
    "header, says", [(None, "no token"), ("Basic abc", "Bearer <token>"), ("Bearer ", "Bearer")]
)
def test_a_missing_or_malformed_authorization_header_is_refused(
    gateway: PatientDevIssuer, header: str | None, says: str
) -> None:
    with pytest.raises(TokenRejected, match=says):
        asyncio.run(verifier(gateway).patient(header))


def test_without_a_configured_login_gateway_every_patient_token_is_refused(gateway: PatientDevIssuer) -> None:
    v = PatientVerifier(None, KEY)
    assert not v.configured
    with pytest.raises(TokenRejected, match="INTAKE_PATIENT_ISSUER is not set"):
        asyncio.run(v.patient("Bearer " + gateway.mint(TOLVAN)))


def test_submissions_need_the_patients_token_by_default_once_a_gateway_is_configured() -> None:
    assert IntakeSettings.from_env({}).patient_login is None
    login = IntakeSettings.from_env({"INTAKE_PATIENT_ISSUER": DEV_PATIENT_ISSUER}).patient_login
    assert login is not None and (login.submit, login.audience, login.id_claim) == (
        "required",
        "triage-intake",
        "sub",
    )
    env = {"INTAKE_PATIENT_ISSUER": DEV_PATIENT_ISSUER, "INTAKE_SUBMIT_IDENTITY": "optional"}
    assert IntakeSettings.from_env(env).patient_login.submit == "optional"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    "env, says",
    [
        ({"INTAKE_SUBMIT_IDENTITY": "required"}, "needs INTAKE_PATIENT_ISSUER"),
        (
            {"INTAKE_PATIENT_ISSUER": "https://x", "INTAKE_SUBMIT_IDENTITY": "always"},
            "use required or optional",
        ),
        ({"INTAKE_PATIENT_ISSUER": "https://x", "INTAKE_PATIENT_ALGORITHMS": "HS256"}, "asymmetric"),
        ({"INTAKE_PATIENT_ISSUER": "https://x", "INTAKE_PATIENT_LEEWAY_S": "soon"}, "expected seconds"),
    ],
)
def test_a_bad_patient_login_setting_stops_intake_with_a_clear_message(
    env: dict[str, str], says: str
) -> None:
    with pytest.raises(ValueError, match=says):
        IntakeSettings.from_env(env)


def test_the_dev_gateway_refuses_to_mint_for_an_invalid_personnummer(gateway: PatientDevIssuer) -> None:
    with pytest.raises(ValueError, match="--patient: not a valid personnummer"):
        gateway.mint("19121212-1213")


def test_triage_token_patient_prints_a_token_intake_accepts_and_never_the_personnummer(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from services.cli import main

    assert main(["token", "--patient", TOLVAN, "--var-dir", str(tmp_path)]) == 0
    token = capsys.readouterr().out.strip()
    gateway = PatientDevIssuer(tmp_path / "dev-patient-issuer")
    assert verifier(gateway).patient_sync(token).pseudonym == person_pseudonym("191212121212", KEY)
    assert "1212" not in token.split(".")[0]
    assert main(["token", "--patient", "19121212-1213", "--var-dir", str(tmp_path)]) == 2
    assert "not a valid personnummer" in capsys.readouterr().err
    assert main(["token", "--sub", "nurse-anna", "--var-dir", str(tmp_path)]) == 2  # staff: role, region too
    assert "--role and --region" in capsys.readouterr().err
