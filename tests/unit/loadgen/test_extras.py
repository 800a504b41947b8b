"""Without the loadgen extra, triage loadgen says what is missing and how to install it."""

from __future__ import annotations

import importlib.util

import pytest

from services.loadgen import extras


def test_a_missing_plotting_library_is_named_with_the_install_command(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    real = importlib.util.find_spec
    monkeypatch.setattr(
        extras.importlib.util, "find_spec", lambda name: None if name == "matplotlib" else real(name)
    )
    with pytest.raises(extras.MissingExtra) as caught:
        extras.require_loadgen_extra()
    message = str(caught.value)
    assert "matplotlib (the PNG plot)" in message and "rich" not in message.split("missing:")[1].split(".")[0]
    assert "pip install -e '.[loadgen]'" in message


def test_with_the_extra_installed_nothing_is_missing() -> None:
    extras.require_loadgen_extra()
