"""Metric region labels stay within the 21 regions; anything else is counted as `other`."""

from __future__ import annotations

from proto.regions import REGIONS
from services.observability.region_label import REGION_LABELS, region_label
from services.queue.domain.state import QueueState
from services.queue.metrics_collector import QueueStateCollector


def test_a_known_region_code_is_its_own_label_and_anything_else_is_other() -> None:
    assert region_label("SE-AB") == "SE-AB"
    assert [region_label(r) for r in ("stockholm", "se-ab", "", None, "SE-AB ")] == ["other"] * 5
    assert set(REGION_LABELS) == {*REGIONS, "other"} and len(REGION_LABELS) == 22


def test_queue_depth_for_a_region_outside_the_21_is_reported_under_other() -> None:
    state = QueueState()
    state.region("SE-C")
    state.region("stockholm")
    state.region("uppsala")
    families = list(QueueStateCollector(state).collect())
    regions = {s.labels["region"] for f in families for s in f.samples}
    assert regions == {"SE-C", "other"}
    assert len(families[0].samples) == 2 * 5  # one series per (region label, urgency)
