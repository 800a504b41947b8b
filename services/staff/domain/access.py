"""Who may do what, where: roles and regions from a verified token, checked per action.

Roles (issue #13):

- ``nurse`` / ``doctor``: serve next, no-show, complete, reprioritise, cancel, read their
  regions' waiting lists;
- ``team-lead``: all of that, plus transfer and changing the region's opening hours
  (``OPENING_HOURS``, issue #14); every role but the auditor may read them;
- ``auditor``: read the audit trail of their regions;
- ``service``: another system acting over HTTP: serve next and read the waiting list.
- ``read-case`` (nurse, doctor, team-lead): the clinician's view of one case (issue 25);
  ``read-identity``: the patient's personnummer and phone, for the clinician who called the
  case and the team leads of its region only (``identity_access``).

Every grant is limited to the token's regions; ``*`` in the regions claim means all 21.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from proto.regions import REGIONS

Action = Literal[
    "serve-next",
    "no-show",
    "complete",
    "reprioritise",
    "cancel",
    "transfer",
    "read-waiting",
    "read-audit",
    "opening-hours",
    "read-opening-hours",
    "read-case",
    "read-identity",
    "read-forecast",
]
ROLES: tuple[str, ...] = ("nurse", "doctor", "team-lead", "auditor", "service")
CLINICAL: frozenset[str] = frozenset(
    {"serve-next", "no-show", "complete", "reprioritise", "cancel", "read-waiting"}
)
OPENING_HOURS = "opening-hours"  # PUT /v1/regions/{r}/opening-hours (issue #14)
READ_HOURS = "read-opening-hours"  # GET: when the region is staffed, no case data
READ_CASE = "read-case"  # GET /v1/cases/{id}: the case's clinical data, audited (issue 25)
READ_IDENTITY = "read-identity"  # GET /v1/cases/{id}/identity: personnummer and phone, audited
READ_FORECAST = "read-forecast"  # GET /v1/regions/{r}/forecast: breach forecast and what-if (issue 22)
CASE_READS = frozenset({READ_CASE, READ_IDENTITY})
GRANTS: dict[str, frozenset[str]] = {
    "nurse": CLINICAL | CASE_READS | {READ_HOURS},
    "doctor": CLINICAL | CASE_READS | {READ_HOURS},
    "team-lead": CLINICAL | CASE_READS | {"transfer", OPENING_HOURS, READ_HOURS, READ_FORECAST},
    "auditor": frozenset({"read-audit"}),
    "service": frozenset({"serve-next", "read-waiting", READ_HOURS}),
}
ALL_REGIONS = "*"


@dataclass(frozen=True)
class Principal:
    """The caller, as its verified token says: subject, roles and regions."""

    subject: str
    roles: frozenset[str]
    regions: frozenset[str]

    def serves(self, region: str) -> bool:
        """True when the token covers ``region``."""
        return region in self.regions or (ALL_REGIONS in self.regions and region in REGIONS)


class InvalidClaims(ValueError):
    """A token whose role or region claims are missing or malformed (the message says which)."""


def principal_from_claims(
    claims: dict[str, object], roles_claim: str = "roles", regions_claim: str = "regions"
) -> Principal:
    """The Principal of already verified ``claims``; InvalidClaims names a bad claim."""
    subject = claims.get("sub")
    if not isinstance(subject, str) or not subject.strip():
        raise InvalidClaims("the token has no subject (sub)")
    roles = _names(claims.get(roles_claim), roles_claim)
    regions = _names(claims.get(regions_claim), regions_claim)
    known = roles & set(ROLES)
    if not known:
        raise InvalidClaims(f"the token's {roles_claim!r} claim has none of the roles {', '.join(ROLES)}")
    return Principal(subject, frozenset(known), regions)


def _names(value: object, claim: str) -> frozenset[str]:
    if isinstance(value, str):
        value = value.split()  # space-separated, like OAuth scopes
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise InvalidClaims(f"the token's {claim!r} claim must be a list of strings")
    return frozenset(v for v in value if isinstance(v, str))


def authorise(principal: Principal, action: str, region: str) -> tuple[str | None, str]:
    """(why not, role): ``why not`` is None when allowed, else a reason fit for a 403 body.

    ``role`` is the role that grants the action (for the audit trail), or the caller's
    first role when none does.
    """
    granting = sorted(r for r in principal.roles if action in GRANTS.get(r, frozenset()))
    role = granting[0] if granting else sorted(principal.roles)[0]
    if not granting:
        needed = sorted(r for r, acts in GRANTS.items() if action in acts)
        return (
            f"{action} needs the role {' or '.join(needed)}; the token has "
            f"{', '.join(sorted(principal.roles))}"
        ), role
    if region and not principal.serves(region):
        return (
            f"the token does not cover region {region} (it covers {', '.join(sorted(principal.regions))})",
            role,
        )
    return None, role


def identity_access(principal: Principal, region: str, called_by: str) -> tuple[str | None, str]:
    """(why not, role) for reading the identity of a case in ``region`` last called by ``called_by``.

    Allowed to the clinician who called the case (with a clinical role in the region) and to a
    team lead of the region; refused to everyone else, the other nurses of the region included.
    """
    why, role = authorise(principal, READ_IDENTITY, region)
    if why is not None:
        return why, role
    if called_by and principal.subject == called_by:
        return None, role
    if "team-lead" in principal.roles:
        return None, "team-lead"
    return (
        f"only the clinician who called the case, or a team lead of {region}, may read the patient's "
        "identity" + ("" if called_by else " (nobody has called this case yet)"),
        role,
    )
