"""CSV exports keep spreadsheet formulas as text."""

from __future__ import annotations

import msgspec

from services.api.runs.documents import to_csv


class Row(msgspec.Struct):
    name: str
    units: int


def test_cells_a_spreadsheet_would_run_are_kept_as_text() -> None:
    text = to_csv([Row("=cmd|' /C calc'!A0", 3), Row("+46 18 12 34", -2), Row("Ekeby gård", 5)])
    assert text.splitlines() == [
        "name,units",
        "'=cmd|' /C calc'!A0,3",
        "'+46 18 12 34,-2",  # a number stays a number
        "Ekeby gård,5",
    ]
