"""The patient login dev issuer: stands in for the e-legitimation login gateway (dev and tests).

``triage up`` makes intake trust only this key (INTAKE_PATIENT_*); ``triage token --patient
19121212-1212`` mints a short-lived patient token with it. Never used in production: there the
login gateway (BankID/Freja behind OIDC) signs the tokens.
"""

from __future__ import annotations

from typing import Unpack

from services.auth.dev_issuer import DevSigningKey, TokenTimes
from services.intake.domain.identity import InvalidIdentity, parse_identity

DEV_PATIENT_ISSUER = "https://dev-patient-login.triage.invalid"
DEV_PATIENT_AUDIENCE = "triage-intake"
DEV_PATIENT_DIR = "dev-patient-issuer"


class PatientDevIssuer(DevSigningKey):
    """The patient login dev key in a directory (created, mode 0600, on first use)."""

    issuer = DEV_PATIENT_ISSUER
    audience = DEV_PATIENT_AUDIENCE
    env_prefix = "INTAKE_PATIENT_"
    ttl_s = 1800

    def mint(self, personnummer: str, **times: Unpack[TokenTimes]) -> str:
        """A patient token whose ``sub`` is ``personnummer`` (normalised to 12 digits)."""
        try:
            number = parse_identity(personnummer).number
        except InvalidIdentity as exc:
            raise ValueError(f"--patient: {exc}") from None
        return self.sign(number, {"acr": "dev-e-legitimation"}, **times)
