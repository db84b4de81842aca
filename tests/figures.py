"""Figures the reliability tests measure, written into docs/reliability.md by the run.

A test asks for the ``figures`` fixture and records one line under its own key. When
``SAMLAST_FIGURES_TO`` names a Markdown file (``make reliability`` and ``make soak`` set
it), the session rewrites the block between the two markers in that file with what
this run recorded, so the page always shows the last run's own numbers.
"""

from __future__ import annotations

import datetime as dt
import os
import platform
import re
from pathlib import Path

START = "<!-- figures:start (written by the test run; do not edit by hand) -->"
END = "<!-- figures:end -->"


class Figures:
    def __init__(self) -> None:
        self.lines: dict[str, str] = {}

    def record(self, key: str, text: str) -> None:
        self.lines[key] = text

    def write(self, path: Path, command: str) -> None:
        if not self.lines:
            return
        page = path.read_text()
        if START not in page or END not in page:
            raise ValueError(f"{path} has no figures block ({START} ... {END})")
        block = "\n".join(
            [
                START,
                f"Last run: {dt.date.today().isoformat()}, `{command}`, "
                f"{os.cpu_count()} cores, Python {platform.python_version()}.",
                "",
                "| test | figures |",
                "|---|---|",
                *(f"| `{key}` | {text} |" for key, text in sorted(self.lines.items())),
                END,
            ]
        )
        pattern = re.escape(START) + r".*?" + re.escape(END)
        path.write_text(re.sub(pattern, lambda _: block, page, flags=re.DOTALL))


FIGURES = Figures()
