"""``TRIAGE_PROPERTY_DEPTH`` scales the property tests' example counts (tests/support/property_depth.py)."""

from __future__ import annotations

import pytest

from tests.support.property_depth import VARIABLE, examples


def test_unset_or_blank_is_the_tests_own_count(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(VARIABLE, raising=False)
    assert examples(400) == 400
    monkeypatch.setenv(VARIABLE, " ")
    assert examples(400) == 400


def test_a_depth_multiplies_the_count(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(VARIABLE, "10")
    assert examples(300) == 3000


@pytest.mark.parametrize("raw", ["0", "-2", "deep", "1.5"])
def test_a_bad_depth_says_what_to_write(monkeypatch: pytest.MonkeyPatch, raw: str) -> None:
    monkeypatch.setenv(VARIABLE, raw)
    with pytest.raises(ValueError, match=rf"TRIAGE_PROPERTY_DEPTH='{raw}': expected a whole number >= 1"):
        examples(400)
