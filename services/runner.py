"""Starting each service in the current process, on uvloop."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import uvloop


def _install_uvloop() -> None:
    asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
    asyncio.set_event_loop(asyncio.new_event_loop())


def _run_faust(app: object, service: str) -> None:
    import faust

    from services.observability.json_logs import faust_logging_config

    # faust's Worker applies this dictConfig at start-up: JSON lines with redaction for every
    # logger (faust, mode, aiokafka and ours), replacing its coloured console format.
    worker = faust.Worker(
        app, loglevel="INFO", quiet=True, redirect_stdouts=False, logging_config=faust_logging_config(service)
    )
    worker.execute_from_commandline()


def run_queue() -> None:
    from services.queue.settings import QueueSettings
    from services.queue.worker import create_app

    _install_uvloop()
    _run_faust(create_app(QueueSettings.from_env()), "queue")


def run_notifier() -> None:
    import sys

    from services.config.env import SettingsError
    from services.notifier.domain.templates import TemplateError
    from services.notifier.settings import NotifierSettings
    from services.notifier.worker import create_app

    _install_uvloop()
    try:
        app = create_app(NotifierSettings.from_env())
    except (TemplateError, SettingsError, OSError) as exc:  # refuse to start, say why, exit non-zero
        sys.exit(f"notifier: refusing to start: {exc}")
    _run_faust(app, "notifier")


def run_intake() -> None:
    from services.intake.serve import run_intake as serve

    serve()


def run_staff() -> None:
    import sys

    from services.config.env import SettingsError
    from services.staff.app import create_app
    from services.staff.settings import StaffSettings

    try:
        settings = StaffSettings.from_env()
    except SettingsError as exc:  # refuse to start, say why, exit non-zero
        sys.exit(f"staff: refusing to start: {exc}")
    _serve("staff", create_app(settings), settings.host, settings.port)


def run_forecast() -> None:
    import sys

    from services.forecast.app import create_app
    from services.forecast.settings import ForecastSettings

    try:
        settings = ForecastSettings.from_env()
    except ValueError as exc:  # refuse to start, say why, exit non-zero
        sys.exit(f"forecast: refusing to start: {exc}")
    _serve("forecast", create_app(settings), settings.host, settings.port)


def _serve(service: str, app: Any, host: str, port: int) -> None:
    """A Litestar app on uvicorn with uvloop and the JSON logs. Logging is configured after the
    app is created: creating a Litestar app applies its own logging config."""
    import uvicorn

    from services.observability.json_logs import configure_logging

    configure_logging(service, logging.INFO)
    uvicorn.run(
        app,
        host=host,
        port=port,
        loop="uvloop",
        lifespan="on",
        access_log=False,
        log_level="info",
        log_config=None,
    )
