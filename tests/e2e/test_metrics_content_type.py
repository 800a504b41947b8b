"""Every service's /metrics, over real HTTP, sends the one Content-Type Prometheus 3 accepts.

Prometheus 3 refuses a scrape whose Content-Type carries two charsets (what Litestar made of
prometheus_client's CONTENT_TYPE_LATEST once), so all five services must answer the same header.
"""

from __future__ import annotations

import httpx
import pytest
from prometheus_client import CONTENT_TYPE_LATEST

from tests.support.stack import SERVICES, Stack

pytestmark = pytest.mark.e2e


def test_every_service_s_metrics_send_one_content_type_with_a_single_charset(stack: Stack) -> None:
    stack.start(SERVICES)
    answers = {name: httpx.get(stack.url(name) + "/metrics", timeout=10) for name in SERVICES}
    assert {name: r.status_code for name, r in answers.items()} == dict.fromkeys(SERVICES, 200)
    content_types = {name: r.headers["content-type"] for name, r in answers.items()}
    assert content_types == dict.fromkeys(SERVICES, CONTENT_TYPE_LATEST)
    assert CONTENT_TYPE_LATEST.count("charset") == 1 and CONTENT_TYPE_LATEST.startswith(
        "text/plain; version="
    )
    for name, r in answers.items():
        assert "# TYPE " in r.text, f"{name} answered no metrics"
