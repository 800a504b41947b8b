"""The HTTP metrics middleware labels requests by route template, method and status."""

from __future__ import annotations

from litestar import Litestar, get
from litestar.exceptions import NotAuthorizedException
from litestar.params import FromPath
from litestar.testing import TestClient
from prometheus_client import CollectorRegistry, Counter, Histogram

from services.observability.http_metrics import http_metrics


@get("/v1/cases/{case_id:str}")
async def case(case_id: FromPath[str]) -> dict[str, str]:
    if case_id == "secret":
        raise NotAuthorizedException()
    if case_id == "boom":
        raise RuntimeError("bug")
    return {"case_id": case_id}


def _app() -> tuple[Litestar, CollectorRegistry]:
    registry = CollectorRegistry()
    requests = Counter("triage_http_requests_total", "", ["route", "method", "status"], registry=registry)
    latency = Histogram("triage_http_request_duration_seconds", "", ["route", "method"], registry=registry)
    return Litestar([case], middleware=[http_metrics(requests, latency)], logging_config=None), registry


def _count(registry: CollectorRegistry, status: str) -> float | None:
    return registry.get_sample_value(
        "triage_http_requests_total", {"route": "/v1/cases/{case_id}", "method": "GET", "status": status}
    )


def test_requests_for_different_cases_share_one_route_template_label() -> None:
    app, registry = _app()
    with TestClient(app) as client:
        for case_id in ("a1", "b2", "c3"):
            assert client.get(f"/v1/cases/{case_id}").status_code == 200
    assert _count(registry, "200") == 3
    labels = {s.labels.get("route") for m in registry.collect() for s in m.samples}
    assert labels == {"/v1/cases/{case_id}"}
    assert (
        registry.get_sample_value(
            "triage_http_request_duration_seconds_count", {"route": "/v1/cases/{case_id}", "method": "GET"}
        )
        == 3
    )


def test_error_responses_are_counted_with_their_status() -> None:
    app, registry = _app()
    with TestClient(app, raise_server_exceptions=False) as client:
        assert client.get("/v1/cases/secret").status_code == 401
        assert client.get("/v1/cases/boom").status_code == 500
    assert _count(registry, "401") == 1
    assert _count(registry, "500") == 1
