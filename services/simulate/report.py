"""The simulator's terminal table (rich) and its JSON file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
from rich.console import Console
from rich.table import Table

from services.queue_model.frames import URGENCIES, format_duration


def table(summary: dict[str, Any], title: str) -> Table:
    """One row per region and urgency: patients, p50/p90/max wait, share within the frame."""
    t = Table(title=title, show_lines=False)
    for col, justify in (
        ("region", "left"),
        ("prio", "right"),
        ("patients", "right"),
        ("p50", "right"),
        ("p90", "right"),
        ("max", "right"),
        ("frame", "right"),
        ("within", "right"),
        ("unserved", "right"),
    ):
        t.add_column(col, justify=justify)  # type: ignore[arg-type]
    for region, r in summary["regions"].items():
        for u in URGENCIES:
            row = r["urgency"][str(u)]
            if not row["patients"]:
                continue
            share = row["within_frame"]
            style = "red" if share < summary.get("target", {}).get(str(u), 0.0) else ""
            t.add_row(
                region if u == min(int(k) for k, v in r["urgency"].items() if v["patients"]) else "",
                str(u),
                str(row["patients"]),
                format_duration(row["p50_s"]),
                format_duration(row["p90_s"]),
                format_duration(row["max_s"]),
                format_duration(row["frame_s"]),
                f"[{style}]{share:.1%}[/]" if style else f"{share:.1%}",
                str(row["unserved"]) or "",
            )
        t.add_section()
    return t


def print_table(summary: dict[str, Any], title: str, console: Console | None = None) -> None:
    """Print the table to the terminal."""
    (console or Console()).print(table(summary, title))


def write_json(summary: dict[str, Any], path: Path) -> Path:
    """Write the whole summary (per region and urgency, depth per hour) as JSON."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(orjson.dumps(summary, option=orjson.OPT_INDENT_2))
    return path
