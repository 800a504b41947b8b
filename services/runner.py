"""Starting each service in the current process, on uvloop."""

from __future__ import annotations

import asyncio
import logging

import uvloop


def _install_uvloop() -> None:
    asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
    asyncio.set_event_loop(asyncio.new_event_loop())


def _run_faust(app: object) -> None:
    import faust

    worker = faust.Worker(app, loglevel="INFO", quiet=True, redirect_stdouts=False)
    worker.execute_from_commandline()


def run_queue() -> None:
    from services.queue.settings import QueueSettings
    from services.queue.worker import create_app

    _install_uvloop()
    _run_faust(create_app(QueueSettings.from_env()))


def run_notifier() -> None:
    import sys

    from services.notifier.domain.templates import TemplateError
    from services.notifier.settings import NotifierSettings, SettingsError
    from services.notifier.worker import create_app

    _install_uvloop()
    try:
        app = create_app(NotifierSettings.from_env())
    except (TemplateError, SettingsError, OSError) as exc:  # refuse to start, say why, exit non-zero
        sys.exit(f"notifier: refusing to start: {exc}")
    _run_faust(app)


def run_intake() -> None:
    import uvicorn

    from services.intake.http_api import create_app
    from services.intake.settings import IntakeSettings

    settings = IntakeSettings.from_env()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    uvicorn.run(create_app(settings), host=settings.host, port=settings.port, loop="uvloop",
                lifespan="on", access_log=False, log_level="info")
