"""A metric's value in this process's default Prometheus registry (unit tests of code that counts)."""

from __future__ import annotations

from prometheus_client import REGISTRY


def sample(name: str, **labels: str) -> float:
    """The sample ``name`` with exactly ``labels`` (0.0 while the series does not exist)."""
    return REGISTRY.get_sample_value(name, labels) or 0.0
