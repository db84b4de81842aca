"""An organisation's week of hours as the pages' forms spell them: rows of a weekday, the
time it opens and the time it closes (``hours_field`` in ``templates/web/_place.html``).
The profile and the join form both read them here; a day may have several rows, and a
row left empty is dropped.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from typing import Any, Protocol

from services.api.core.types import WeeklyWindow
from services.api.web.setup_forms import MESSAGES, FormError

MESSAGE = MESSAGES["windows"]
NONE_GIVEN = "give at least one day and its hours"
MAX_ROWS = 50
TIME = re.compile(r"([01][0-9]|2[0-3]):[0-5][0-9]")


def form_rows(form: Any) -> list[dict[str, str]]:
    """The rows the form sent, bounded."""
    days = form.getall("window_day", [])
    opens = form.getall("window_opens", [])
    closes = form.getall("window_closes", [])
    return [
        {"weekday": str(d)[:1], "opens": str(o)[:5], "closes": str(c)[:5]}
        for d, o, c in list(zip(days, opens, closes, strict=False))[:MAX_ROWS]
    ]


def read_windows(rows: Iterable[dict[str, str]], *, required: bool) -> list[WeeklyWindow]:
    """The week the rows give, or ``FormError`` on ``windows`` when a row can't be read
    (or, when ``required``, none was given). Overlaps are the caller's struct's to refuse."""
    windows = []
    for row in rows:
        if not (row["opens"] or row["closes"]):
            continue
        if not (
            len(row["weekday"]) == 1
            and row["weekday"] in "1234567"
            and TIME.fullmatch(row["opens"])
            and TIME.fullmatch(row["closes"])
        ):
            raise FormError({"windows": MESSAGE})
        try:
            windows.append(
                WeeklyWindow(
                    weekday=int(row["weekday"]),
                    opens=dt.time.fromisoformat(row["opens"]),
                    closes=dt.time.fromisoformat(row["closes"]),
                )
            )
        except ValueError:
            raise FormError({"windows": MESSAGE}) from None
    if required and not windows:
        raise FormError({"windows": NONE_GIVEN})
    return windows


class Window(Protocol):
    @property
    def weekday(self) -> int: ...
    @property
    def opens(self) -> dt.time: ...
    @property
    def closes(self) -> dt.time: ...


def window_rows(windows: Iterable[Window]) -> list[dict[str, str]]:
    """The rows a form shows for ``windows``."""
    return [
        {
            "weekday": str(w.weekday),
            "opens": w.opens.strftime("%H:%M"),
            "closes": w.closes.strftime("%H:%M"),
        }
        for w in windows
    ]


def shown_rows(rows: Iterable[dict[str, str]], blank: int) -> list[dict[str, str]]:
    """The rows typed, then ``blank`` empty ones to add a day to."""
    typed = [row for row in rows if any(row.values())]
    return [*typed, *({"weekday": "", "opens": "", "closes": ""} for _ in range(blank))]
