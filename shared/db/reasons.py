"""Why something between deployments is where it is (a hold, an order to a peer, a run
matched again without a peer): a stable code for API clients, and a msgid with the values
that fill it, stored apart so each page says it in its own language."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import asyncpg
import msgspec

from shared.errors import Phrase


class Reason(msgspec.Struct, frozen=True):
    """A code, and a msgid with its values. A value may itself be a reason's msgid and
    values (``{"message", "values"}``): the failure a retry follows, the peer's refusal
    a run was matched again for."""

    code: str
    message: str
    values: dict[str, Any] = msgspec.field(default_factory=dict)

    def english(self) -> str:
        return str(self.phrase())

    def phrase(self) -> Phrase:
        return reason_phrase(self.message, self.values)

    def said(self) -> dict[str, Any]:
        """As a value of another reason."""
        return {"message": self.message, "values": msgspec.to_builtins(self.values)}


NO_REASON = Reason("", "")


def reason_phrase(message: str, values: Mapping[str, Any] | None) -> Phrase:
    """A stored reason as a Phrase (``i18n.translate`` says its values in the reader's
    language too); its msgid as it is when the values do not fit it (a reason stored
    before its codes, or a peer's words with braces in them)."""
    said = {
        name: reason_phrase(value["message"], value.get("values"))
        if isinstance(value, dict)
        else value
        for name, value in (values or {}).items()
    }
    try:
        return Phrase(message, said)
    except (KeyError, IndexError, ValueError):
        return Phrase(message)


def phrased(row: asyncpg.Record, column: str = "reason") -> dict[str, Any]:
    """A stored row for a page, its ``column`` (and ``{column}_values``) as a Phrase."""
    return {**dict(row.items()), column: reason_phrase(row[column], row[f"{column}_values"])}
