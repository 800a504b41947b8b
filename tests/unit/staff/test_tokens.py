"""Verifying bearer tokens with PyJWT: issuer, audience, expiry, not-before, signing key."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from services.config.env import SettingsError
from services.staff.dev_issuer import DEV_AUDIENCE, DEV_ISSUER, DevIssuer
from services.staff.settings import OidcSettings, StaffSettings
from services.staff.tokens import TokenRejected, TokenVerifier


@pytest.fixture
def issuer(tmp_path: Path) -> DevIssuer:
    return DevIssuer(tmp_path / "dev-issuer")


def _verifier(issuer: DevIssuer, **oidc: object) -> TokenVerifier:
    return TokenVerifier(
        OidcSettings(issuer=DEV_ISSUER, audience=DEV_AUDIENCE, jwks_url=issuer.jwks_url, **oidc)
    )  # type: ignore[arg-type]


def test_a_dev_token_gives_the_staff_member_their_roles_and_regions(issuer: DevIssuer) -> None:
    p = _verifier(issuer).verify_sync(issuer.mint("nurse-anna", ["nurse"], ["SE-C"]))
    assert (p.subject, p.roles, p.regions) == ("nurse-anna", {"nurse"}, {"SE-C"})


def test_the_dev_key_is_kept_between_runs_so_old_tokens_stay_valid(issuer: DevIssuer) -> None:
    token = issuer.mint("nurse-anna", ["nurse"], ["SE-C"])
    again = DevIssuer(issuer.directory)
    assert again.kid == issuer.kid and _verifier(again).verify_sync(token).subject == "nurse-anna"
    assert (issuer.directory / "signing-key.pem").stat().st_mode & 0o077 == 0


@pytest.mark.parametrize(
    "mint, says",
    [
        ({"ttl_s": 60, "now": time.time() - 3600}, "expired"),
        ({"not_before_s": 600}, "not valid yet"),
        ({"audience": "another-api"}, "audience must be triage-staff"),
    ],
)
def test_expired_premature_or_foreign_audience_tokens_are_rejected(
    issuer: DevIssuer, mint: dict[str, float], says: str
) -> None:
    with pytest.raises(TokenRejected, match=says):
        _verifier(issuer).verify_sync(issuer.mint("nurse-anna", ["nurse"], ["SE-C"], **mint))  # type: ignore[arg-type]


def test_a_token_signed_by_another_key_is_rejected(issuer: DevIssuer, tmp_path: Path) -> None:
    forged = DevIssuer(tmp_path / "mallory").mint("nurse-anna", ["nurse"], ["SE-C"])
    with pytest.raises(TokenRejected, match="signing key"):
        _verifier(issuer).verify_sync(forged)


def test_a_token_from_another_issuer_is_rejected(issuer: DevIssuer) -> None:
    verifier = TokenVerifier(
        OidcSettings(issuer="https://idp.example.se", audience=DEV_AUDIENCE, jwks_url=issuer.jwks_url)
    )
    with pytest.raises(TokenRejected, match="issuer"):
        verifier.verify_sync(issuer.mint("nurse-anna", ["nurse"], ["SE-C"]))


@pytest.mark.parametrize(
    "header, says", [(None, "no token"), ("Basic abc", "Bearer <token>"), ("Bearer ", "Bearer")]
)
def test_a_missing_or_malformed_authorization_header_is_rejected(
    issuer: DevIssuer, header: str | None, says: str
) -> None:
    with pytest.raises(TokenRejected, match=says):
        asyncio.run(_verifier(issuer).verify(header))


def test_dev_tokens_are_short_lived(issuer: DevIssuer) -> None:
    with pytest.raises(ValueError, match="short-lived"):
        issuer.mint("nurse-anna", ["nurse"], ["SE-C"], ttl_s=7 * 86400)


def test_the_staff_api_refuses_to_start_without_an_issuer_or_with_a_symmetric_algorithm() -> None:
    with pytest.raises(SettingsError, match="STAFF_OIDC_ISSUER is not set"):
        StaffSettings.from_env({})
    with pytest.raises(SettingsError, match="asymmetric"):
        StaffSettings.from_env({"STAFF_OIDC_ISSUER": "https://idp", "STAFF_OIDC_ALGORITHMS": "HS256"})
