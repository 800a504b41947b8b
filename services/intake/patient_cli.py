"""``triage token --patient <personnummer>``: a dev patient identity token for intake."""

from __future__ import annotations

import sys
from pathlib import Path

from services.intake.patient_dev_issuer import DEV_PATIENT_DIR, PatientDevIssuer


def mint_patient_token(personnummer: str, var_dir: str, ttl_s: float = 1800) -> int:
    """Print a token signed by the patient login dev issuer in ``<var_dir>/dev-patient-issuer``.

    ``triage up`` makes intake trust that key. Stdout is the token only, so
    ``$(triage token --patient ...)`` works; the personnummer is never printed.
    """
    try:
        print(
            PatientDevIssuer(Path(var_dir) / DEV_PATIENT_DIR).mint(personnummer, ttl_s=min(ttl_s, 12 * 3600))
        )
    except ValueError as exc:
        print(f"triage token: {exc}", file=sys.stderr)
        return 2
    return 0
