"""Notifier configuration, built once from the environment in ``main()``."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field

from proto.contact_crypto import DEV_CONTACT_KEYS
from services.config.env import EnvReader, SettingsError
from services.kafka.settings import KafkaSettings
from services.kafka.worker_settings import WorkerSettings, read_worker_settings
from services.notifier.domain.retry import RetryPolicy

PROVIDERS = ("outbox", "46elks")
CRASH_POINTS = ("recorded", "accepted")
NOTIFIER_WORKER = WorkerSettings(web_port=8082, data_dir="var/notifier", session_timeout_s=10.0)


@dataclass(frozen=True)
class ElksSettings:
    """The 46elks HTTP API (https://46elks.se/docs/send-sms)."""

    base_url: str = "https://api.46elks.com"
    username: str = ""
    password: str = ""
    sender: str = "Vardguiden"
    delivery_report_url: str = ""  # our public POST /v1/sms/delivery-reports (whendelivered)
    # NOTIFIER_WEBHOOK_SECRET: added to the callback URL we give 46elks (?secret=...); a delivery
    # report without it is refused, so nobody can forge "failed" for a real SMS (issue #13).
    webhook_secret: str = ""


@dataclass(frozen=True)
class NotifierSettings:
    kafka: KafkaSettings = field(default_factory=KafkaSettings)
    # NOTIFIER_WEB_*, NOTIFIER_DATA_DIR, NOTIFIER_SESSION_TIMEOUT_S, NOTIFIER_HEARTBEAT_INTERVAL_S
    worker: WorkerSettings = NOTIFIER_WORKER
    outbox_path: str = "var/sms-outbox.jsonl"
    contact_keys: str = DEV_CONTACT_KEYS
    contact_wait_s: float = 10.0
    contact_lag_wait_s: float = 120.0  # more, while the card reader is behind the topic's end
    provider: str = "outbox"
    elks: ElksSettings = field(default_factory=ElksSettings)
    templates_path: str = ""
    rate_per_s: float = 10.0
    rate_burst: float = 10.0
    send_concurrency: int = 8
    max_pending: int = 1000
    request_timeout_s: float = 10.0
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    redrive_grace_s: float = 12.0
    # Test-only: exit with os._exit after the Nth SMS (see docs/notifier.md). 0 = off.
    crash_after_send: int = 0
    crash_point: str = "recorded"

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> NotifierSettings:
        """Read every NOTIFIER_/SMS_/ELKS_ variable; SettingsError names a bad one."""
        read = EnvReader(env)
        timeout = read.float("SMS_REQUEST_TIMEOUT_S", 10.0)
        rate = read.float("SMS_RATE_PER_S", 10.0)
        settings = cls(
            kafka=KafkaSettings.from_env(env),
            worker=read_worker_settings(read, "NOTIFIER_", NOTIFIER_WORKER),
            outbox_path=read.text("SMS_OUTBOX_PATH", "var/sms-outbox.jsonl"),
            contact_keys=read.text("CONTACT_KEYS", DEV_CONTACT_KEYS),
            contact_wait_s=read.float("NOTIFIER_CONTACT_WAIT_S", 10.0),
            contact_lag_wait_s=read.float("NOTIFIER_CONTACT_LAG_WAIT_S", 120.0),
            provider=read.text("SMS_PROVIDER", "outbox"),
            elks=ElksSettings(
                base_url=read.text("ELKS_BASE_URL", "https://api.46elks.com").rstrip("/"),
                username=read.text("ELKS_API_USERNAME", ""),
                password=read.text("ELKS_API_PASSWORD", ""),
                sender=read.text("ELKS_SENDER", "Vardguiden"),
                delivery_report_url=read.text("ELKS_DELIVERY_REPORT_URL", ""),
                webhook_secret=read.text("NOTIFIER_WEBHOOK_SECRET", ""),
            ),
            templates_path=read.text("NOTIFIER_TEMPLATES_PATH", ""),
            rate_per_s=rate,
            rate_burst=read.float("SMS_RATE_BURST", rate),
            send_concurrency=read.int("SMS_SEND_CONCURRENCY", 8),
            max_pending=read.int("SMS_MAX_PENDING", 1000),
            request_timeout_s=timeout,
            retry=_retry_policy(read),
            redrive_grace_s=read.float("NOTIFIER_REDRIVE_GRACE_S", timeout + 2.0),
            crash_after_send=read.int("NOTIFIER_CRASH_AFTER_SEND", 0),
            crash_point=read.text("NOTIFIER_CRASH_POINT", "recorded"),
        )
        settings.validate()
        return settings

    def validate(self) -> None:
        """Cross-field checks that from_env cannot do one variable at a time."""
        if self.provider not in PROVIDERS:
            raise SettingsError(f"SMS_PROVIDER={self.provider!r}: expected one of {', '.join(PROVIDERS)}")
        if self.provider == "46elks" and not (self.elks.username and self.elks.password):
            raise SettingsError("SMS_PROVIDER=46elks needs ELKS_API_USERNAME and ELKS_API_PASSWORD")
        if self.provider == "46elks" and not self.elks.base_url.startswith(("http://", "https://")):
            raise SettingsError(f"ELKS_BASE_URL={self.elks.base_url!r}: expected an http(s) URL")
        if self.elks.delivery_report_url and len(self.elks.webhook_secret) < 16:
            raise SettingsError(
                "ELKS_DELIVERY_REPORT_URL needs NOTIFIER_WEBHOOK_SECRET (at least 16 random "
                "characters, e.g. `openssl rand -hex 24`): reports without it are refused"
            )
        if self.contact_wait_s < 0 or self.contact_lag_wait_s < 0:
            raise SettingsError("NOTIFIER_CONTACT_WAIT_S and NOTIFIER_CONTACT_LAG_WAIT_S must be >= 0")
        if self.send_concurrency < 1 or self.max_pending < 1:
            raise SettingsError("SMS_SEND_CONCURRENCY and SMS_MAX_PENDING must be >= 1")
        if self.rate_per_s <= 0 or self.rate_burst < 1:
            raise SettingsError("SMS_RATE_PER_S must be > 0 and SMS_RATE_BURST >= 1")
        if self.redrive_grace_s <= self.request_timeout_s:
            raise SettingsError(
                "NOTIFIER_REDRIVE_GRACE_S must exceed SMS_REQUEST_TIMEOUT_S "
                "(a previous owner's last request must be over before a re-drive)"
            )
        if self.crash_point not in CRASH_POINTS:
            raise SettingsError(
                f"NOTIFIER_CRASH_POINT={self.crash_point!r}: expected one of {', '.join(CRASH_POINTS)}"
            )


def _retry_policy(read: EnvReader) -> RetryPolicy:
    try:
        return RetryPolicy(
            max_attempts=read.int("SMS_RETRY_MAX_ATTEMPTS", 12),
            max_total_s=read.float("SMS_RETRY_MAX_S", 300.0),
            base_s=read.float("SMS_RETRY_BASE_S", 0.5),
            cap_s=read.float("SMS_RETRY_CAP_S", 30.0),
        )
    except ValueError as exc:
        raise SettingsError(f"SMS_RETRY_*: {exc}") from exc
