"""Saving the plots the tools draw (load test, simulator, ETA report) in one way."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def save_figure(fig: Any, path: Path, dpi: int = 90) -> Path:
    """Lay ``fig`` out, write it to ``path`` (creating its folder) and free it; returns ``path``."""
    import matplotlib.pyplot as plt  # an optional extra: imported only by tools that plot

    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=dpi)
    plt.close(fig)
    return path
