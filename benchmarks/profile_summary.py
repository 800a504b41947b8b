"""Where the time goes: a summary of a py-spy collapsed-stack file (``--format raw``).

    .venv/bin/python -m benchmarks.profile_summary var/queue-profile.txt [--top 25]

Prints the share of samples by package (the innermost frame's file), the functions with
the most self time, and the inclusive share of chosen frames of the hot path.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections import Counter

_FRAME = re.compile(r"^(?P<func>.*) \((?P<file>[^:()]+)(?::\d+)?\)$")
HOT_PATH = (
    "process (services/queue/worker.py",
    "decide (",
    "evolve (",
    "Decoder.decode",
    "send (services/queue/worker.py",
    "Sender._sender_routine",
    "StreamWriter.write",
    "encode (",
    "cloudevent_headers",
    "Stream.events",
    "Consumer.getmany",
    "_drain_messages",
    "Producer.send",
    "commit",
    "on_message",
)


def package(path: str) -> str:
    """A short owner name for a source file: the project module, or the third-party package."""
    if path.startswith(("services/", "proto/")):
        return path.rsplit("/", 1)[0]
    m = re.search(r"site-packages/([^/]+)", path)
    if m:
        return m.group(1).removesuffix(".py")
    if path.startswith("<frozen") or "/lib/python3" in path or "/" not in path:
        return "python stdlib"
    return path.split("/", 1)[0]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("path")
    p.add_argument("--top", type=int, default=20)
    a = p.parse_args(argv)
    self_time: Counter[str] = Counter()
    by_package: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    total = 0
    with open(a.path) as f:
        for line in f:
            stack, _, samples = line.rstrip("\n").rpartition(" ")
            if not stack:
                continue
            count = int(samples)
            total += count
            frames = stack.split(";")
            leaf = _FRAME.match(frames[-1])
            func, file = (leaf["func"], leaf["file"]) if leaf else (frames[-1], "?")
            self_time[f"{func} ({file})"] += count
            by_package[package(file)] += count
            joined = ";".join(frames)
            for key in HOT_PATH:
                if key in joined:
                    inclusive[key] += count
    if not total:
        print("no samples")
        return 1
    print(f"{total} samples")
    print("\nself time by package (innermost frame):")
    for name, n in by_package.most_common(a.top):
        print(f"  {n / total:6.1%}  {name}")
    print("\nfunctions with the most self time:")
    for name, n in self_time.most_common(a.top):
        print(f"  {n / total:6.1%}  {name}")
    print("\ninclusive share of hot-path frames:")
    for name, n in inclusive.most_common():
        print(f"  {n / total:6.1%}  {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
