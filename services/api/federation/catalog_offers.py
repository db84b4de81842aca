"""An offer as a DFC catalog shows it, the same for the DFC export
(``GET /v1/producers/{id}/dfc/catalog``) and for the feed a peer polls
(``GET /federation/v1/catalog``): they differ only in the pickup place they may show."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from uuid import UUID

import asyncpg

from services.matcher.engine.federation.catalog import CatalogOffer, Place
from services.matcher.engine.settlement.vat import (
    SWEDISH_RATES,
    NoRateError,
    VatRule,
    merged,
    rate_on,
    vat_class_of,
)
from shared.contracts.catalogue import CATEGORY_VAT_CLASS
from shared.db import invoices as invoices_db
from shared.db.pool import Conn


def catalog_offer(
    row: asyncpg.Record, vat_rate_bp: int | None, pickup: Place | None
) -> CatalogOffer:
    """An offer row (``select_catalog_offers``, ``select_feed_offers``) as the catalog
    shows it, with its VAT rate and the pickup place its reader may see."""
    return CatalogOffer(
        offer_id=row["id"],
        product=row["product"],
        unit=row["unit"],
        category=row["category"],
        note=row["note"],
        pack_units=row["pack_units"],
        packs=row["packs"],
        price_per_pack_ore=row["price_per_pack_ore"],
        vat_rate_bp=vat_rate_bp,
        currency=row["currency"],
        valid_from=row["valid_from"],
        valid_until=row["valid_until"],
        pickup=pickup,
    )


def offer_vat(row: asyncpg.Record, rules: Sequence[VatRule], today: dt.date) -> int | None:
    """The offer's VAT rate on its first day on sale from today."""
    return vat_rate(rules, row["category"], max(today, row["valid_from"]))


def exact_pickup(row: asyncpg.Record) -> Place:
    return Place(lat=row["pickup_lat"], lon=row["pickup_lon"], address=row["pickup_address"])


def vat_rate(rules: Sequence[VatRule], category: str, day: dt.date) -> int | None:
    """The VAT rate of a category on a day, None where the rules give none."""
    try:
        return rate_on(rules, vat_class_of(category, CATEGORY_VAT_CLASS), day)
    except NoRateError:
        return None


async def vat_rules(conn: Conn, networks: set[UUID]) -> dict[UUID, tuple[VatRule, ...]]:
    """Each network's VAT rules: Sweden's, with the network's own rates over them."""
    rules = {}
    for network in networks:
        own = [
            VatRule(
                vat_class=row["vat_class"],
                effective_from=row["effective_from"],
                rate_bp=row["rate_bp"],
            )
            for row in await invoices_db.select_vat_rates(conn, network)
        ]
        rules[network] = tuple(merged(SWEDISH_RATES, own))
    return rules
