"""Intake configuration, built once from the environment in ``main()``."""

from __future__ import annotations

import base64
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from proto.contact_crypto import DEV_CONTACT_KEYS
from proto.note_crypto import DEV_ADVICE_KEYS
from proto.pseudonym import DEV_PSEUDONYM_KEY
from proto.regions import DEFAULT_ENABLED, REGIONS
from services.config.env import EnvReader, SettingsError
from services.intake.domain.admission import AdmissionLimits
from services.intake.domain.case_access import derive_key
from services.intake.patient_login import PatientLogin
from services.kafka.settings import KafkaSettings
from services.opening_hours.eta import EtaPolicy
from services.opening_hours.hours_file import load_hours_from_env
from services.opening_hours.schedule import OpeningHours


def packaged_rules_path() -> Path:
    """The urgency rules file shipped with the package (package data)."""
    return Path(str(resources.files("services.intake").joinpath("rules/urgency-rules.toml")))


@dataclass(frozen=True)
class IntakeSettings:
    """Everything intake reads from the environment (README: configuration)."""

    kafka: KafkaSettings = field(default_factory=KafkaSettings)
    host: str = "127.0.0.1"
    port: int = 8080
    enabled_regions: frozenset[str] = DEFAULT_ENABLED
    pseudonym_key: bytes = base64.b64decode(DEV_PSEUDONYM_KEY)
    contact_keys: str = DEV_CONTACT_KEYS  # the first key id seals new cards
    advice_keys: str = DEV_ADVICE_KEYS  # opens the clinicians' sealed closing notes (issue 26)
    rules_path: Path = field(default_factory=packaged_rules_path)
    case_token_key: bytes = b""  # empty: derived from pseudonym_key (see domain/case_access.py)
    workers: int = 1
    admission: AdmissionLimits = field(default_factory=AdmissionLimits)
    rate_per_s: float = 20.0
    rate_burst: float = 40.0
    rate_max_clients: int = 10_000
    max_body_bytes: int = 16 * 1024
    request_timeout_s: float = 10.0
    max_in_flight: int = 256
    index_max_entries: int = 1_000_000
    kafka_ingress: bool = True
    hours: OpeningHours = field(default_factory=OpeningHours)  # OPENING_HOURS_PATH, checked at start
    eta: EtaPolicy = field(default_factory=EtaPolicy)
    rate_window_s: float = 900.0  # the serving-rate window of estimates: the queue's, so both agree
    frame_check_s: float = 60.0  # how often waiting cases are checked against their time frame
    patient_login: PatientLogin | None = None  # INTAKE_PATIENT_*: None = no patient tokens accepted
    # the read model's retention and snapshots (docs/intake.md, "Retention and a bounded start")
    submission_retention_s: float = 7 * 86400.0
    case_retention_s: float = 7 * 86400.0
    snapshot_every_s: float = 300.0
    snapshot_encoder: str = "fork"  # fork: encoded in a forked child (services/snapshot_encoder.py)

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> IntakeSettings:
        """Read INTAKE_* (and the shared keys, hours and ETA) variables; SettingsError names a bad one."""
        read = EnvReader(env)
        regions = read.csv("INTAKE_ENABLED_REGIONS") or DEFAULT_ENABLED
        unknown = sorted(regions - REGIONS.keys())
        if unknown:
            raise SettingsError(
                f"INTAKE_ENABLED_REGIONS: unknown region codes {unknown}; "
                f"use ISO 3166-2:SE codes such as SE-C"
            )
        return cls(
            kafka=KafkaSettings.from_env(env),
            host=read.text("INTAKE_HOST", "127.0.0.1"),
            port=read.int("INTAKE_PORT", 8080),
            enabled_regions=regions,
            pseudonym_key=read.base64("PSEUDONYM_KEY", DEV_PSEUDONYM_KEY),
            contact_keys=read.text("CONTACT_KEYS", DEV_CONTACT_KEYS),
            advice_keys=read.text("ADVICE_KEYS", DEV_ADVICE_KEYS),
            rules_path=Path(read.text("INTAKE_RULES_PATH"))
            if read.text("INTAKE_RULES_PATH")
            else packaged_rules_path(),
            case_token_key=read.base64("INTAKE_CASE_TOKEN_KEY", ""),
            workers=read.int(
                "INTAKE_WORKERS",
                1,
                minimum=1,
                maximum=64,
                expected="a number of processes (about one per core)",
            ),
            admission=AdmissionLimits(max_waiting=read.int("INTAKE_MAX_WAITING", 2000)),
            rate_per_s=read.float("INTAKE_RATE_PER_S", 20),
            rate_burst=read.float("INTAKE_RATE_BURST", 40),
            rate_max_clients=read.int("INTAKE_RATE_MAX_CLIENTS", 10000),
            max_body_bytes=read.int("INTAKE_MAX_BODY_BYTES", 16 * 1024),
            request_timeout_s=read.float("INTAKE_REQUEST_TIMEOUT_S", 10),
            max_in_flight=read.int("INTAKE_MAX_IN_FLIGHT", 256),
            index_max_entries=read.int("INTAKE_INDEX_MAX_ENTRIES", 1000000),
            kafka_ingress=read.flag("INTAKE_KAFKA_INGRESS", True),
            hours=load_hours_from_env(env),
            eta=EtaPolicy(capacity_per_hour=read.float("ETA_CAPACITY_PER_HOUR", 20)),
            rate_window_s=read.float("QUEUE_RATE_WINDOW_S", 900),
            frame_check_s=read.float("INTAKE_FRAME_CHECK_S", 60),
            patient_login=PatientLogin.from_env(env),
            submission_retention_s=read.float(
                "INTAKE_SUBMISSION_RETENTION_S", 7 * 86400, above=0, expected="seconds (a retry window)"
            ),
            case_retention_s=read.float("INTAKE_CASE_RETENTION_S", 7 * 86400, above=0, expected="seconds"),
            snapshot_every_s=read.float(
                "INTAKE_SNAPSHOT_EVERY_S", 300, minimum=0, expected="seconds (0 = off)"
            ),
            snapshot_encoder=read.choice("INTAKE_SNAPSHOT_ENCODER", "fork", ("fork", "inline"), lower=True),
        )

    def token_key(self) -> bytes:
        """The key of case access tokens: INTAKE_CASE_TOKEN_KEY, else derived from PSEUDONYM_KEY."""
        return self.case_token_key or derive_key(self.pseudonym_key)
