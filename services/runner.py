"""Starting each service in the current process, on uvloop."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any, TypeVar

import uvloop

T = TypeVar("T")


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
    from services.staff.app import create_app
    from services.staff.settings import StaffSettings

    settings = _settings_or_exit("staff", StaffSettings.from_env)
    _serve("staff", create_app(settings), settings.host, settings.port)


def run_forecast() -> None:
    from services.forecast.app import create_app
    from services.forecast.settings import ForecastSettings

    settings = _settings_or_exit("forecast", ForecastSettings.from_env)
    _serve("forecast", create_app(settings), settings.host, settings.port)


def _settings_or_exit(service: str, read: Callable[[], T]) -> T:
    """The service's settings, or exit non-zero saying which one is bad (no traceback)."""
    import sys

    try:
        return read()
    except ValueError as exc:  # SettingsError, or a bad hours file: refuse to start, say why
        sys.exit(f"{service}: refusing to start: {exc}")


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
