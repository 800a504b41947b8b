"""Load-run settings: one frozen object built from the command line and the environment.

Safety: the generator only ever talks to loopback HTTP endpoints and to the configured
Kafka bootstrap servers; any other HTTP host is refused before anything is sent.
"""

from __future__ import annotations

import ipaddress
import os
import socket
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from proto.regions import DEFAULT_ENABLED, REGIONS
from services.config.env import EnvReader
from services.kafka.settings import KafkaSettings, bootstrap_from_env
from services.queue_model.traffic import DEFAULT_MIX


class UnsafeTarget(ValueError):
    """A target that is not loopback: the load generator refuses to send to it."""


def require_loopback(url: str, what: str) -> str:
    """Return ``url`` if its host is a loopback address; raise UnsafeTarget otherwise."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UnsafeTarget(f"{what} {url!r}: expected an http:// URL such as http://127.0.0.1:8080")
    try:
        addrs = {ai[4][0] for ai in socket.getaddrinfo(parts.hostname, parts.port or 80)}
    except socket.gaierror as exc:
        raise UnsafeTarget(f"{what} {url!r}: cannot resolve {parts.hostname!r} ({exc})") from None
    if not all(ipaddress.ip_address(str(a).split("%")[0]).is_loopback for a in addrs):
        raise UnsafeTarget(
            f"{what} {url!r} is not a loopback address: the load generator only targets "
            "127.0.0.1/::1 over HTTP (and the configured KAFKA_BOOTSTRAP_SERVERS)"
        )
    return url.rstrip("/")


@dataclass(frozen=True)
class LoadSettings:
    kafka: KafkaSettings
    intake_url: str = "http://127.0.0.1:8080"
    queue_url: str | None = None  # for queue-depth samples; None: depth from events only
    ingress: str = "http"  # http | kafka
    mode: str = "open"  # open (fixed schedule) | closed (N concurrent clients)
    rate: float = 20.0  # submissions per second after the ramp (open loop)
    concurrency: int = 8  # closed loop: clients, each sends when its last answer came
    poisson: bool = False
    duration_s: float | None = 10.0
    count: int | None = None
    ramp_s: float = 0.0
    mix: Mapping[int, float] = field(default_factory=lambda: dict(DEFAULT_MIX))
    regions: tuple[str, ...] = tuple(REGIONS)
    enabled_regions: frozenset[str] = DEFAULT_ENABLED
    clinicians: int = 2  # per enabled region
    clinician_rate: float = 0.5  # ServeNext per clinician per second
    serve_rate: float | None = None  # total ServeNext/s; overrides clinicians x rate
    serve_delay_s: float = 0.0
    prefill: int = 0  # waiting cases put on triage.events before the timed run
    drain_s: float = 20.0
    http_timeout_s: float = 5.0
    max_in_flight: int = 512
    seed: int | None = None
    out_dir: str = "var/loadgen"
    label: str = ""
    progress: bool = True

    @property
    def total_serve_rate(self) -> float:
        if self.serve_rate is not None:
            return self.serve_rate
        return self.clinicians * self.clinician_rate * len(self.serving_regions)

    @property
    def serving_regions(self) -> tuple[str, ...]:
        """Regions with a queue (and so with clinicians): the enabled ones we send to."""
        return tuple(r for r in self.regions if r in self.enabled_regions)

    def validate(self) -> LoadSettings:
        """Refuse unsafe targets and runs that would not end by themselves."""
        require_loopback(self.intake_url, "--intake-url")
        if self.queue_url:
            require_loopback(self.queue_url, "--queue-url")
        if self.duration_s is None and self.count is None:
            raise ValueError("give --duration or --count so the run ends by itself")
        unknown = sorted(set(self.regions) - REGIONS.keys())
        if unknown:
            raise ValueError(f"--regions: unknown codes {unknown}; use ISO 3166-2:SE codes such as SE-C")
        if self.prefill and not self.serving_regions:
            raise ValueError("--prefill needs at least one enabled region among --regions")
        if self.ingress not in ("http", "kafka") or self.mode not in ("open", "closed"):
            raise ValueError("--ingress is http|kafka and --mode is open|closed")
        return self


def default_targets(env: Mapping[str, str] = os.environ) -> dict[str, str]:
    """Where ``triage up`` listens given the same environment (ports may be overridden)."""
    read = EnvReader(env)
    return {
        "bootstrap": bootstrap_from_env(env),
        "intake_url": f"http://127.0.0.1:{read.int('INTAKE_PORT', 8080)}",
        "queue_url": f"http://127.0.0.1:{read.int('QUEUE_WEB_PORT', 6066)}",
        "namespace": read.text("TRIAGE_NAMESPACE"),
    }


def enabled_regions_from_env(env: Mapping[str, str] = os.environ) -> frozenset[str]:
    """The regions intake queues for (same variable and default as intake)."""
    return EnvReader(env).csv("INTAKE_ENABLED_REGIONS") or DEFAULT_ENABLED
