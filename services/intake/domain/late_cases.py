"""Waiting cases that will now miss their urgency's time frame (issue 25): the pure sweep.

The admission rule (``frame_check.past_frame``) asked again for every waiting case, at its
position and with the time it has waited. Intake asks it off the request path, every
``INTAKE_FRAME_CHECK_S``, over its own read model of the queue: the queue's hot path is not
touched, and a region nobody serves (no input reaches the queue at all) is still checked.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass

from services.intake.domain.case_status import CaseStatus
from services.intake.domain.frame_check import PastFrame, judge, low_bounds, opening
from services.intake.domain.queue_view import QueueView
from services.intake.domain.time_frames import QUEUE_ANYWAY, TimeFrames
from services.opening_hours.eta import EtaPolicy
from services.opening_hours.schedule import RegionHours

# The SMS kind per [time_frames.alternative]; an alternative the notifier has no text for gets 1177's.
NOTICE_KIND = {
    "go_to_emergency": "past_frame_emergency",
    "call_1177": "past_frame_call_1177",
    QUEUE_ANYWAY: "past_frame_may_wait",
}


@dataclass(frozen=True)
class LateCase:
    case: CaseStatus
    past: PastFrame
    notice_kind: str


def late_cases(
    view: QueueView,
    hours_of: Callable[[str], RegionHours],
    frames: TimeFrames,
    policy: EtaPolicy,
    now: dt.datetime,
    told: Collection[str] = (),
) -> Iterator[LateCase]:
    """Every waiting case not in ``told`` whose region cannot call it within its frame any more.

    Cost: one walk of each region's hours for all its waiting cases (``low_bounds``).
    """
    for region in view.regions_waiting():
        hours = hours_of(region)
        recent = round(view.serving_rate_per_minute(region, now.timestamp()) * view.rate_window_s / 60.0)
        waiting = view.waiting_in(region)
        lows = low_bounds(len(waiting), recent, view.rate_window_s, hours, now, policy)
        status = opening(hours, now)
        for case, low in zip(waiting, lows, strict=True):
            if case.case_id in told or case.queued_at is None:
                continue
            facts = view.patients.facts(case.case_id)
            if facts is not None and facts.accepted_long_wait:
                continue  # the patient chose to wait past the frame, told so at admission
            waited = max(0.0, (now - case.queued_at).total_seconds())
            past = judge(frames.seconds[case.urgency], waited, status, now, low)
            if past is not None:
                kind = NOTICE_KIND.get(frames.alternative.get(case.urgency, ""), "past_frame_call_1177")
                yield LateCase(case, past, kind)
