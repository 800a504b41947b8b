"""The time frame of each urgency and where to turn when a region cannot keep it (issue 25).

Read from the rules file's ``[time_frames]`` (so clinicians, not code, own them):

    [time_frames.frame]         # the 1177 direkt promise per urgency (units m, h, d)
    1 = "15m"
    ...
    [time_frames.alternative]   # an [advice.X] text per urgency: where to go now instead
    1 = "go_to_emergency"       # 112 or the emergency department
    2 = "call_1177"             # 1177 by phone, open around the clock
    4 = "queue_anyway"          # the patient may choose to wait (``accept_long_wait``)

Pure: stdlib only.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

URGENCIES = (1, 2, 3, 4, 5)
QUEUE_ANYWAY = "queue_anyway"  # the alternative that lets the patient choose to wait
_UNITS = {"m": 60.0, "h": 3600.0, "d": 86400.0}
_DEFAULT_FRAMES = {1: 900.0, 2: 3 * 3600.0, 3: 86400.0, 4: 7 * 86400.0, 5: 14 * 86400.0}
_DEFAULT_ALTERNATIVES = {
    1: "go_to_emergency",
    2: "call_1177",
    3: "call_1177",
    4: QUEUE_ANYWAY,
    5: QUEUE_ANYWAY,
}


@dataclass(frozen=True)
class TimeFrames:
    """Seconds per urgency within which the patient should be called, and the alternative."""

    seconds: Mapping[int, float] = field(default_factory=lambda: dict(_DEFAULT_FRAMES))
    alternative: Mapping[int, str] = field(default_factory=lambda: dict(_DEFAULT_ALTERNATIVES))

    def may_wait(self, urgency: int) -> bool:
        """True when a patient of ``urgency`` may choose to queue past the frame."""
        return self.alternative.get(urgency) == QUEUE_ANYWAY


def parse_duration(text: object) -> float | None:
    """``"15m"`` / ``"3h"`` / ``"7d"`` -> seconds; None when it is not such a duration."""
    if not isinstance(text, str) or len(text) < 2 or text[-1] not in _UNITS:
        return None
    try:
        value = float(text[:-1])
    except ValueError:
        return None
    return value * _UNITS[text[-1]] if value > 0 else None


def read_time_frames(
    raw: Any, advice_keys: frozenset[str], line_of: Mapping[str, int], problems: list[str]
) -> TimeFrames:
    """Check ``[time_frames]`` of the rules file; every problem is appended with its line."""
    if raw is None:
        return TimeFrames()
    frames, alternatives = dict(_DEFAULT_FRAMES), dict(_DEFAULT_ALTERNATIVES)
    table = raw if isinstance(raw, dict) else {}
    frame_line = line_of.get("time_frames.frame", line_of.get("time_frames", 0))
    alt_line = line_of.get("time_frames.alternative", line_of.get("time_frames", 0))
    given = table.get("frame", {})
    for u in URGENCIES:
        value = given.get(str(u)) if isinstance(given, dict) else None
        seconds = parse_duration(value)
        if seconds is None:
            problems.append(
                f'line {frame_line}: [time_frames.frame] {u} = {value!r}: give a duration such as "15m", '
                '"3h" or "7d" for every urgency 1..5'
            )
        else:
            frames[u] = seconds
    given = table.get("alternative", {})
    for u in URGENCIES:
        key = given.get(str(u)) if isinstance(given, dict) else None
        if key == QUEUE_ANYWAY and u <= 3:
            problems.append(
                f"line {alt_line}: [time_frames.alternative] {u} = {QUEUE_ANYWAY!r}: only Prio 4-5 "
                "patients may choose to wait past their time frame"
            )
        elif key != QUEUE_ANYWAY and key not in advice_keys:
            problems.append(
                f"line {alt_line}: [time_frames.alternative] {u} = {key!r}: name an [advice.X] text "
                f"of this file (e.g. call_1177) or {QUEUE_ANYWAY!r}, for every urgency 1..5"
            )
        else:
            alternatives[u] = str(key)
    if any(frames[a] > frames[b] for a, b in zip(URGENCIES, URGENCIES[1:], strict=False)):
        problems.append(f"line {frame_line}: [time_frames.frame]: a more urgent level needs a shorter frame")
    return TimeFrames(frames, alternatives)


def frame_words(seconds: float, language: str) -> str:
    """A frame in plain words: "15 minuter", "3 timmar", "1 dygn" / "15 minutes", "3 hours", "1 day"."""
    sv = language == "sv"
    if seconds < 3600:
        n, unit = round(seconds / 60), ("minuter" if sv else "minutes")
    elif seconds < 86400 or seconds % 86400:
        n = round(seconds / 3600)
        unit = ("timme" if n == 1 else "timmar") if sv else ("hour" if n == 1 else "hours")
    else:
        n = round(seconds / 86400)
        unit = ("dygn" if n == 1 else "dagar") if sv else ("day" if n == 1 else "days")
    if n == 1:  # "inom ett dygn", "within one hour"
        one = {"timme": "en", "dygn": "ett"}.get(unit, "one") if sv else "one"
        return f"{one} {unit}"
    return f"{n} {unit}"
