"""The forecaster's configuration, built once from the environment in ``main()``."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field

from services.config.env import EnvReader
from services.kafka.settings import KafkaSettings
from services.opening_hours.hours_file import load_hours_from_env
from services.opening_hours.schedule import OpeningHours


@dataclass(frozen=True)
class ForecastSettings:
    kafka: KafkaSettings = field(default_factory=KafkaSettings)
    host: str = "127.0.0.1"
    port: int = 8086
    every_s: float = 60.0  # a region is refreshed at least this often
    debounce_s: float = 5.0  # after a call, an arrival or new hours: this soon, never more often
    runs: int = 48  # futures per forecast
    horizon_s: float = 8 * 3600.0  # the breach forecast looks this far ahead
    seed: int = 0
    hours: OpeningHours = field(default_factory=OpeningHours)
    capacity_per_hour: float = 20.0  # ETA_CAPACITY_PER_HOUR: where the hours file names no capacity

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> ForecastSettings:
        """Read FORECAST_* (and the shared hours) variables; SettingsError names a bad one."""
        read = EnvReader(env)
        return cls(
            kafka=KafkaSettings.from_env(env),
            host=read.text("FORECAST_HOST", "127.0.0.1"),
            port=read.int("FORECAST_PORT", 8086, minimum=1),
            every_s=read.float("FORECAST_EVERY_S", 60, minimum=1),
            debounce_s=read.float("FORECAST_DEBOUNCE_S", 5, minimum=0),
            runs=read.int("FORECAST_RUNS", 48, minimum=4),
            horizon_s=read.float("FORECAST_HORIZON_S", 28800, minimum=0),
            seed=read.int("FORECAST_SEED", 0, minimum=0),
            hours=load_hours_from_env(env),
            capacity_per_hour=read.float("ETA_CAPACITY_PER_HOUR", 20, minimum=0.001),
        )
