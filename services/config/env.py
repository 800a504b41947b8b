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
from typing import TypeVar

N = TypeVar("N", int, float)

TRUE = ("1", "true", "yes", "on")
FALSE = ("0", "false", "no", "off")


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

    def int(
        self,
        name: str,
        default: builtins.int,
        *,
        minimum: builtins.int | None = None,
        maximum: builtins.int | None = None,
        expected: str = "a whole number",
    ) -> builtins.int:
        """A whole number, ``default`` when unset or blank, within ``minimum``..``maximum``."""
        value = self._number(name, builtins.int, default, expected)
        self._check_range(name, value, minimum, maximum, expected)
        return value

    def float(
        self,
        name: str,
        default: builtins.float,
        *,
        minimum: builtins.float | None = None,
        above: builtins.float | None = None,
        expected: str = "a number",
    ) -> builtins.float:
        """A number, ``default`` when unset or blank; at least ``minimum`` / more than ``above``."""
        value = self._number(name, builtins.float, default, expected)
        if above is not None and not value > above:
            raise SettingsError(
                f"{name}={self._shown(name, value)!r}: expected {expected} greater than {above:g}"
            )
        self._check_range(name, value, minimum, None, expected)
        return value

    def _number(self, name: str, parse: Callable[[str], N], default: N, expected: str) -> N:
        raw = self._raw(name)
        try:
            return parse(raw) if raw else default
        except ValueError:
            raise SettingsError(f"{name}={raw!r}: expected {expected}") from None

    def _shown(self, name: str, value: builtins.float) -> str:
        return self._raw(name) or str(value)

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

    def _check_range(
        self,
        name: str,
        value: builtins.float,
        minimum: builtins.float | None,
        maximum: builtins.float | None,
        expected: str,
    ) -> None:
        low = minimum is not None and value < minimum
        high = maximum is not None and value > maximum
        if not (low or high):
            return
        if minimum is not None and maximum is not None:
            bounds = f"from {minimum:g} to {maximum:g}"
        else:
            bounds = f">= {minimum:g}" if minimum is not None else f"<= {maximum:g}"
        raise SettingsError(f"{name}={self._shown(name, value)!r}: expected {expected} {bounds}")
