"""The shared HTTP edge: field pointers of validation errors, and the lifespan's shutdown order."""

from __future__ import annotations

import asyncio
import logging
from types import SimpleNamespace

import pytest

from services.http_edge.lifespan import running
from services.http_edge.problems import field_pointer


@pytest.mark.parametrize(
    ("key", "message", "pointer"),
    [
        ("limit", "Expected `int`, got `str`", "#/limit"),
        ("data", "Object missing required field `urgency`", "#/urgency"),
        ("", "Expected `float` - at `$.hourly_capacity.mon`", "#/hourly_capacity/mon"),
        ("", "Expected `str` - at `$.mon[1]`", "#/mon/1"),
        ("", "something else went wrong", "#"),
    ],
)
def test_a_validation_error_names_the_bad_field_by_json_pointer(key: str, message: str, pointer: str) -> None:
    assert field_pointer(key, message) == pointer


def test_shutdown_marks_the_service_not_ready_stops_its_tasks_then_closes_its_clients_in_order() -> None:
    closed: list[str] = []
    app = SimpleNamespace(state=SimpleNamespace(ready=True))

    async def main() -> asyncio.Task[None]:
        task = asyncio.create_task(asyncio.sleep(3600), name="tail")

        async def close(name: str) -> None:
            assert task.done(), "clients close after the tasks that use them stopped"
            closed.append(name)

        async with running(
            app, logging.getLogger("test"), [task], close=[lambda: close("a"), lambda: close("b")]
        ):
            await asyncio.sleep(0)
        return task

    task = asyncio.run(main())
    assert task.cancelled() and app.state.ready is False and closed == ["a", "b"]


def test_a_background_task_that_crashes_is_logged_by_name(caplog: pytest.LogCaptureFixture) -> None:
    app = SimpleNamespace(state=SimpleNamespace(ready=True))

    async def boom() -> None:
        raise RuntimeError("broken")

    async def main() -> None:
        task = asyncio.create_task(boom(), name="audit-log")
        async with running(app, logging.getLogger("test.edge"), [task]):
            await asyncio.sleep(0.01)

    with caplog.at_level(logging.ERROR, logger="test.edge"):
        asyncio.run(main())
    assert "audit-log stopped: RuntimeError: broken" in caplog.text
