"""The traffic model sends what intake really decides, and arrivals follow the schedule."""

import datetime as dt
import random
from collections import Counter

import pytest

from proto.regions import REGIONS
from services.intake.domain.assessment import Queue, assess
from services.intake.domain.identity import parse_identity
from services.intake.domain.rulebook import RuleBook
from services.intake.domain.submission_form import InvalidSubmission, parse_submission
from services.intake.lifecycle import load_rules
from services.intake.settings import packaged_rules_path
from services.loadgen.identities import IdentityFactory
from services.loadgen.patients import Patient
from services.loadgen.schedule import RateProfile, arrival_offsets
from services.queue_model.population import REGION_POPULATION, RegionPicker
from services.queue_model.traffic import RECIPES, Recipe, UrgencyMix, parse_mix

ALL_RECIPES = [(u, r) for u, rs in RECIPES.items() for r in rs]
RECIPE_IDS = [
    f"prio{u}-{r.symptom}-{'-'.join(f'{k}={v}' for k, v in r.answers.items()) or 'none'}"
    for u, r in ALL_RECIPES
]


@pytest.fixture(scope="module")
def rules() -> RuleBook:
    """The rules file intake ships and loads at start (the same loader, the same checks)."""
    return load_rules(packaged_rules_path())


def as_patient(urgency: int, recipe: Recipe) -> Patient:
    pnr, phone = IdentityFactory(random.Random(1)).next()
    return Patient("loadgen-recipe-test", "SE-C", urgency, recipe, pnr, phone)


@pytest.mark.parametrize("urgency,recipe", ALL_RECIPES, ids=RECIPE_IDS)
def test_every_recipe_passes_intakes_answer_validation_for_its_symptom(
    rules: RuleBook, urgency: int, recipe: Recipe
) -> None:
    assert recipe.symptom in rules.symptoms
    try:
        form = parse_submission(as_patient(urgency, recipe).http_body(), rules)
    except InvalidSubmission as exc:
        pytest.fail(f"intake rejects the recipe's submission: {exc}")
    assert dict(form.answers) == dict(recipe.answers)


@pytest.mark.parametrize("urgency,recipe", ALL_RECIPES, ids=RECIPE_IDS)
def test_every_recipe_yields_the_urgency_it_claims_under_intakes_rules(
    rules: RuleBook, urgency: int, recipe: Recipe
) -> None:
    decision = rules.decide(recipe.symptom, recipe.answers)
    assert decision.urgency == recipe.yields, decision.rule_id
    assert not decision.rule_id.endswith(".default"), "a recipe must match a real rule, not the default"
    assert not rules.has_red_flag(recipe.symptom, recipe.answers)
    # The whole of intake's decision, as for a real submission: validated, then assessed.
    form = parse_submission(as_patient(urgency, recipe).http_body(), rules)
    outcome = assess(form, rules, frozenset(REGIONS), dt.date.today())
    assert isinstance(outcome, Queue), outcome
    assert (outcome.urgency, outcome.rule_id, outcome.rules_version) == (
        recipe.yields,
        decision.rule_id,
        rules.version,
    )


def test_every_prio_1_to_5_has_recipes_that_yield_exactly_that_prio() -> None:
    assert sorted(RECIPES) == [1, 2, 3, 4, 5]
    assert all(RECIPES[u] and all(r.yields == u for r in RECIPES[u]) for u in RECIPES)


def test_patients_get_distinct_valid_personnummer_of_adults() -> None:
    ids = IdentityFactory(random.Random(1))
    pnrs = [ids.next()[0] for _ in range(5000)]
    assert len(set(pnrs)) == 5000
    for pnr in pnrs[::97]:
        assert parse_identity(pnr).birth_date.year < 2000


def test_regions_are_drawn_in_proportion_to_population() -> None:
    picker = RegionPicker(REGION_POPULATION)
    rng = random.Random(3)
    counts = Counter(picker.pick(rng) for _ in range(50_000))
    assert counts["SE-AB"] / 50_000 == pytest.approx(picker.share("SE-AB"), abs=0.01)
    assert counts["SE-I"] < counts["SE-C"] < counts["SE-AB"]
    assert len(counts) == 21


def test_the_default_mix_draws_prio_3_most_and_prio_1_least() -> None:
    mix = UrgencyMix(parse_mix("2/10/40/38/10"))
    rng = random.Random(5)
    counts = Counter(mix.draw(rng)[0] for _ in range(20_000))
    assert counts[3] / 20_000 == pytest.approx(0.40, abs=0.02)
    assert counts[1] / 20_000 == pytest.approx(0.02, abs=0.005)


@pytest.mark.parametrize("bad", ["2/10/40/38", "a/b/c/d/e", "0/0/0/0/0", "-1/10/40/38/13"])
def test_a_bad_mix_is_refused_with_what_to_write_instead(bad: str) -> None:
    with pytest.raises(ValueError, match="Prio 1..5|number|>= 0"):
        parse_mix(bad)


def test_an_open_loop_schedule_holds_the_rate_after_the_ramp_and_ends_on_time() -> None:
    offsets = list(arrival_offsets(RateProfile(100, ramp_s=2), duration_s=10, count=None))
    assert all(0 < t <= 10 for t in offsets)
    assert offsets == sorted(offsets)
    assert len(offsets) == pytest.approx(100 * 10 - 100 * 2 / 2, abs=2)  # the ramp sends half
    after_ramp = [t for t in offsets if t > 3]
    gaps = {round(b - a, 6) for a, b in zip(after_ramp, after_ramp[1:], strict=False)}
    assert gaps == {0.01}


def test_a_count_bounded_poisson_schedule_stops_at_the_count() -> None:
    offsets = list(arrival_offsets(RateProfile(50), None, 500, random.Random(2)))
    assert len(offsets) == 500
    assert offsets[-1] == pytest.approx(10, rel=0.15)


def test_a_schedule_without_duration_or_count_is_refused() -> None:
    with pytest.raises(ValueError, match="duration or a count"):
        list(arrival_offsets(RateProfile(10), None, None))
