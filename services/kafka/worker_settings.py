"""What every faust worker process is configured with (the queue's and the notifier's).

Where its web server listens (views, ``/metrics``), faust's data directory, and its consumer
group's failure detection. Each service reads the same five variables under its own prefix,
the field names in capitals: ``<PREFIX>WEB_HOST``, ``<PREFIX>WEB_PORT``, ``<PREFIX>DATA_DIR``,
``<PREFIX>SESSION_TIMEOUT_S``, ``<PREFIX>HEARTBEAT_INTERVAL_S`` (e.g. ``QUEUE_WEB_PORT``,
``NOTIFIER_SESSION_TIMEOUT_S``; README, "Configuration").
"""

from __future__ import annotations

from dataclasses import dataclass

from services.config.env import EnvReader


@dataclass(frozen=True)
class WorkerSettings:
    """One faust worker's web address, data directory and group timing."""

    web_host: str = "127.0.0.1"
    web_port: int = 6066
    data_dir: str = "var"
    # How long the group waits for a silent member before its partitions move, and how often a
    # live member says it is alive (well under a third of the session).
    session_timeout_s: float = 10.0
    heartbeat_interval_s: float = 1.0


def read_worker_settings(read: EnvReader, prefix: str, defaults: WorkerSettings) -> WorkerSettings:
    """``defaults``, each replaced by its ``<prefix><FIELD>`` variable where that is set."""
    return WorkerSettings(
        web_host=read.text(f"{prefix}WEB_HOST", defaults.web_host),
        web_port=read.int(f"{prefix}WEB_PORT", defaults.web_port),
        data_dir=read.text(f"{prefix}DATA_DIR", defaults.data_dir),
        session_timeout_s=read.float(f"{prefix}SESSION_TIMEOUT_S", defaults.session_timeout_s),
        heartbeat_interval_s=read.float(f"{prefix}HEARTBEAT_INTERVAL_S", defaults.heartbeat_interval_s),
    )
