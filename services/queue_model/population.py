"""Sweden's 21 regions weighted by population: where patients arrive from.

Population: SCB (Statistics Sweden), 31 December 2023, rounded to thousands. Only the
relative weights matter for the load model.
"""

from __future__ import annotations

import bisect
import itertools
import random
from collections.abc import Iterable, Mapping

REGION_POPULATION: dict[str, int] = {
    "SE-AB": 2_454_000,  # Stockholm
    "SE-O": 1_752_000,  # Västra Götaland
    "SE-M": 1_421_000,  # Skåne
    "SE-E": 469_000,  # Östergötland
    "SE-C": 404_000,  # Uppsala
    "SE-F": 369_000,  # Jönköping
    "SE-N": 340_000,  # Halland
    "SE-T": 307_000,  # Örebro
    "SE-D": 302_000,  # Södermanland
    "SE-W": 288_000,  # Dalarna
    "SE-X": 287_000,  # Gävleborg
    "SE-S": 283_000,  # Värmland
    "SE-U": 281_000,  # Västmanland
    "SE-AC": 276_000,  # Västerbotten
    "SE-BD": 249_000,  # Norrbotten
    "SE-H": 246_000,  # Kalmar
    "SE-Y": 243_000,  # Västernorrland
    "SE-G": 204_000,  # Kronoberg
    "SE-K": 157_000,  # Blekinge
    "SE-Z": 132_000,  # Jämtland Härjedalen
    "SE-I": 61_000,  # Gotland
}


class RegionPicker:
    """Draws regions with probability proportional to population (O(log n) per draw)."""

    def __init__(self, regions: Iterable[str], population: Mapping[str, int] = REGION_POPULATION) -> None:
        self.regions = sorted(regions, key=lambda r: -population[r])
        if not self.regions:
            raise ValueError("no regions to draw from")
        self.weights = [population[r] for r in self.regions]
        self._cumulative = list(itertools.accumulate(self.weights))

    def pick(self, rng: random.Random) -> str:
        """One region, weighted by population."""
        x = rng.random() * self._cumulative[-1]
        return self.regions[bisect.bisect_right(self._cumulative, x)]

    def share(self, region: str) -> float:
        """The region's expected share of draws (0..1)."""
        return self.weights[self.regions.index(region)] / self._cumulative[-1]
