"""The optional packages ``triage loadgen`` needs for its report (the ``loadgen`` extra).

The services' image carries none of them (about 170 MB of plotting libraries), so loadgen
checks for them before it starts and says what to install instead of failing half-way.
"""

from __future__ import annotations

import importlib.util

LOADGEN_MODULES = {"rich": "progress bar and result table", "matplotlib": "the PNG plot"}


class MissingExtra(RuntimeError):
    """A package of the ``loadgen`` extra is not installed."""


def require_loadgen_extra() -> None:
    """Raise MissingExtra naming what is missing and the install command."""
    missing = [f"{m} ({why})" for m, why in LOADGEN_MODULES.items() if importlib.util.find_spec(m) is None]
    if missing:
        raise MissingExtra(
            f"triage loadgen needs the loadgen extra, missing: {', '.join(missing)}. Install it with "
            "`pip install -e '.[loadgen]'` in a checkout (or `make test`, which installs every extra)"
        )
