"""The API's run answers say what the engine computed, field for field."""

from __future__ import annotations

import msgspec

from services.api.runs.schemas import (
    UnfilledOut,
)
from services.matcher.engine import Shortfall, Summary
from shared.contracts.runs import RunSummary


def _names(struct: type[msgspec.Struct]) -> list[str]:
    return [field.name for field in msgspec.structs.fields(struct)]


def test_the_run_summary_has_every_field_of_the_engine_summary() -> None:
    assert _names(RunSummary) == _names(Summary)


def test_an_unfilled_line_carries_every_detail_of_the_engine_shortfall() -> None:
    details = set(_names(Shortfall)) - {"line_id"}
    assert details <= set(_names(UnfilledOut))
