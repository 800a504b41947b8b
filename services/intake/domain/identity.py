"""Swedish personal identity numbers (personnummer, samordningsnummer)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from personnummer import personnummer as _pnr


class InvalidIdentity(ValueError):
    """Not a valid personnummer or samordningsnummer."""


@dataclass(frozen=True)
class Identity:
    """A validated identity: the normalised 12 digits and the birth date."""

    number: str  # YYYYMMDDNNNC, no separator
    birth_date: dt.date
    coordination: bool

    def age_in_days(self, today: dt.date) -> int:
        return (today - self.birth_date).days


def parse_identity(raw: str) -> Identity:
    """Validate 10 or 12 digits (with or without separator), real date and Luhn check digit."""
    try:
        pnr = _pnr.Personnummer(raw.strip())
    except Exception as exc:  # the library raises its own exception types, and ValueError
        raise InvalidIdentity(
            "not a valid personnummer or samordningsnummer: expected YYYYMMDD-NNNN or "
            "YYMMDD-NNNN with a real date and a correct check digit"
        ) from exc
    return Identity(number=pnr.format(True), birth_date=pnr.get_date(),
                    coordination=pnr.is_coordination_number())
