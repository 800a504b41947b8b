"""The faust apps start without faust's fixed pauses and read their side topics early."""

from __future__ import annotations

import asyncio
from pathlib import Path

from services.kafka.faust_transport import TriageFaustApp, _TableManager


def _app(data_dir: Path) -> TriageFaustApp:
    # the class make_faust_app builds (which also registers process-wide metrics: once per process)
    return TriageFaustApp(
        "triage-test", broker="kafka://127.0.0.1:1", autodiscover=False, datadir=str(data_dir)
    )


def test_every_faust_app_uses_the_table_manager_without_the_one_second_pause(tmp_path: Path) -> None:
    app = _app(tmp_path)
    assert type(app.tables) is _TableManager


def test_an_early_task_starts_with_the_app_not_after_the_group_join(tmp_path: Path) -> None:
    app = _app(tmp_path)
    started: list[str] = []

    @app.early_task
    async def read_side_topic() -> None:
        started.append("read")

    async def first_start() -> None:
        await app.on_first_start()
        await asyncio.sleep(0)  # the task runs on the loop, beside the rest of the start-up

    asyncio.run(first_start())
    assert started == ["read"]
    assert not app._app_tasks  # not one of faust's after-join tasks
