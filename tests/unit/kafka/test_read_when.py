"""Waiting for a tailed read model to show what another service already acted on."""

from __future__ import annotations

import asyncio

from services.kafka.tail import read_when


def test_the_read_is_answered_as_soon_as_the_read_model_shows_it() -> None:
    folded: dict[str, str] = {}
    looks: list[str | None] = []

    def look() -> str | None:
        looks.append(folded.get("c1"))
        if len(looks) == 3:
            folded["c1"] = "card"  # the tail folds the record meanwhile
        return looks[-1]

    assert asyncio.run(read_when(look, lambda card: card is not None, 60.0)) == "card"
    assert looks == [None, None, None, "card"]


def test_after_the_timeout_the_last_read_is_answered_even_if_not_done() -> None:
    assert asyncio.run(read_when(lambda: "waiting", lambda status: status == "closed", 0.0)) == "waiting"
