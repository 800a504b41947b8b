"""The load generator only ever targets loopback over HTTP."""

import pytest

from services.kafka.settings import KafkaSettings
from services.loadgen.settings import LoadSettings, UnsafeTarget, require_loopback


@pytest.mark.parametrize("url", ["http://127.0.0.1:8080", "http://localhost:8080/", "http://[::1]:8080"])
def test_loopback_urls_are_accepted(url: str) -> None:
    assert require_loopback(url, "--intake-url").startswith("http://")


@pytest.mark.parametrize(
    "url", ["http://10.0.0.5:8080", "http://192.0.2.1", "ftp://127.0.0.1/", "127.0.0.1:8080"]
)
def test_other_hosts_are_refused_with_the_reason(url: str) -> None:
    with pytest.raises(UnsafeTarget, match="loopback|http:// URL"):
        require_loopback(url, "--intake-url")


def test_a_run_without_duration_or_count_is_refused() -> None:
    with pytest.raises(ValueError, match="ends by itself"):
        LoadSettings(kafka=KafkaSettings(), duration_s=None, count=None).validate()
