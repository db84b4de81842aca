from __future__ import annotations

import datetime as dt
from typing import Literal
from uuid import UUID

import msgspec

from services.api.core.types import Grams, Input, Name, Text200
from shared.contracts.catalogue import CATEGORIES
from shared.errors import rule

Unit = Literal["kg", "l", "piece"]
Temperature = Literal["ambient", "chilled", "frozen"]


NOT_A_CATEGORY = rule("`category` must be empty or one of: {categories}")


class ProductIn(Input):
    name: Name
    unit: Unit
    grams_per_unit: Grams
    ml_per_unit: Grams
    temperature: Temperature = "ambient"
    category: Text200 = ""

    def __post_init__(self) -> None:
        if self.category and self.category not in CATEGORIES:
            raise ValueError(NOT_A_CATEGORY.format(categories=", ".join(CATEGORIES)))


class ProductOut(msgspec.Struct, kw_only=True):
    id: UUID
    network_id: UUID
    name: str
    category: str
    unit: Unit
    grams_per_unit: int
    ml_per_unit: int
    temperature: Temperature
    created_at: dt.datetime
    retired_at: dt.datetime | None = None
