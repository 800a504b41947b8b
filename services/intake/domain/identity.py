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

    def is_under_one_year(self, today: dt.date) -> bool:
        """Younger than one year on ``today`` (a child born 29 February turns one on 1 March)."""
        try:
            first_birthday = self.birth_date.replace(year=self.birth_date.year + 1)
        except ValueError:
            first_birthday = dt.date(self.birth_date.year + 1, 3, 1)
        return today < first_birthday


def parse_identity(raw: str) -> Identity:
    """Validate 10 or 12 digits (with or without separator), real date and Luhn check digit."""
    try:
        pnr = _pnr.Personnummer(raw.strip())
    except Exception as exc:  # the library raises its own exception types, and ValueError
        raise InvalidIdentity(
            "not a valid personnummer or samordningsnummer: expected YYYYMMDD-NNNN or "
            "YYMMDD-NNNN with a real date and a correct check digit"
        ) from exc
    return Identity(
        number=pnr.format(True), birth_date=pnr.get_date(), coordination=pnr.is_coordination_number()
    )
