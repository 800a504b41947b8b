"""Telling a waiting patient, once, that their wait forecast has moved (issue 22, truth over time).

Run by the time-frame sweep (``frame_watch.watch_time_frames``, every ``INTAKE_FRAME_CHECK_S``):
the pure ``domain/moved_forecasts.py`` finds the cases, and intake sends each a ``CaseNotice``
(``forecast_moved``, with the new range) on queue.your-turn, as it does for past-frame notices.
Its ``event_id`` is ``forecast-moved-<case>``: every intake process and replica that finds the
case sends the same notice, and the notifier's ledger sends one SMS per case, ever (after a
restart too, and when the forecast moves again).
"""

from __future__ import annotations

import asyncio
import datetime as dt

from proto import events as ev
from services.intake.case_notices import language_of, send_case_notice
from services.intake.domain.moved_forecasts import moved_forecasts, notice_id
from services.intake.metrics import FORECAST_MOVED_NOTICES
from services.intake.submissions import TriageService


async def tell_moved_forecasts(service: TriageService, told: dict[str, None], now: dt.datetime) -> int:
    """Send one notice per waiting case whose forecast newly moved; returns how many were sent.

    ``told``: the cases told by this process (the caller bounds it; the ledger is the truth)."""
    settings, view = service.settings, service.view
    sent = 0
    for moved in list(moved_forecasts(view, lambda region: view.hours_of(region, settings.hours), now, told)):
        await asyncio.sleep(0)  # HTTP requests are served between notices
        notice = ev.CaseNotice(
            event_id=notice_id(moved.case_id),
            case_id=moved.case_id,
            region=moved.region,
            kind="forecast_moved",
            language=language_of(service, moved.case_id),
            wait_low_seconds=moved.estimate.low_s,
            wait_high_seconds=moved.estimate.high_s,
        )
        await send_case_notice(service, notice, told, FORECAST_MOVED_NOTICES)
        sent += 1
    return sent
