"""Telling waiting patients, once, that their case will now miss its time frame (issue 25).

Every ``INTAKE_FRAME_CHECK_S`` (after the read model is rebuilt) the pure sweep
(``domain/late_cases.py``) finds the waiting cases the region can no longer call in time, and
intake sends each a ``CaseNotice`` (``past_frame_*``) on queue.your-turn: the notifier's SMS
says where to go now. Its ``event_id`` derives from the case and region, so every intake
process and replica that finds the same case sends the same notice, and the notifier's ledger
sends one SMS (after a restart too). The case stays queued; its case view says the same
(``time_frame_reason``, computed by the same rule when it is read).

The same sweep tells a waiting patient, once, that their wait forecast has moved
(``forecast_watch.py``, issue 22).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging

from proto import events as ev
from services.intake.case_notices import language_of, send_case_notice
from services.intake.domain.late_cases import late_cases
from services.intake.forecast_watch import tell_moved_forecasts
from services.intake.metrics import PAST_FRAME_NOTICES
from services.intake.submissions import TriageService

log = logging.getLogger("triage.intake.frames")
MAX_TOLD = 200_000  # case ids remembered as told in this process (the notifier's ledger is the truth)


async def warn_late_cases(service: TriageService, told: dict[str, None], now: dt.datetime) -> int:
    """Send one notice per newly late waiting case; returns how many were sent."""
    settings, view = service.settings, service.view
    found = late_cases(
        view,
        lambda region: view.hours_of(region, settings.hours),
        service.rules.time_frames,
        settings.eta,
        now,
        told,
    )
    sent = 0
    for late in found:  # lazily, one region's walk at a time, so HTTP requests are served between
        await asyncio.sleep(0)
        notice = ev.CaseNotice(
            event_id=f"past-frame-{late.case.case_id}-{late.case.region}",
            case_id=late.case.case_id,
            region=late.case.region,
            kind=late.notice_kind,  # type: ignore[arg-type]
            language=language_of(service, late.case.case_id),
        )
        await send_case_notice(service, notice, told, PAST_FRAME_NOTICES)
        sent += 1
    _forget_oldest(told)
    return sent


def _forget_oldest(told: dict[str, None]) -> None:
    while len(told) > MAX_TOLD:
        told.pop(next(iter(told)))


async def watch_time_frames(service: TriageService, ready: asyncio.Event, every_s: float) -> None:
    """Sweep every ``every_s`` seconds once the read model is rebuilt (cancel to stop)."""
    await ready.wait()
    told: dict[str, None] = {}
    told_moved: dict[str, None] = {}
    while True:
        try:
            sent = await warn_late_cases(service, told, dt.datetime.now(dt.UTC))
            if sent:
                log.info("told %d waiting patient(s) their case will miss its time frame", sent)
            moved = await tell_moved_forecasts(service, told_moved, dt.datetime.now(dt.UTC))
            _forget_oldest(told_moved)
            if moved:
                log.info("told %d waiting patient(s) their wait forecast has moved", moved)
        except Exception as exc:  # the next sweep tries again; the notices are idempotent
            log.warning("time-frame sweep failed (%s: %s); retrying", type(exc).__name__, exc)
        await asyncio.sleep(every_s)
