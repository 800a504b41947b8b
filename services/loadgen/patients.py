"""Simulated patients: a region by population, an urgency by the mix, a fresh identity."""

from __future__ import annotations

import random
from dataclasses import dataclass

from proto import events as ev
from services.loadgen.identities import IdentityFactory
from services.queue_model.population import RegionPicker
from services.queue_model.traffic import Recipe, UrgencyMix


@dataclass(frozen=True)
class Patient:
    submission_id: str
    region: str
    urgency: int  # requested by the mix
    recipe: Recipe
    personnummer: str
    phone: str

    def http_body(self) -> dict[str, object]:
        """The body of ``POST /v1/triage``."""
        return {
            "region": self.region,
            "personnummer": self.personnummer,
            "phone": self.phone,
            "symptom": self.recipe.symptom,
            "answers": dict(self.recipe.answers),
            "submission_id": self.submission_id,
        }

    def submission(self) -> ev.TriageSubmission:
        """The same submission as a ``triage.submissions`` event."""
        return ev.TriageSubmission(
            submission_id=self.submission_id,
            region=self.region,
            personnummer=self.personnummer,
            phone=self.phone,
            symptom=self.recipe.symptom,
            answers=dict(self.recipe.answers),
            correlation_id=self.submission_id,
        )


class PatientFactory:
    def __init__(self, regions: RegionPicker, mix: UrgencyMix, rng: random.Random) -> None:
        self.regions, self.mix, self.rng = regions, mix, rng
        self.identities = IdentityFactory()  # fresh people every run, whatever the seed

    def next(self) -> Patient:
        urgency, recipe = self.mix.draw(self.rng)
        pnr, phone = self.identities.next()
        return Patient(ev.new_id(), self.regions.pick(self.rng), urgency, recipe, pnr, phone)
