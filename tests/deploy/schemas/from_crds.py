"""Extract the openAPIV3Schema of every served version from CRD YAML files into this folder.

Usage: python tests/deploy/schemas/from_crds.py CRD_BUNDLE.yaml [...]
Writes ``<group>_<version>_<Kind>.yaml`` next to this script, with the source file noted.
"""

from __future__ import annotations

import sys
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent


def extract(bundle: Path) -> list[Path]:
    """Write one schema file per served version of each CRD in ``bundle``."""
    written = []
    for doc in yaml.safe_load_all(bundle.read_text(encoding="utf-8")):
        if not doc or doc.get("kind") != "CustomResourceDefinition":
            continue
        spec = doc["spec"]
        for version in spec["versions"]:
            if not version.get("served"):
                continue
            out = HERE / f"{spec['group']}_{version['name']}_{spec['names']['kind']}.yaml"
            out.write_text(
                yaml.safe_dump(
                    {
                        "source": f"{bundle.name} (upstream CRD, extracted by from_crds.py)",
                        "apiVersion": f"{spec['group']}/{version['name']}",
                        "kind": spec["names"]["kind"],
                        "openAPIV3Schema": version["schema"]["openAPIV3Schema"],
                    },
                    sort_keys=False,
                ),
                encoding="utf-8",
            )
            written.append(out)
    return written


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    for path in sys.argv[1:]:
        for out in extract(Path(path)):
            print(out)
