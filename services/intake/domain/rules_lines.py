"""Where tables and keys are in a TOML text: enough to name the line of a rules-file problem.

``tomllib`` keeps no positions, so the rules loader asks this small scan instead.
"""

from __future__ import annotations

import re

_HEADER = re.compile(r"^\s*(\[\[?)\s*([A-Za-z0-9_.\"-]+)\s*\]\]?")


class SourceLines:
    """Where tables and keys are in the text: enough to name the line of a problem."""

    def __init__(self, text: str) -> None:
        self.lines = text.splitlines()
        self.rule_headers: list[int] = []
        self.tables: dict[str, int] = {}
        for no, line in enumerate(self.lines, start=1):
            m = _HEADER.match(line)
            if not m:
                continue
            if m.group(1) == "[[" and m.group(2) == "rules":
                self.rule_headers.append(no)
            elif m.group(1) == "[":
                self.tables.setdefault(m.group(2).replace('"', ""), no)

    def rule(self, index: int) -> int:
        return self.rule_headers[index] if index < len(self.rule_headers) else 0

    def key_in_rule(self, index: int, key: str) -> int:
        start = self.rule(index)
        end = self.rule_headers[index + 1] if index + 1 < len(self.rule_headers) else len(self.lines) + 1
        pattern = re.compile(rf"^\s*{re.escape(key)}\s*[=.]")
        for no in range(start, end):
            if pattern.match(self.lines[no - 1]):
                return no
        return start

    def symptom(self, name: str, key: str = "") -> int:
        start = self.tables.get(f"symptoms.{name}", 0)
        if key and start:
            pattern = re.compile(rf"^\s*{re.escape(key)}\s*[=.]")
            for no in range(start, len(self.lines) + 1):
                if pattern.match(self.lines[no - 1]):
                    return no
                if no > start and _HEADER.match(self.lines[no - 1]):
                    break
        return start
