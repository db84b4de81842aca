"""Figures the reliability tests measure, written into docs/reliability.md by the run.

A test asks for the ``figures`` fixture and records one line under its own key. When
``SAMLAST_FIGURES_TO`` names a Markdown file (``make reliability`` and ``make soak`` set
it, and ``SAMLAST_FIGURES_COMMAND`` to their name), the session rewrites that
command's block, between its two markers, with what this run recorded, so the page
always shows each command's last run in its own numbers.
"""

from __future__ import annotations

import datetime as dt
import os
import platform
import re
from pathlib import Path


def markers(command: str) -> tuple[str, str]:
    return (
        f"<!-- figures of `{command}`: start (written by the run; do not edit by hand) -->",
        f"<!-- figures of `{command}`: end -->",
    )


class Figures:
    def __init__(self) -> None:
        self.lines: dict[str, str] = {}

    def record(self, key: str, text: str) -> None:
        self.lines[key] = text

    def write(self, path: Path, command: str) -> None:
        if not self.lines:
            return
        page = path.read_text()
        start, end = markers(command)
        if start not in page or end not in page:
            raise ValueError(f"{path} has no figures block ({start} ... {end})")
        block = "\n".join(
            [
                start,
                f"Last run: {dt.date.today().isoformat()}, `{command}`, "
                f"{os.cpu_count()} cores, Python {platform.python_version()}.",
                "",
                "| test | figures |",
                "|---|---|",
                *(f"| `{key}` | {text} |" for key, text in sorted(self.lines.items())),
                end,
            ]
        )
        pattern = re.escape(start) + r".*?" + re.escape(end)
        path.write_text(re.sub(pattern, lambda _: block, page, flags=re.DOTALL))


FIGURES = Figures()
