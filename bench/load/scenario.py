"""The load bench's network, built through the API as a client would: a producer posting
under load, a seller whose offers co-ops list, co-ops with demand rounds to replace; and
the offer rows producers upload as spreadsheets."""

from __future__ import annotations

import asyncio
import csv
import datetime as dt
import io
import secrets
from dataclasses import dataclass
from typing import Any

from services.api.offers.upload import CSV_COLUMNS
from services.client import SamlastClient

CONNECTIONS = 64
WRK_THREADS = 2
RATE_LIMIT_PER_MINUTE = 10_000_000  # the default, 1,200, would answer 429 within a second
COOPS = 16
LISTED_OFFERS = 2_000  # in the network when the load starts, and again at every run
DEMAND_LINES = 200
PICKUP = (59.9126, 17.5203, "Ekeby 1, Uppsala")
WINDOW = (dt.time(7), dt.time(11))


@dataclass(frozen=True)
class World:
    """What the benchmark built through the API: one network, its members, an open cycle."""

    base: str
    network_id: str
    producer: str  # token of the producer that posts under load
    producer_id: str
    seller: str  # token of the producer whose LISTED_OFFERS the co-ops list
    products: dict[str, str]  # name -> id
    coops: list[tuple[str, str]]  # (token, demand round id)


async def build_world(base: str, admin_token: str) -> World:
    """Through the API as a client would: network, coordinator, a producer, co-ops with
    a demand round of DEMAND_LINES lines each, products, an open cycle."""
    async with SamlastClient(base, admin_token, timeout=60) as admin:

        async def member(
            kind: str, name: str, issuer: SamlastClient, place: tuple[float, float]
        ) -> tuple[str, SamlastClient]:
            body = {
                "kind": kind,
                "name": name,
                "network_ids": [network_id],
                "location": {"lat": place[0], "lon": place[1], "address": name},
            }
            organisation = await issuer.create_organisation(body)
            token = await issuer.issue_token(organisation["id"], label="bench")
            return str(organisation["id"]), issuer.as_(token)

        network = await admin.create_network(
            {
                "name": f"Bench {secrets.token_hex(3)}",
                "region": "Uppsala",
                "hub": {"lat": 59.8586, "lon": 17.6389, "address": "Boländerna"},
            }
        )
        network_id = str(network["id"])
        _, coordinator = await member("coordinator", "Samordning", admin, (59.8586, 17.6389))
        producer_id, producer = await member("producer", "Ekeby Gård", coordinator, PICKUP[:2])
        _, seller = await member("producer", "Lugnets Gård", coordinator, (59.93, 17.60))
        coops = await asyncio.gather(
            *(
                member("coop", f"Matkassen {n}", coordinator, (59.85 + n / 1000, 17.63))
                for n in range(COOPS)
            )
        )
        created = await asyncio.gather(
            *(
                coordinator.create_product(
                    network_id,
                    {
                        "name": f"Vara {n:03d}",
                        "unit": "kg",
                        "grams_per_unit": 1000,
                        "ml_per_unit": 1500,
                    },
                )
                for n in range(DEMAND_LINES)
            )
        )
        products = {str(item["name"]): str(item["id"]) for item in created}
        now = dt.datetime.now(dt.UTC)
        cycle = await coordinator.open_cycle(
            network_id,
            {
                "opens_at": (now - dt.timedelta(hours=1)).isoformat(),
                "closes_at": (now + dt.timedelta(days=2)).isoformat(),
                "delivery_date": (now + dt.timedelta(days=4)).date().isoformat(),
            },
        )
        lines = [{"product_id": pid, "firm_quantity": 10} for pid in products.values()]
        rounds = [await coop.submit_demand(cycle["id"], lines) for _, coop in coops]
    return World(
        base=base,
        network_id=network_id,
        producer=producer.token,
        producer_id=producer_id,
        seller=seller.token,
        products=products,
        coops=[(coop.token, str(rnd["id"])) for (_, coop), rnd in zip(coops, rounds, strict=True)],
    )


async def list_these(world: World) -> None:
    """The offers co-ops list under load: LISTED_OFFERS of the seller's, one upload."""
    names = list(world.products)
    batch = [bulk_row(n, world, names) for n in range(LISTED_OFFERS)]
    async with SamlastClient(world.base, world.seller, timeout=600) as seller:
        await seller.upload_offers_csv(offer_csv(batch))


def offer_columns(number: int, note: str) -> dict[str, Any]:
    """An offer's columns (as ``OFFER_COLUMNS`` names them, producer aside), all different."""
    today = dt.date.today()
    lat, lon, address = PICKUP
    return {
        "pack_units": 5 + number % 4 * 5,
        "packs_available": 1 + number % 40,
        "price_per_pack_ore": 9000 + number % 500 * 10,
        "valid_from": today,
        "valid_until": today + dt.timedelta(30),
        "pickup_lat": lat,
        "pickup_lon": lon,
        "pickup_address": address,
        "note": note,
    }


def bulk_row(number: int, world: World, products: list[str]) -> dict[str, Any]:
    """A CSV row as a producer's spreadsheet has it: the product by name, times as HH:MM."""
    return {
        **offer_columns(number, f"bulk offer {number}"),
        "network_id": world.network_id,
        "product": products[number % len(products)],
        "pickup_opens": WINDOW[0].strftime("%H:%M"),
        "pickup_closes": WINDOW[1].strftime("%H:%M"),
    }


def offer_csv(batch: list[dict[str, Any]]) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=sorted(CSV_COLUMNS))
    writer.writeheader()
    writer.writerows(batch)
    return out.getvalue().encode()
