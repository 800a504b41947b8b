"""The import contract (pyproject.toml, `make lint`) catches a service importing another.

Each test copies services/, proto/ and pyproject.toml to a temporary directory, adds one
import, and runs lint-imports there: the contract must break for the right reason.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")
WIRE = "Services import no other service (only proto/, the shared libraries and the queue's pure core)"
PROTO = "The wire contract (proto/) imports no service"
CYCLES = "No import cycles between sibling modules (services/ and proto/)"


@pytest.fixture()
def project(tmp_path: Path) -> Path:
    for package in ("services", "proto"):
        shutil.copytree(
            ROOT / package,
            tmp_path / package,
            ignore=shutil.ignore_patterns("__pycache__", "*.toml", "*.yaml"),
        )
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def _lint_imports(project: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", "--no-logo"],
        cwd=project,
        env={"PYTHONPATH": str(project), "PATH": str(LINT_IMPORTS.parent), "COLUMNS": "400"},
        capture_output=True,
        text=True,
        timeout=120,
    )


def _add(project: Path, module: str, code: str) -> None:
    path = project / (module.replace(".", "/") + ".py")
    path.parent.mkdir(parents=True, exist_ok=True)
    for parent in path.relative_to(project).parents:
        if parent != Path(".") and not (project / parent / "__init__.py").exists():
            (project / parent / "__init__.py").write_text("")
    path.write_text(code, encoding="utf-8")


def _broken(result: subprocess.CompletedProcess[str]) -> set[str]:
    """The names of the broken contracts."""
    return {line.partition(" BROKEN")[0] for line in result.stdout.splitlines() if " BROKEN" in line}


def test_the_copied_project_keeps_every_contract(project: Path) -> None:
    result = _lint_imports(project)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Contracts: 4 kept, 0 broken." in result.stdout


def test_a_service_importing_another_service_breaks_the_contract(project: Path) -> None:
    _add(project, "services.intake.reach_over", "from services.notifier.settings import NotifierSettings\n")
    result = _lint_imports(project)
    assert result.returncode != 0
    assert "services.intake.reach_over -> services.notifier.settings" in result.stdout
    assert _broken(result) == {WIRE}


def test_an_import_inside_a_function_counts_too(project: Path) -> None:
    _add(
        project,
        "services.staff.late_import",
        "def f() -> object:\n    from services.intake import settings\n\n    return settings\n",
    )
    result = _lint_imports(project)
    assert result.returncode != 0
    assert "services.staff.late_import -> services.intake.settings" in result.stdout
    assert _broken(result) == {WIRE}


def test_a_new_service_folder_is_covered_without_editing_the_contract(project: Path) -> None:
    _add(project, "services.brand_new.worker", "import services.queue.runtime\n")
    result = _lint_imports(project)
    assert result.returncode != 0
    assert "services.brand_new.worker -> services.queue.runtime" in result.stdout
    assert _broken(result) == {WIRE}


def test_only_the_queues_pure_core_is_importable_from_outside_the_queue(project: Path) -> None:
    _add(
        project,
        "services.forecast.peek",
        "from services.queue.domain import state\nimport services.queue.views\n",
    )
    result = _lint_imports(project)
    assert result.returncode != 0
    assert "services.forecast.peek -> services.queue.views" in result.stdout
    assert "services.forecast.peek -> services.queue.domain.state" not in result.stdout


def test_a_shared_library_importing_a_service_breaks_the_contract(project: Path) -> None:
    _add(project, "services.kafka.upward", "from services.intake import settings\n")
    result = _lint_imports(project)
    assert result.returncode != 0
    assert "services.kafka.upward -> services.intake.settings" in result.stdout
    assert WIRE in _broken(result)  # (and a cycle: intake's settings import kafka's)


def test_proto_importing_a_service_breaks_the_contract(project: Path) -> None:
    _add(project, "proto.upward", "import services.intake.settings\n")
    result = _lint_imports(project)
    assert result.returncode != 0
    assert "proto.upward -> services.intake.settings" in result.stdout
    assert _broken(result) == {PROTO}


def test_an_import_cycle_between_sibling_modules_breaks_the_contract(project: Path) -> None:
    _add(project, "services.notifier.ping", "from services.notifier import pong\n")
    _add(project, "services.notifier.pong", "from services.notifier import ping\n")
    result = _lint_imports(project)
    assert result.returncode != 0
    assert _broken(result) == {CYCLES}, result.stdout
