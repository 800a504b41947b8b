"""Notifier configuration, built once from the environment in ``main()``."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field

from services.kafka.settings import KafkaSettings

# A fixed dev key so `make run` works out of the box; production sets CONTACT_KEYS from a Secret.
DEV_CONTACT_KEYS = "dev1:ZGV2LW9ubHktY29udGFjdC1rZXktMzItYnl0ZXMhISE="


@dataclass(frozen=True)
class NotifierSettings:
    kafka: KafkaSettings = field(default_factory=KafkaSettings)
    web_host: str = "127.0.0.1"
    web_port: int = 8082
    data_dir: str = "var/notifier"
    outbox_path: str = "var/sms-outbox.jsonl"
    contact_keys: str = DEV_CONTACT_KEYS
    contact_wait_s: float = 10.0

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> NotifierSettings:
        return cls(
            kafka=KafkaSettings.from_env(env),
            web_host=env.get("NOTIFIER_WEB_HOST", "127.0.0.1"),
            web_port=int(env.get("NOTIFIER_WEB_PORT", "8082")),
            data_dir=env.get("NOTIFIER_DATA_DIR", "var/notifier"),
            outbox_path=env.get("SMS_OUTBOX_PATH", "var/sms-outbox.jsonl"),
            contact_keys=env.get("CONTACT_KEYS", DEV_CONTACT_KEYS),
            contact_wait_s=float(env.get("NOTIFIER_CONTACT_WAIT_S", "10")),
        )
