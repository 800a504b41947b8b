"""Running intake: one process, or ``--workers N`` processes sharing one listening socket.

With N > 1, uvicorn binds the port once in a supervisor and starts N worker processes that
accept on the inherited socket (the kernel spreads connections); a dead worker is replaced.
Each worker is a whole intake: its own producer, its own tail of triage.events, triage.results
and queue.events (so its own submission index and queue view), and a member of intake's
consumer group for triage.submissions. What holds across processes (and replicas) is in
docs/intake.md, "Several processes and replicas".
"""

from __future__ import annotations

import argparse
import logging
import os
import sys


def add_intake_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """``triage intake [--workers N]``."""
    p = sub.add_parser("intake", help="run the intake service (HTTP + triage.submissions)")
    p.add_argument(
        "--workers",
        type=int,
        default=None,
        help="processes on the same port (default: INTAKE_WORKERS, else 1)",
    )
    p.set_defaults(func=_command)


def _command(args: argparse.Namespace) -> int:
    if args.workers is not None:
        os.environ["INTAKE_WORKERS"] = str(args.workers)  # the workers read the same environment
    run_intake()
    return 0


def run_intake() -> None:
    """Serve intake with the settings from the environment (refusing to start on bad ones)."""
    import uvicorn

    from services.intake.http_api import create_app
    from services.intake.settings import IntakeSettings
    from services.observability.json_logs import configure_logging

    try:
        settings = IntakeSettings.from_env()
    except ValueError as exc:
        sys.exit(f"intake: refusing to start: {exc}")
    options = dict(
        host=settings.host,
        port=settings.port,
        loop="uvloop",
        http="httptools",
        lifespan="on",
        access_log=False,
        log_level="info",
        log_config=None,
    )
    if settings.workers > 1:
        configure_logging("intake", logging.INFO)
        # an import string: each worker process builds its own app from the environment
        uvicorn.run(
            "services.intake.http_api:app_from_env", factory=True, workers=settings.workers, **options
        )  # type: ignore[arg-type]
        return
    app = create_app(settings)
    # After create_app: Litestar applies its own logging config when the app is built; ours
    # replaces it. log_config=None: uvicorn keeps its hands off, its loggers propagate to ours.
    configure_logging("intake", logging.INFO)
    uvicorn.run(app, **options)  # type: ignore[arg-type]
