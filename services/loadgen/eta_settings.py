"""Settings of the ETA-error run, and the service configuration that makes the model match them.

Time is compressed by ``time_scale``: clinicians call ``capacity_per_hour x time_scale`` patients
per real hour, so a shift's worth of calls happens in minutes. For the estimate to be measured
fairly the services are told the same scaled world through their ordinary settings:
``ETA_CAPACITY_PER_HOUR`` (the capacity the model assumes before a recent rate exists) and
``QUEUE_RATE_WINDOW_S`` (the recent-rate window: 900 s of model time), and an opening-hours
file (``OPENING_HOURS_PATH``) in which the region is closed until ``opens_at`` and then open
round the clock, so the run starts like a morning: patients queued overnight, nobody called
yet, the estimate has only the capacity to go on.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field

from proto.regions import REGIONS
from services.opening_hours.eta import EtaPolicy
from services.opening_hours.hours_file import DAYS
from services.opening_hours.schedule import STOCKHOLM
from services.queue_model.traffic import DEFAULT_MIX

_POLICY = EtaPolicy()


@dataclass(frozen=True)
class EtaRunSettings:
    region: str = "SE-C"
    time_scale: float = 60.0  # model seconds per real second
    capacity_per_hour: float = 20.0  # calls per staffed hour of model time: the clinicians AND the model
    window_s: float = 900.0  # the recent-rate window, model seconds
    load: float = 0.9  # arrival rate / serving rate
    closed_s: float = 45.0  # real seconds the region is closed at the start (0: open from the start)
    duration_s: float = 180.0  # real seconds of arrivals (closed phase included)
    resample_s: float = 2.0  # real seconds between re-samples of a waiting case
    drain_s: float = 180.0  # real seconds after the arrivals stop to wait for every call
    mix: Mapping[int, float] = field(default_factory=lambda: dict(DEFAULT_MIX))
    poisson: bool = False
    seed: int | None = None
    band: tuple[float, float] = (_POLICY.low_factor, _POLICY.high_factor)  # the unrounded range
    progress: bool = True

    @property
    def serve_rate(self) -> float:
        """ServeNext per real second."""
        return self.capacity_per_hour * self.time_scale / 3600.0

    @property
    def arrival_rate(self) -> float:
        """Submissions per real second."""
        return self.load * self.serve_rate

    def validate(self) -> EtaRunSettings:
        """Raise ValueError naming the first setting that cannot make a run."""
        if self.region not in REGIONS:
            raise ValueError(f"--region {self.region!r}: use an ISO 3166-2:SE code such as SE-C")
        for name in ("time_scale", "capacity_per_hour", "window_s", "load", "duration_s", "resample_s"):
            if not getattr(self, name) > 0:
                raise ValueError(f"--{name.replace('_', '-')} must be > 0 (got {getattr(self, name)})")
        if self.closed_s < 0 or self.drain_s < 0:
            raise ValueError("--closed and --drain are seconds >= 0")
        return self

    def service_env(self, hours_path: str) -> dict[str, str]:
        """The services' environment for this run (see the module docstring)."""
        return {
            "OPENING_HOURS_PATH": hours_path,
            "ETA_CAPACITY_PER_HOUR": f"{self.capacity_per_hour * self.time_scale:g}",
            "QUEUE_RATE_WINDOW_S": f"{self.window_s / self.time_scale:g}",
            "INTAKE_ENABLED_REGIONS": self.region,
            # one client polls every waiting case: the per-client limit would measure itself
            "INTAKE_RATE_PER_S": "10000",
            "INTAKE_RATE_BURST": "10000",
        }


def opening_time(now: dt.datetime, start_in_s: float, closed_s: float) -> dt.datetime | None:
    """When the region opens: the first whole minute (the hours file's resolution) at least
    ``start_in_s + closed_s`` after ``now``; None when the run has no closed phase."""
    if closed_s <= 0:
        return None
    at = now + dt.timedelta(seconds=start_in_s + closed_s)
    return at.replace(second=0, microsecond=0) + dt.timedelta(minutes=1 if at.second or at.microsecond else 0)


def hours_file(opens_at: dt.datetime | None, now: dt.datetime) -> str:
    """An opening-hours file: open round the clock, except closed from now until ``opens_at``."""
    lines = ['version = "loadgen-eta"', "[default]", *(f'{d} = ["00:00-24:00"]' for d in DAYS)]
    if opens_at is not None:
        local = opens_at.astimezone(STOCKHOLM)
        today = now.astimezone(STOCKHOLM).date()
        lines += ["[holidays]", f'"{local.date()}" = ["{local:%H:%M}-24:00"]']
        if today != local.date():  # opening after local midnight: the rest of today is closed too
            lines.append(f'"{today}" = []')
    return "\n".join(lines) + "\n"
