"""Sampling the queue worker with py-spy while the load runs (the ``bench`` extra installs it)."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

_FORMATS = {".txt": "raw", ".svg": "flamegraph", ".json": "speedscope"}


@contextmanager
def py_spy_record(pid: int | None, path: Path, note: dict[str, Any], rate_hz: int = 200) -> Iterator[None]:
    """Run ``py-spy record`` against ``pid`` until the block ends; note where the output went."""
    exe = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    if pid is None or not os.path.exists(exe):
        raise ValueError(
            "py-spy not found: install it with  .venv/bin/pip install -c constraints.txt -e '.[bench]'"
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    fmt = _FORMATS.get(path.suffix, "raw")
    proc = subprocess.Popen(
        [
            exe,
            "record",
            "--pid",
            str(pid),
            "--rate",
            str(rate_hz),
            "--format",
            fmt,
            "--output",
            str(path),
            "--nonblocking",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        yield
    finally:
        proc.send_signal(signal.SIGINT)  # py-spy writes its output on SIGINT
        try:
            output = proc.communicate(timeout=30)[0].decode(errors="replace")
        except subprocess.TimeoutExpired:
            proc.kill()
            output = proc.communicate()[0].decode(errors="replace")
        note.update(
            {
                "py_spy_output": str(path),
                "format": fmt,
                "exit_code": proc.returncode,
                "log_tail": output[-500:],
            }
        )
