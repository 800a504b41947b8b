"""A real Prometheus server (Debian's package) on loopback for tests, and promtool."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml

from services.kafka.embedded_broker import free_port

ROOT = Path(__file__).resolve().parents[2]
RULES = ROOT / "deploy" / "prometheus" / "alerts.yml"
RULE_TESTS = ROOT / "deploy" / "prometheus" / "alerts_test.yml"
SCRAPE_CONFIG = ROOT / "deploy" / "prometheus" / "prometheus.yml"
DASHBOARD = ROOT / "deploy" / "grafana" / "triage-dashboard.json"


def binary(name: str) -> str:
    """Path of ``prometheus``/``promtool``; FAILS (not skips) with how to install it."""
    found = shutil.which(name) or (f"/usr/bin/{name}" if os.access(f"/usr/bin/{name}", os.X_OK) else None)
    if not found:
        pytest.fail(
            f"{name} not found on PATH or in /usr/bin. Install Debian's 'prometheus' package: "
            f"run `bash scripts/ensure-prometheus.sh` (as root; `make test` runs it first).",
            pytrace=False,
        )
    return found


def promtool(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([binary("promtool"), *map(str, args)], capture_output=True, text=True, timeout=120)


@dataclass
class PrometheusServer:
    """Scrapes ``targets`` (job -> host:port) every second with the project's rules loaded."""

    workdir: Path
    targets: dict[str, str]
    port: int = field(default_factory=free_port)
    proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def write_config(self) -> Path:
        """deploy/prometheus/prometheus.yml with only the targets and intervals swapped."""
        config = yaml.safe_load(SCRAPE_CONFIG.read_text())
        config["global"].update(scrape_interval="1s", evaluation_interval="1s")
        rules = yaml.safe_load(RULES.read_text())
        for group in rules["groups"]:
            group.pop("interval", None)  # evaluate every group each second, not every 30 s
        rules_path = self.workdir / "alerts.yml"
        rules_path.write_text(yaml.safe_dump(rules, sort_keys=False))
        config["rule_files"] = [str(rules_path)]
        jobs = {job["job_name"] for job in config["scrape_configs"]}
        assert jobs == set(self.targets), f"prometheus.yml jobs {jobs} != test targets {set(self.targets)}"
        for job in config["scrape_configs"]:
            job["static_configs"] = [{"targets": [self.targets[job["job_name"]]]}]
        path = self.workdir / "prometheus.yml"
        path.write_text(yaml.safe_dump(config, sort_keys=False))
        return path

    def start(self, timeout: float = 60) -> None:
        config = self.write_config()
        log = open(self.workdir / "prometheus.log", "wb")
        self.proc = subprocess.Popen(
            [
                binary("prometheus"),
                f"--config.file={config}",
                f"--storage.tsdb.path={self.workdir / 'data'}",
                f"--web.listen-address=127.0.0.1:{self.port}",
                "--storage.tsdb.retention.time=1h",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("prometheus exited:\n" + self.log_tail())
            try:
                with urllib.request.urlopen(self.url + "/-/ready", timeout=1) as resp:
                    if resp.status == 200:
                        return
            except OSError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"prometheus not ready after {timeout}s:\n" + self.log_tail())

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)

    def log_tail(self, lines: int = 30) -> str:
        path = self.workdir / "prometheus.log"
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:]) if path.exists() else ""

    def api(self, path: str, **params: str) -> dict[str, Any]:
        """GET /api/v1/<path>; returns the JSON body also for 4xx (errors carry ``error``)."""
        url = f"{self.url}/api/v1/{path}?{urllib.parse.urlencode(params)}"
        try:
            with urllib.request.urlopen(url, timeout=10) as resp:
                return json.loads(resp.read())  # type: ignore[no-any-return]
        except urllib.error.HTTPError as err:
            return json.loads(err.read() or b'{"status": "error", "error": "empty body"}')  # type: ignore[no-any-return]

    def query(self, expr: str) -> dict[str, Any]:
        return self.api("query", query=expr)
