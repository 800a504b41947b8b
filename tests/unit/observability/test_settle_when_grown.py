"""The heap is settled (collected, then frozen) when a region's containers are born (services/observability/gc_pauses.py)."""

from __future__ import annotations

import gc

from services.observability.gc_pauses import SettleWhenGrown


def _tracked(obj: object) -> bool:
    """Whether a collection would still walk ``obj`` (frozen objects are not in any generation)."""
    return any(o is obj for o in gc.get_objects())


def test_a_container_born_after_the_last_settle_is_frozen_once_the_count_grows_and_only_then():
    regions: dict[str, list[object]] = {}
    try:
        settle = SettleWhenGrown(lambda: len(regions))
        assert settle() is False  # nothing new
        waiting: list[object] = [[i] for i in range(1000)]  # tracked: it holds lists
        regions["SE-AB"] = waiting
        assert _tracked(waiting)
        frozen_before = gc.get_freeze_count()
        assert settle() is True
        assert not _tracked(waiting)  # a full collection no longer traverses its items
        assert gc.get_freeze_count() > frozen_before
        waiting.extend([i] for i in range(1000))  # it grows, and stays frozen
        assert settle() is False and not _tracked(waiting)
        del regions["SE-AB"]  # a revoked partition's regions: fewer is no reason to settle
        assert settle() is False
        regions["SE-AB"] = []
        assert settle() is True  # back again: born anew
        assert settle(force=True) is True  # after a recovery, whatever the count
    finally:
        gc.unfreeze()  # the rest of the test run keeps its own collector
