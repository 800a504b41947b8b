"""The distributions an install of the project with given extras pulls in, and their size.

Computed from pyproject.toml and the installed packages' metadata (the test venv holds every
extra), so the image's dependency set can be checked without a Docker engine:
``python -m tests.deploy.image_deps`` prints the runtime set against runtime + every extra.
"""

from __future__ import annotations

import importlib.metadata as md
import sys
import tomllib

from packaging.markers import default_environment
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from tests.deploy.manifests import ROOT

# Markers evaluated for the image's platform (python:3.11-slim-bookworm on x86_64).
IMAGE_ENV = {
    **default_environment(),
    "python_version": "3.11",
    "sys_platform": "linux",
    "platform_machine": "x86_64",
    "platform_system": "Linux",
}


def project() -> dict[str, object]:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]  # type: ignore[no-any-return]


def closure(extras: tuple[str, ...] = ()) -> set[str]:
    """Canonical names of every distribution ``pip install .[extras]`` installs (not the project)."""
    meta = project()
    own = canonicalize_name(str(meta["name"]))
    optional: dict[str, list[str]] = meta.get("optional-dependencies", {})  # type: ignore[assignment]
    pending = [Requirement(r) for r in meta["dependencies"]]  # type: ignore[attr-defined]
    for extra in extras:
        pending += [Requirement(r) for r in optional[extra]]
    seen: set[str] = set()
    while pending:
        req = pending.pop()
        name = canonicalize_name(req.name)
        if req.marker and not req.marker.evaluate({**IMAGE_ENV, "extra": ""}):
            continue
        if name == own:  # a self-referencing extra such as test = ["...[dev,loadgen]"]
            for extra in req.extras:
                pending += [Requirement(r) for r in optional[extra]]
            continue
        if name in seen:
            continue
        seen.add(name)
        for raw in md.distribution(req.name).requires or []:
            sub = Requirement(raw)
            if not sub.marker or any(
                sub.marker.evaluate({**IMAGE_ENV, "extra": e}) for e in ("", *req.extras)
            ):
                pending.append(Requirement(str(sub).split(";")[0]))
    return seen


def installed_bytes(names: set[str]) -> int:
    """Bytes on disk of these installed distributions (files listed in their RECORD)."""
    total = 0
    for name in names:
        for f in md.distribution(name).files or []:
            path = f.locate()
            total += path.stat().st_size if path.is_file() else 0
    return total


def main() -> None:
    runtime = closure()
    everything = closure(("dev", "loadgen", "test"))
    print(
        f"image (runtime only): {len(runtime)} distributions, {installed_bytes(runtime) / 1e6:.0f} MB installed"
    )
    print(
        f"runtime + dev, loadgen and test: {len(everything)} distributions, {installed_bytes(everything) / 1e6:.0f} MB"
    )
    print("not in the image:", " ".join(sorted(everything - runtime)))


if __name__ == "__main__":
    sys.exit(main())
