"""Made-up but valid Swedish identities and mobile numbers, distinct per patient.

The queue refuses to queue the same person twice in a region, so every patient of a run
gets their own personnummer. A random birth-date offset per run keeps two runs against
the same system from colliding (cases of an earlier run may still be waiting).
"""

from __future__ import annotations

import datetime as dt
import random

_FIRST_BIRTH = dt.date(1935, 1, 1)
_DAYS = 365 * 60  # birth dates over 60 years: every patient is an adult (no infant referrals)


def luhn_digit(nine: str) -> int:
    """The check digit of the 9 digits YYMMDDNNN."""
    total = 0
    for i, ch in enumerate(nine):
        d = int(ch) * (2 if i % 2 == 0 else 1)
        total += d - 9 if d > 9 else d
    return (10 - total % 10) % 10


class IdentityFactory:
    """Yields distinct valid 12-digit personnummer and distinct Swedish mobile numbers."""

    def __init__(self, rng: random.Random | None = None) -> None:
        # Not from the run's seeded generator: a repeated --seed (or the next find-max step)
        # must not bring back the same people while the last run's cases are still waiting.
        rng = rng or random.Random()
        self._day_offset = rng.randrange(_DAYS)
        self._phone_offset = rng.randrange(10_000_000)
        self._n = 0

    def next(self) -> tuple[str, str]:
        """(personnummer ``YYYYMMDD-NNNC``, phone ``+4670XXXXXXX``) for a new patient."""
        i, self._n = self._n, self._n + 1
        day, serial = divmod(i, 999)  # serials 001..999 per birth date (000 is not valid)
        serial += 1
        birth = _FIRST_BIRTH + dt.timedelta(days=(self._day_offset + day) % _DAYS)
        ten = f"{birth:%y%m%d}{serial:03d}"
        pnr = f"{birth:%Y%m%d}-{serial:03d}{luhn_digit(ten)}"
        phone = f"+4670{(self._phone_offset + i) % 10_000_000:07d}"
        return pnr, phone
