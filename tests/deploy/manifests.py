"""Rendering the kustomize overlays and looking things up in the result (test support)."""

from __future__ import annotations

import functools
import importlib.util
import os
import shlex
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "deploy" / "k8s"
OVERLAYS = ("dev", "prod")
SCHEMAS = Path(__file__).resolve().parent / "schemas"
KUBERNETES_VERSION = "1.37.0"  # newest the pinned kubernetes-validate knows
Doc = dict[str, Any]


@functools.cache
def kustomize_command() -> tuple[str, ...]:
    """The command that renders a kustomization (installs one if the machine has none)."""
    env = {**os.environ, "VENV_BIN": str(Path(sys.executable).parent)}
    out = subprocess.run(
        [str(K8S / "ensure-kustomize.sh")], capture_output=True, text=True, env=env, timeout=600
    )
    if out.returncode != 0:
        raise RuntimeError(f"deploy/k8s/ensure-kustomize.sh found no kustomize v5: {out.stderr}")
    return tuple(shlex.split(out.stdout.strip()))


def render_dir(path: Path) -> list[Doc]:
    """Render a kustomization directory into its documents; a failure shows kustomize's error."""
    out = subprocess.run([*kustomize_command(), str(path)], capture_output=True, text=True, timeout=120)
    if out.returncode != 0:
        raise AssertionError(f"kustomize failed for {path.relative_to(ROOT)}:\n{out.stderr}")
    return [d for d in yaml.safe_load_all(out.stdout) if d]


@functools.cache
def rendered(overlay: str) -> tuple[Doc, ...]:
    """The documents of one overlay, rendered once per test session."""
    return tuple(render_dir(K8S / "overlays" / overlay))


def of_kind(docs: tuple[Doc, ...] | list[Doc], kind: str) -> list[Doc]:
    return [d for d in docs if d["kind"] == kind]


def named(docs: tuple[Doc, ...] | list[Doc], kind: str, name: str) -> Doc:
    for d in docs:
        if d["kind"] == kind and d["metadata"]["name"] == name:
            return d
    raise AssertionError(f"no {kind} named {name!r} in the rendered manifests")


def pod_spec(workload: Doc) -> Doc:
    return workload["spec"]["template"]["spec"]


def selects(selector: Doc, labels: dict[str, str]) -> bool:
    """Kubernetes label-selector semantics (matchLabels AND matchExpressions)."""
    if any(labels.get(k) != v for k, v in selector.get("matchLabels", {}).items()):
        return False
    for expr in selector.get("matchExpressions", []):
        key, op, values = expr["key"], expr["operator"], expr.get("values", [])
        ok = {
            "In": key in labels and labels[key] in values,
            "NotIn": labels.get(key) not in values,
            "Exists": key in labels,
            "DoesNotExist": key not in labels,
        }[op]
        if not ok:
            return False
    return True


@functools.cache
def crd_schema(api_version: str, kind: str) -> Doc:
    """The vendored openAPIV3Schema for a custom resource kind (see schemas/README.md)."""
    group, version = api_version.split("/")
    path = SCHEMAS / f"{group}_{version}_{kind}.yaml"
    if not path.is_file():
        raise AssertionError(f"no vendored schema for {api_version} {kind}: expected {path}")
    return yaml.safe_load(path.read_text(encoding="utf-8"))["openAPIV3Schema"]


def load_generator() -> ModuleType:
    """deploy/k8s/generate.py as a module (deploy/ is not a package)."""
    spec = importlib.util.spec_from_file_location("k8s_generate", K8S / "generate.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("k8s_generate", module)
    spec.loader.exec_module(module)
    return module
