"""One observed run shared by the end-to-end observability tests: the three services on the
session's broker, a real Prometheus scraping them every second, and a short patient load."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from services.kafka.settings import KafkaSettings
from tests.observability.load import Load, drive_load
from tests.observability.prometheus_server import PrometheusServer
from tests.support.stack import SERVICES, Stack, new_namespace


@dataclass
class ObservedRun:
    stack: Stack
    prometheus: PrometheusServer
    load: Load

    def __repr__(self) -> str:  # pytest prints fixtures on failure: keep test patients' data out
        return f"ObservedRun(prometheus={self.prometheus.url}, workdir={self.stack.workdir})"


@pytest.fixture(scope="package")
def observed_run(bootstrap_servers: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ObservedRun]:
    stack = Stack(
        kafka=KafkaSettings(bootstrap_servers, new_namespace()),
        workdir=tmp_path_factory.mktemp("observed-stack"),
    )
    prometheus: PrometheusServer | None = None
    try:
        stack.start(SERVICES)  # staff too: its logs are checked like every service's
        prometheus = PrometheusServer(
            tmp_path_factory.mktemp("prometheus"),
            {f"triage-{name}": f"127.0.0.1:{stack.ports[name]}" for name in SERVICES},
        )
        prometheus.start()
        load = drive_load(stack, prometheus)
        yield ObservedRun(stack, prometheus, load)
    except BaseException:
        print(stack.logs())
        if prometheus is not None:
            print("----- prometheus.log (tail)\n" + prometheus.log_tail())
        raise
    finally:
        if prometheus is not None:
            prometheus.stop()
        stack.stop()
