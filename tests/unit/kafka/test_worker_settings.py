"""Both faust workers read the same five settings, each under its own prefix."""

from __future__ import annotations

import pytest

from services.config.env import SettingsError
from services.kafka.worker_settings import WorkerSettings
from services.notifier.settings import NotifierSettings
from services.queue.settings import QueueSettings


def test_unset_worker_variables_keep_each_services_own_defaults() -> None:
    assert QueueSettings.from_env({}).worker == WorkerSettings(
        "127.0.0.1", 6066, "var/queue", session_timeout_s=6.0, heartbeat_interval_s=0.5
    )
    assert NotifierSettings.from_env({}).worker == WorkerSettings(
        "127.0.0.1", 8082, "var/notifier", session_timeout_s=10.0, heartbeat_interval_s=1.0
    )


@pytest.mark.parametrize(("settings", "prefix"), [(QueueSettings, "QUEUE_"), (NotifierSettings, "NOTIFIER_")])
def test_each_worker_reads_its_web_address_data_dir_and_group_timing_under_its_prefix(
    settings: type[QueueSettings] | type[NotifierSettings], prefix: str
) -> None:
    env = {
        f"{prefix}WEB_HOST": "0.0.0.0",
        f"{prefix}WEB_PORT": "7001",
        f"{prefix}DATA_DIR": "/data/w",
        f"{prefix}SESSION_TIMEOUT_S": "12",
        f"{prefix}HEARTBEAT_INTERVAL_S": "2.5",
    }
    assert settings.from_env(env).worker == WorkerSettings("0.0.0.0", 7001, "/data/w", 12.0, 2.5)


def test_the_other_workers_variables_change_nothing() -> None:
    assert QueueSettings.from_env({"NOTIFIER_WEB_PORT": "7001"}).worker.web_port == 6066


def test_a_malformed_worker_variable_is_named_in_the_error() -> None:
    with pytest.raises(SettingsError, match=r"^NOTIFIER_HEARTBEAT_INTERVAL_S='often': expected a number$"):
        NotifierSettings.from_env({"NOTIFIER_HEARTBEAT_INTERVAL_S": "often"})
