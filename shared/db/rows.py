"""The one way a database row becomes a struct: by column name, checked by msgspec.

A struct's fields are read from the row's columns of the same name (columns the struct
lacks are ignored); what is not a plain column (a nested location, a computed flag)
is given by keyword and wins over a column of that name.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

import asyncpg
import msgspec

T = TypeVar("T", bound=msgspec.Struct)


def as_struct(row: asyncpg.Record | Mapping[str, Any], cls: type[T], **computed: Any) -> T:
    return msgspec.convert({**dict(row.items()), **computed}, cls)
