"""Who may do what where: roles and regions from the token's claims."""

from __future__ import annotations

import pytest

from services.staff.domain.access import (
    InvalidClaims,
    Principal,
    authorise,
    identity_access,
    principal_from_claims,
)

ANNA = Principal("nurse-anna", frozenset({"nurse"}), frozenset({"SE-C"}))
LISA = Principal("lead-lisa", frozenset({"team-lead"}), frozenset({"SE-C"}))


@pytest.mark.parametrize(
    "action", ["serve-next", "no-show", "complete", "reprioritise", "cancel", "read-waiting"]
)
def test_a_nurse_may_do_the_clinical_actions_in_her_own_region(action: str) -> None:
    assert authorise(ANNA, action, "SE-C") == (None, "nurse")


def test_a_nurse_of_uppsala_may_not_serve_ostergotland() -> None:
    why, _ = authorise(ANNA, "serve-next", "SE-E")
    assert why is not None and "does not cover region SE-E" in why


def test_only_a_team_lead_may_transfer_a_case() -> None:
    why, _ = authorise(ANNA, "transfer", "SE-C")
    assert why is not None and "needs the role team-lead" in why
    assert authorise(LISA, "transfer", "SE-C") == (None, "team-lead")


def test_an_auditor_reads_the_trail_but_calls_no_patient() -> None:
    auditor = Principal("auditor-ake", frozenset({"auditor"}), frozenset({"*"}))
    assert authorise(auditor, "read-audit", "SE-M") == (None, "auditor")
    assert authorise(auditor, "serve-next", "SE-M")[0] is not None


def test_the_role_that_grants_the_action_is_the_one_recorded() -> None:
    both = Principal("x", frozenset({"auditor", "nurse"}), frozenset({"SE-C"}))
    assert authorise(both, "serve-next", "SE-C") == (None, "nurse")
    assert authorise(both, "read-audit", "SE-C") == (None, "auditor")


def test_claims_give_subject_roles_and_regions_and_unknown_roles_are_dropped() -> None:
    p = principal_from_claims({"sub": "nurse-anna", "roles": ["nurse", "admin"], "regions": "SE-C SE-E"})
    assert p == Principal("nurse-anna", frozenset({"nurse"}), frozenset({"SE-C", "SE-E"}))


@pytest.mark.parametrize(
    "claims, says",
    [
        ({"roles": ["nurse"], "regions": ["SE-C"]}, "no subject"),
        ({"sub": "a", "roles": ["admin"], "regions": ["SE-C"]}, "none of the roles"),
        ({"sub": "a", "roles": ["nurse"], "regions": 7}, "'regions' claim must be a list"),
    ],
)
def test_a_token_without_subject_known_role_or_region_list_is_refused(
    claims: dict[str, object], says: str
) -> None:
    with pytest.raises(InvalidClaims, match=says):
        principal_from_claims(claims)


def test_a_wildcard_region_covers_the_21_regions_only() -> None:
    p = Principal("svc", frozenset({"service"}), frozenset({"*"}))
    assert p.serves("SE-BD") and not p.serves("SE-ZZ")


def test_only_a_team_lead_may_change_opening_hours_but_every_clinician_may_read_them() -> None:
    why, _ = authorise(ANNA, "opening-hours", "SE-C")
    assert why is not None and "needs the role team-lead" in why
    assert authorise(LISA, "opening-hours", "SE-C") == (None, "team-lead")
    assert authorise(ANNA, "read-opening-hours", "SE-C") == (None, "nurse")
    why, _ = authorise(LISA, "opening-hours", "SE-E")
    assert why is not None and "does not cover region SE-E" in why


def test_the_clinician_who_called_the_case_may_read_the_patients_identity() -> None:
    assert identity_access(ANNA, "SE-C", called_by="nurse-anna") == (None, "nurse")


def test_another_nurse_of_the_same_region_may_not_read_the_identity() -> None:
    other = Principal("nurse-olle", frozenset({"nurse"}), frozenset({"SE-C"}))
    why, _ = identity_access(other, "SE-C", called_by="nurse-anna")
    assert why is not None and "only the clinician who called the case" in why


def test_a_team_lead_of_the_region_may_read_the_identity_and_one_of_another_region_may_not() -> None:
    assert identity_access(LISA, "SE-C", called_by="nurse-anna") == (None, "team-lead")
    why, _ = identity_access(LISA, "SE-E", called_by="nurse-anna")
    assert why is not None and "does not cover region SE-E" in why


def test_nobody_but_a_team_lead_reads_the_identity_of_a_case_nobody_called() -> None:
    why, _ = identity_access(ANNA, "SE-C", called_by="")
    assert why is not None and "nobody has called this case yet" in why


@pytest.mark.parametrize("role", ["auditor", "service"])
def test_auditors_and_services_never_read_an_identity(role: str) -> None:
    caller = Principal("nurse-anna", frozenset({role}), frozenset({"*"}))
    why, _ = identity_access(caller, "SE-C", called_by="nurse-anna")
    assert why is not None and "read-identity needs the role" in why
