"""Reading a team lead's what-if: "with N more clinicians from HH:00" (the next such local time)."""

from __future__ import annotations

import datetime as dt

from services.forecast.domain.plan import WhatIf
from services.opening_hours.schedule import STOCKHOLM


class WhatIfError(ValueError):
    """A what-if that cannot be read; ``field`` names the query parameter."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def read_what_if(extra: str | None, from_hh: str | None, now: dt.datetime) -> WhatIf | None:
    """``extra`` clinicians (1..100) from ``from_hh`` ("HH:00" local time, the next such hour; None:
    from now on). None when ``extra`` is absent."""
    if extra is None:
        if from_hh is not None:
            raise WhatIfError("extra", "give extra=N (more clinicians) together with from=HH:00")
        return None
    try:
        n = int(extra)
    except ValueError:
        raise WhatIfError("extra", f"extra={extra!r}: give a whole number of clinicians, 1 to 100") from None
    if not 1 <= n <= 100:
        raise WhatIfError("extra", f"extra={n}: give a whole number of clinicians, 1 to 100")
    if from_hh is None:
        return WhatIf(n, now)
    try:
        hour, minute = (int(x) for x in from_hh.split(":"))
    except ValueError:
        raise WhatIfError("from", f"from={from_hh!r}: give a local time as HH:00, e.g. 14:00") from None
    if not (0 <= hour <= 23 and minute == 0):
        raise WhatIfError("from", f"from={from_hh!r}: give a whole local hour HH:00 between 00:00 and 23:00")
    local = now.astimezone(STOCKHOLM)
    at = local.replace(hour=hour, minute=0, second=0, microsecond=0)
    if at <= local - dt.timedelta(hours=1):  # an hour already past today: tomorrow's
        at += dt.timedelta(days=1)
    return WhatIf(n, at.astimezone(dt.UTC))
