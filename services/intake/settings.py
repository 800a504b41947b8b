"""Intake configuration, built once from the environment in ``main()``."""

from __future__ import annotations

import base64
import os
from collections.abc import Mapping
from dataclasses import dataclass, field

from services.intake.domain.regions import DEFAULT_ENABLED, REGIONS
from services.kafka.settings import KafkaSettings
from services.notifier.settings import DEV_CONTACT_KEYS

# Dev-only defaults so `make run` works out of the box; production sets both from Secrets.
DEV_PSEUDONYM_KEY = base64.b64encode(b"dev-only-pseudonym-key-32-bytes!").decode()


@dataclass(frozen=True)
class IntakeSettings:
    kafka: KafkaSettings = field(default_factory=KafkaSettings)
    host: str = "127.0.0.1"
    port: int = 8080
    enabled_regions: frozenset[str] = DEFAULT_ENABLED
    pseudonym_key: bytes = base64.b64decode(DEV_PSEUDONYM_KEY)
    contact_keys: str = DEV_CONTACT_KEYS  # the first key id seals new cards

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> IntakeSettings:
        enabled = env.get("INTAKE_ENABLED_REGIONS")
        regions = DEFAULT_ENABLED if not enabled else frozenset(r.strip() for r in enabled.split(","))
        unknown = sorted(regions - REGIONS.keys())
        if unknown:
            raise ValueError(f"INTAKE_ENABLED_REGIONS: unknown region codes {unknown}; "
                             f"use ISO 3166-2:SE codes such as SE-C")
        return cls(
            kafka=KafkaSettings.from_env(env),
            host=env.get("INTAKE_HOST", "127.0.0.1"),
            port=int(env.get("INTAKE_PORT", "8080")),
            enabled_regions=regions,
            pseudonym_key=base64.b64decode(env.get("PSEUDONYM_KEY", DEV_PSEUDONYM_KEY)),
            contact_keys=env.get("CONTACT_KEYS", DEV_CONTACT_KEYS),
        )
