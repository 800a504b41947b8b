"""The patient's identity at intake's edge: a signed token from the e-legitimation login gateway.

The patient logs in upstream (BankID or Freja eID+); the login gateway hands the patient app
a short-lived JWT signed with its key: ``sub`` (or ``INTAKE_PATIENT_ID_CLAIM``) is the
personnummer, ``iss``/``aud``/``exp`` are checked against ``INTAKE_PATIENT_*`` with the shared
verifier (services/auth). Intake turns the number into the keyed pseudonym at once
(``PSEUDONYM_KEY``, the HMAC already on CaseTriaged.person_pseudonym): a case is the caller's
when the two pseudonyms are equal. The number itself is kept only for the request (POST
compares it with the body's) and is never logged; neither is the token.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from proto.pseudonym import person_pseudonym
from services.auth.jwt_tokens import (
    JwtVerifier,
    TokenRejected,
    TrustedIssuer,
    asymmetric_algorithms,
    bearer_token,
    claim_text,
)
from services.config.env import EnvReader, SettingsError
from services.intake.domain.identity import InvalidIdentity, parse_identity

SubmitRule = Literal["required", "optional"]
HINT = "the patient app gets it from the login gateway; dev: `triage token --patient <personnummer>`"


@dataclass(frozen=True)
class PatientLogin(TrustedIssuer):
    """Whose patient tokens intake trusts, and whether POST /v1/triage needs one.

    ``submit``: ``required`` (the default): a submission needs a patient token whose personnummer
    is the body's, so nobody can submit in another person's name. ``optional``: a token, when
    sent, must match; without one the body is trusted (callers that authenticate patients
    themselves, load tests). The Kafka ingress is for trusted services and never checks one.
    """

    audience: str = "triage-intake"
    id_claim: str = "sub"
    submit: SubmitRule = "required"

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> PatientLogin | None:
        """INTAKE_PATIENT_* settings; None when no issuer is set (patient tokens are then refused)."""
        read = EnvReader(env)
        issuer = read.text("INTAKE_PATIENT_ISSUER").strip()
        submit = read.text("INTAKE_SUBMIT_IDENTITY").strip() or "required"
        if submit not in ("required", "optional"):
            raise SettingsError(f"INTAKE_SUBMIT_IDENTITY={submit!r}: use required or optional")
        if not issuer:
            if read.text("INTAKE_SUBMIT_IDENTITY").strip() == "required":
                raise SettingsError(
                    "INTAKE_SUBMIT_IDENTITY=required needs INTAKE_PATIENT_ISSUER (and its audience "
                    "and JWKS): the login gateway whose patient tokens intake checks"
                )
            return None
        leeway_s = read.float("INTAKE_PATIENT_LEEWAY_S", 5, expected="seconds, e.g. 5")
        try:
            algorithms = asymmetric_algorithms(
                read.text("INTAKE_PATIENT_ALGORITHMS") or "RS256,ES256", "INTAKE_PATIENT_ALGORITHMS"
            )
        except ValueError as exc:
            raise SettingsError(str(exc)) from None
        return cls(
            issuer=issuer,
            audience=read.text("INTAKE_PATIENT_AUDIENCE").strip() or "triage-intake",
            jwks_url=read.text("INTAKE_PATIENT_JWKS_URL").strip(),
            algorithms=algorithms,
            leeway_s=leeway_s,
            id_claim=read.text("INTAKE_PATIENT_ID_CLAIM").strip() or "sub",
            submit=submit,  # type: ignore[arg-type]
        )


@dataclass(frozen=True)
class Patient:
    """The logged-in patient: the pseudonym (compared with cases), the number (this request only)."""

    pseudonym: str
    number: str = field(repr=False)  # 12 digits; never logged, never stored


class PatientVerifier:
    """Verifies patient tokens and names the patient by pseudonym."""

    def __init__(self, login: PatientLogin | None, pseudonym_key: bytes) -> None:
        self.login = login
        self._key = pseudonym_key
        self._jwt = JwtVerifier(login) if login is not None else None

    @property
    def configured(self) -> bool:
        """Are patient tokens accepted at all (INTAKE_PATIENT_ISSUER set)?"""
        return self._jwt is not None

    def patient_sync(self, token: str) -> Patient:
        """The patient a raw token names; TokenRejected when it is not a valid patient token."""
        if self._jwt is None or self.login is None:
            raise TokenRejected(
                "this intake accepts no patient tokens (INTAKE_PATIENT_ISSUER is not set): "
                "use the case token from the submission's answer"
            )
        claims = self._jwt.claims_sync(token)
        try:
            number = parse_identity(claim_text(claims, self.login.id_claim)).number
        except InvalidIdentity:
            raise TokenRejected(
                f"the token's {self.login.id_claim!r} claim is not a valid personnummer or samordningsnummer"
            ) from None
        return Patient(person_pseudonym(number, self._key), number)

    async def patient(self, authorization: str | None) -> Patient:
        """The patient of an ``Authorization: Bearer <jwt>`` header value (verified off the loop)."""
        token = bearer_token(authorization, HINT)
        if self._jwt is None:
            return self.patient_sync(token)  # raises: not configured
        return await asyncio.to_thread(self.patient_sync, token)
