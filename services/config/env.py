"""The one reader of the environment: every settings module reads its variables through it.

One error type (``SettingsError``) and one message form, ``NAME='value': expected <form>``, so a
bad setting says which variable and what to write instead. A variable that is unset or blank
takes its default; text settings are returned as given (``text``).
"""

from __future__ import annotations

import binascii
import builtins
from base64 import b64decode
from collections.abc import Callable, Iterable, Mapping
from typing import TypedDict, TypeVar, Unpack

N = TypeVar("N", int, float)

TRUE = ("1", "true", "yes", "on")
FALSE = ("0", "false", "no", "off")


class Bounds(TypedDict, total=False):
    """Where a number setting must lie, and the form its error message names."""

    minimum: float  # at least
    maximum: float  # at most
    above: float  # more than
    expected: str  # e.g. "a TCP port" (default: "a whole number" / "a number")


class SettingsError(ValueError):
    """A configuration value that is missing or malformed; the message names the variable and the
    form it expects."""


class EnvReader:
    """Typed reads of one environment mapping (``os.environ`` in production, a dict in tests)."""

    def __init__(self, env: Mapping[str, str]) -> None:
        self.env = env

    def text(self, name: str, default: str = "") -> str:
        """The value as given (a set but empty variable stays empty), else ``default``."""
        return self.env.get(name, default)

    def _raw(self, name: str) -> str:
        return self.env.get(name, "").strip()

    def int(self, name: str, default: builtins.int, **bounds: Unpack[Bounds]) -> builtins.int:
        """A whole number, ``default`` when unset or blank, within ``bounds``."""
        return self._number(name, builtins.int, default, "a whole number", bounds)

    def float(self, name: str, default: builtins.float, **bounds: Unpack[Bounds]) -> builtins.float:
        """A number, ``default`` when unset or blank, within ``bounds``."""
        return self._number(name, builtins.float, default, "a number", bounds)

    def _number(self, name: str, parse: Callable[[str], N], default: N, form: str, bounds: Bounds) -> N:
        raw = self._raw(name)
        expected = bounds.get("expected", form)
        try:
            value = parse(raw) if raw else default
        except ValueError:
            raise SettingsError(f"{name}={raw!r}: expected {expected}") from None
        shown = raw or str(value)
        if "above" in bounds and not value > bounds["above"]:
            raise SettingsError(f"{name}={shown!r}: expected {expected} greater than {bounds['above']:g}")
        minimum, maximum = bounds.get("minimum"), bounds.get("maximum")
        if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
            raise SettingsError(f"{name}={shown!r}: expected {expected} {_range(minimum, maximum)}")
        return value

    def base64(self, name: str, default: str) -> bytes:
        """Base64-encoded bytes (a key). Unlike numbers, a set but empty variable stays empty:
        a blank key must not fall back to a dev default."""
        raw = self.env.get(name, default)
        try:
            return b64decode(raw)
        except (binascii.Error, ValueError):
            raise SettingsError(f"{name}: expected base64 (e.g. `openssl rand -base64 32`)") from None

    def flag(self, name: str, default: bool) -> bool:
        """A yes/no switch: 1/true/yes/on or 0/false/no/off (any case); ``default`` when unset."""
        raw = self._raw(name).lower()
        if not raw:
            return default
        if raw in TRUE:
            return True
        if raw in FALSE:
            return False
        raise SettingsError(f"{name}={raw!r}: expected {'/'.join(TRUE)} or {'/'.join(FALSE)}")

    def choice(self, name: str, default: str, choices: Iterable[str], *, lower: bool = False) -> str:
        """One of ``choices`` (``default`` when unset or blank)."""
        raw = self._raw(name)
        value = (raw.lower() if lower else raw) or default
        allowed = tuple(choices)
        if value not in allowed:
            raise SettingsError(f"{name}={raw!r}: expected one of {', '.join(allowed)}")
        return value

    def csv(self, name: str) -> frozenset[str]:
        """A comma-separated set (blanks dropped); empty when unset."""
        return frozenset(part.strip() for part in self.env.get(name, "").split(",") if part.strip())


def _range(minimum: float | None, maximum: float | None) -> str:
    """The bounds as the error message names them (one of them is set)."""
    if minimum is not None and maximum is not None:
        return f"from {minimum:g} to {maximum:g}"
    return f">= {minimum:g}" if minimum is not None else f"<= {maximum:g}"
