"""The patient login dev issuer: stands in for the e-legitimation login gateway (dev and tests).

``triage up`` makes intake trust only this key (INTAKE_PATIENT_*); ``triage token --patient
19121212-1212`` mints a short-lived patient token with it. Never used in production: there the
login gateway (BankID/Freja behind OIDC) signs the tokens.
"""

from __future__ import annotations

from pathlib import Path

from services.auth.dev_issuer import DevSigningKey
from services.intake.domain.identity import InvalidIdentity, parse_identity

DEV_PATIENT_ISSUER = "https://dev-patient-login.triage.invalid"
DEV_PATIENT_AUDIENCE = "triage-intake"
DEV_PATIENT_DIR = "dev-patient-issuer"


class PatientDevIssuer(DevSigningKey):
    """The patient login dev key in ``directory`` (created, mode 0600, on first use)."""

    def __init__(self, directory: Path) -> None:
        super().__init__(directory, DEV_PATIENT_ISSUER, DEV_PATIENT_AUDIENCE, "INTAKE_PATIENT_")

    def mint(
        self,
        personnummer: str,
        ttl_s: float = 1800,
        not_before_s: float = 0,
        audience: str = DEV_PATIENT_AUDIENCE,
        now: float | None = None,
    ) -> str:
        """A patient token whose ``sub`` is ``personnummer`` (normalised to 12 digits)."""
        try:
            number = parse_identity(personnummer).number
        except InvalidIdentity as exc:
            raise ValueError(f"--patient: {exc}") from None
        return self.sign(number, {"acr": "dev-e-legitimation"}, ttl_s, not_before_s, audience, now)
