"""The README's configuration table lists every environment variable the code reads."""

from __future__ import annotations

import re

from tests.deploy.manifests import ROOT
from tests.deploy.settings_scan import names_read_in

# Quoted UPPER_SNAKE strings in the code that are not environment variables.
NOT_SETTINGS = {
    "BACKOFF_OVERRIDE",  # aiokafka's retry constant (services/queue/transactions.py)
    "DEFAULT_BOOTSTRAP",
    "EXCEPTION_HANDLERS",
    "PROBLEM_JSON",
    "READ_RESPONSES",
    "SASL_PLAINTEXT",
    "SASL_SSL",
}


def _read_by_the_code() -> set[str]:
    """Every variable the code in services/ and proto/ reads (tests/deploy/settings_scan.py)."""
    names: set[str] = set()
    for package in ("services", "proto"):
        for path in (ROOT / package).rglob("*.py"):
            names |= names_read_in(path.read_text(encoding="utf-8"))
    return names - NOT_SETTINGS


def _configuration_table() -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    start = readme.index("## Configuration (environment)")
    end = readme.find("\n## ", start + 1)
    return readme[start : end if end != -1 else None]


def test_every_environment_variable_the_code_reads_has_a_row_in_the_readme_configuration_table() -> None:
    read = _read_by_the_code()
    assert {"KAFKA_BOOTSTRAP_SERVERS", "KAFKA_SECURITY_PROTOCOL", "INTAKE_MAX_WAITING"} <= read, (
        "scan found nothing"
    )
    table = _configuration_table()
    missing = sorted(n for n in read if f"`{n}`" not in table)
    assert not missing, f"README.md '## Configuration (environment)' has no row for {missing}"


def test_the_readme_configuration_table_names_no_variable_the_code_does_not_read() -> None:
    documented = set(re.findall(r"`([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+)`", _configuration_table()))
    stale = sorted(
        documented - _read_by_the_code() - NOT_SETTINGS
    )  # values such as `SASL_SSL` are no settings
    assert not stale, f"README.md documents settings nothing reads: {stale}"


def test_every_name_listed_as_not_a_setting_still_occurs_in_the_code() -> None:
    text = "".join(
        p.read_text(encoding="utf-8") for pkg in ("services", "proto") for p in (ROOT / pkg).rglob("*.py")
    )
    assert all(f'"{n}"' in text or f"'{n}'" in text for n in NOT_SETTINGS)
