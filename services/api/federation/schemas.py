from __future__ import annotations

import datetime as dt
from typing import Annotated, Any
from uuid import UUID

import msgspec
from litestar.openapi.datastructures import ResponseSpec
from msgspec import Meta

from services.api.core.types import Input, Location, Packs, Text200

CatalogUrl = Annotated[
    str,
    Meta(
        max_length=2000,
        pattern=r"^https?://[^\s]+$",
        description="where to fetch the DFC catalog (JSON-LD) from: http or https, a public host",
    ),
]


class DfcImportIn(Input):
    """A DFC catalog to read into the producer's offers: ``catalog`` (the JSON-LD document
    itself) or ``url`` (where to fetch it), not both."""

    network_id: Annotated[
        UUID | None, Meta(description="the network to list the offers in (or give `cycle_id`)")
    ] = None
    cycle_id: Annotated[
        UUID | None,
        Meta(description="an open cycle: its network, and its delivery day as the offers' days"),
    ] = None
    valid_from: Annotated[
        dt.date | None, Meta(description="first day of the offers; default: the catalog's")
    ] = None
    valid_until: Annotated[
        dt.date | None, Meta(description="last day of the offers; default: the catalog's")
    ] = None
    catalog: Annotated[
        dict[str, Any] | list[Any] | None, Meta(description="the DFC catalog, JSON-LD")
    ] = None
    url: CatalogUrl | None = None
    products: Annotated[
        dict[Text200, UUID | None],
        Meta(
            max_length=2000,
            description=(
                "a catalog item's name, sku or @id → the catalogue product it is (null: "
                "leave it out); items not named here are matched by name"
            ),
        ),
    ] = msgspec.field(default_factory=dict)
    packs_when_unlimited: Annotated[
        Packs | None, Meta(description="packs to offer of an item the catalog sells on demand")
    ] = None
    pickup: Annotated[
        Location | None,
        Meta(description="where items the catalog gives no place for are picked up"),
    ] = None

    def __post_init__(self) -> None:
        if (self.catalog is None) == (self.url is None):
            raise ValueError("send the catalog as `catalog` or its address as `url` (one)")
        if (self.network_id is None) == (self.cycle_id is None):
            raise ValueError("name the network (`network_id`) or an open cycle (`cycle_id`)")
        if self.valid_from and self.valid_until and self.valid_from > self.valid_until:
            raise ValueError("`valid_from` is after `valid_until`")


class SkippedItem(msgspec.Struct, kw_only=True):
    item: str
    name: str
    reason: str


class DfcImportOut(msgspec.Struct, kw_only=True):
    created: int
    # offers an earlier import of the same items posted for the same days, brought up
    # to date (price, stock, place, note)
    updated: int
    ids: list[UUID]  # the created, then the updated
    skipped: list[SkippedItem]
    dfc_version: str


JSON_LD = "application/ld+json"


class DfcDocument(msgspec.Struct, kw_only=True):
    """A DFC JSON-LD document as we send it (documentation only: the body is written by
    ``shared/federation``): its context and its nodes, each with ``@id`` and ``@type``."""

    context: str = msgspec.field(name="@context")
    graph: list[dict[str, Any]] = msgspec.field(name="@graph")


def dfc_document(description: str) -> dict[int, ResponseSpec]:
    """The 200 answer of a route that sends a DFC document, for OpenAPI: JSON-LD, an
    object with ``@context`` and ``@graph`` (the route sends bytes, which OpenAPI would
    otherwise call a string)."""
    return {
        200: ResponseSpec(
            data_container=DfcDocument,
            generate_examples=False,
            media_type=JSON_LD,
            description=description,
        )
    }
