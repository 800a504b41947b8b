"""The time frame each urgency should be seen within (DOMAIN.md's 1177 direkt levels).

Prio 1 "minutes" is 15 min (what regions aim at). Prio 2 "one or a few hours" is taken
as 3 h. Prio 3 is 24 h and Prio 4 "the coming week(s)" is 7 days. Prio 5 "when capacity
allows" has no target in 1177's table; 14 days is used so the share is still a figure
worth watching. Change them with ``--frames``.
"""

from __future__ import annotations

URGENCIES: tuple[int, ...] = (1, 2, 3, 4, 5)

DEFAULT_FRAMES_S: dict[int, float] = {
    1: 15 * 60.0,
    2: 3 * 3600.0,
    3: 24 * 3600.0,
    4: 7 * 86400.0,
    5: 14 * 86400.0,
}


def parse_frames(text: str) -> dict[int, float]:
    """``"15m/3h/24h/7d/14d"`` -> seconds per urgency 1..5 (units s, m, h, d)."""
    parts = text.split("/")
    if len(parts) != 5:
        raise ValueError(f"time frames {text!r}: give five durations for Prio 1..5, e.g. 15m/3h/24h/7d/14d")
    return {u: parse_duration(p) for u, p in zip(URGENCIES, parts, strict=True)}


_UNITS = {"s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}


def parse_duration(text: str) -> float:
    """``"15m"`` -> 900.0; a bare number is minutes."""
    t = text.strip().lower()
    unit = _UNITS.get(t[-1:]) if t else None
    number = t[:-1] if unit is not None else t
    try:
        value = float(number) * (unit if unit is not None else 60.0)
    except ValueError:
        raise ValueError(f"duration {text!r}: write a number with a unit s/m/h/d, e.g. 15m or 3h") from None
    if value <= 0:
        raise ValueError(f"duration {text!r} must be > 0")
    return value


def format_duration(seconds: float) -> str:
    """A short human form: 42s, 12m, 3.5h, 2.1d."""
    if seconds < 60:
        return f"{seconds:.0f}s"
    if seconds < 3600:
        return f"{seconds / 60:.0f}m"
    if seconds < 86400:
        return f"{seconds / 3600:.1f}h"
    return f"{seconds / 86400:.1f}d"
