"""Staff API configuration, built once from the environment in ``main()``."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field

from proto.contact_crypto import DEV_CONTACT_KEYS
from proto.note_crypto import DEV_ADVICE_KEYS
from services.auth.jwt_tokens import TrustedIssuer, asymmetric_algorithms
from services.config.env import EnvReader, SettingsError
from services.kafka.settings import KafkaSettings


@dataclass(frozen=True)
class OidcSettings(TrustedIssuer):
    """Who issues staff tokens: in production the region's identity provider (SITHS eID via OIDC)."""

    audience: str = "triage-staff"
    roles_claim: str = "roles"
    regions_claim: str = "regions"


@dataclass(frozen=True)
class StaffSettings:
    oidc: OidcSettings
    kafka: KafkaSettings = field(default_factory=KafkaSettings)
    host: str = "127.0.0.1"
    port: int = 8084
    queue_url: str = "http://127.0.0.1:6066"
    forecast_url: str = "http://127.0.0.1:8086"  # the wait forecaster (issue 22)
    queue_timeout_s: float = 2.0
    answer_timeout_s: float = 5.0  # how long serve-next & co. wait for the queue's answer
    advice_keys: str = DEV_ADVICE_KEYS  # seals the clinician's closing note; the first key id seals
    audit_timeout_s: float = 5.0  # an audit write slower than this fails the action (503)
    audit_memory: int = 1_000_000  # audit records kept in memory for queries (see docs/staff.md)
    # Peers (the ingress controller) whose X-Forwarded-For names the real client in the audit trail.
    trusted_proxies: frozenset[str] = frozenset()
    # Opens the sealed contact cards for the audited identity read (the same CONTACT_KEYS as intake).
    contact_keys: str = DEV_CONTACT_KEYS

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> StaffSettings:
        """Read STAFF_* variables; SettingsError names a missing or bad one."""
        read = EnvReader(env)
        issuer = read.text("STAFF_OIDC_ISSUER", "").strip()
        if not issuer:
            raise SettingsError(
                "STAFF_OIDC_ISSUER is not set: give the OIDC issuer of staff tokens "
                "(and STAFF_OIDC_AUDIENCE), or run `triage up`, which trusts its dev issuer"
            )
        try:
            algorithms = asymmetric_algorithms(
                read.text("STAFF_OIDC_ALGORITHMS", "RS256,ES256"), "STAFF_OIDC_ALGORITHMS"
            )
        except ValueError as exc:
            raise SettingsError(str(exc)) from None
        queue_port = read.text("QUEUE_WEB_PORT", "6066")
        return cls(
            oidc=OidcSettings(
                issuer=issuer,
                audience=read.text("STAFF_OIDC_AUDIENCE", "triage-staff"),
                jwks_url=read.text("STAFF_OIDC_JWKS_URL", ""),
                algorithms=algorithms,
                leeway_s=read.float("STAFF_OIDC_LEEWAY_S", 5.0, above=0),
                roles_claim=read.text("STAFF_ROLES_CLAIM", "roles"),
                regions_claim=read.text("STAFF_REGIONS_CLAIM", "regions"),
            ),
            kafka=KafkaSettings.from_env(env),
            host=read.text("STAFF_HOST", "127.0.0.1"),
            port=read.int("STAFF_PORT", 8084, minimum=1),
            queue_url=read.text("QUEUE_URL", f"http://127.0.0.1:{queue_port}").rstrip("/"),
            forecast_url=read.text(
                "FORECAST_URL", f"http://127.0.0.1:{read.text('FORECAST_PORT', '8086')}"
            ).rstrip("/"),
            queue_timeout_s=read.float("STAFF_QUEUE_TIMEOUT_S", 2.0, above=0),
            answer_timeout_s=read.float("STAFF_ANSWER_TIMEOUT_S", 5.0, above=0),
            audit_timeout_s=read.float("STAFF_AUDIT_TIMEOUT_S", 5.0, above=0),
            audit_memory=read.int("STAFF_AUDIT_MEMORY", 1_000_000, minimum=1),
            advice_keys=read.text("ADVICE_KEYS", DEV_ADVICE_KEYS),
            trusted_proxies=read.csv("STAFF_TRUSTED_PROXIES"),
            contact_keys=read.text("CONTACT_KEYS", DEV_CONTACT_KEYS),
        )
