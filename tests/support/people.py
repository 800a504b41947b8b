"""Valid made-up Swedish identities and phone numbers for tests."""

from __future__ import annotations

import datetime as dt
import itertools

from services.loadgen.identities import luhn_digit  # one Luhn implementation for test data

_serials = itertools.count(100)


def personnummer(birth: dt.date = dt.date(1980, 5, 17), serial: int | None = None) -> str:
    """A valid 12-digit personnummer ``YYYYMMDD-NNNC`` (a fresh serial each call by default)."""
    n = (next(_serials) if serial is None else serial) % 1000
    ten = f"{birth:%y%m%d}{n:03d}"
    return f"{birth:%Y%m%d}-{n:03d}{luhn_digit(ten)}"


def mobile(i: int) -> str:
    """A Swedish mobile number in E.164 form."""
    return f"+4670{i % 10_000_000:07d}"
