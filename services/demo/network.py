"""The demo's network: Uppsala län, with real places and realistic products and packs.

Farms and co-ops are invented; their villages and neighbourhoods, and roughly their
coordinates, are real. Orders are generated from a fixed seed, so every demo run
tells the same story.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

SEED = 20261128
HUB = {"lat": 59.8470, "lon": 17.6790, "address": "Kungsängens gård, Uppsala"}


@dataclass(frozen=True)
class Place:
    name: str
    lat: float
    lon: float
    address: str


FARMS = [
    Place("Ekeby gård", 59.9126, 17.5203, "Ekeby 1, Bälinge"),
    Place("Lövsta trädgård", 60.0430, 17.7760, "Lövsta 4, Vattholma"),
    Place("Björklinge grönt", 60.0330, 17.5500, "Björklinge by 7"),
    Place("Storvreta mejeri", 59.9580, 17.7060, "Storvreta 12"),
    Place("Skyttorps potatis", 60.0790, 17.7410, "Skyttorp 3"),
    Place("Örsundsbro hönseri", 59.7340, 17.3090, "Örsundsbro 18"),
    Place("Knivsta kvarn", 59.7250, 17.7870, "Kvarnvägen 2, Knivsta"),
    Place("Alunda äppelgård", 60.0640, 18.0810, "Alunda 21"),
    Place("Gimo biodling", 60.1750, 18.1840, "Gimo bruk 5"),
    Place("Tierps grönsaker", 60.3450, 17.5150, "Tierp 40"),
    Place("Vänge lantbruk", 59.8320, 17.4260, "Vänge 9"),
    Place("Järlåsa ost", 59.8790, 17.2170, "Järlåsa 14"),
    Place("Funbo gård", 59.8560, 17.8570, "Funbo 2"),
    Place("Almunge odlarna", 59.8800, 18.0510, "Almunge 30"),
    Place("Rasbo kött och grönt", 59.9540, 17.8830, "Rasbo 6"),
    Place("Läby rotfrukter", 59.8890, 17.5070, "Läby 11"),
]

COOPS = [
    Place("Matkassen Luthagen", 59.8656, 17.6236, "Luthagsesplanaden 5, Uppsala"),
    Place("Svartbäckens matlag", 59.8700, 17.6460, "Svartbäcksgatan 40, Uppsala"),
    Place("Fålhagens kooperativ", 59.8540, 17.6560, "Väderkvarnsgatan 30, Uppsala"),
    Place("Kvarterskassen Sala backe", 59.8530, 17.6700, "Salabacke torg 2, Uppsala"),
    Place("Gottsunda matlag", 59.8130, 17.6290, "Gottsunda centrum, Uppsala"),
    Place("Eriksbergs inköpsklubb", 59.8420, 17.6000, "Eriksbergstorget, Uppsala"),
    Place("Gränby gröna kassen", 59.8760, 17.6750, "Gränbyvägen 10, Uppsala"),
    Place("Årsta matkollektiv", 59.8610, 17.6930, "Årsta torg, Uppsala"),
    Place("Sävja närmat", 59.8200, 17.7030, "Sävja centrum, Uppsala"),
    Place("Flogsta studentkassen", 59.8500, 17.5890, "Flogstavägen 1, Uppsala"),
    Place("Norby matförening", 59.8360, 17.6210, "Norbyvägen 60, Uppsala"),
    Place("Gamla Uppsala bondekassen", 59.8970, 17.6330, "Gamla Uppsala, Uppsala"),
    Place("Stenhagens matlag", 59.8480, 17.5760, "Stenhagens centrum, Uppsala"),
    Place("Enköpings matkassen", 59.6360, 17.0770, "Stora torget, Enköping"),
    Place("Knivsta inköpsförening", 59.7250, 17.7900, "Centralvägen 1, Knivsta"),
    Place("Östhammars matlag", 60.2580, 18.3710, "Rådhustorget, Östhammar"),
]


@dataclass(frozen=True)
class Product:
    name: str
    category: str
    unit: str
    grams_per_unit: int
    ml_per_unit: int
    temperature: str
    pack_units: tuple[int, ...]  # the pack sizes farms sell it in
    unit_price_ore: int  # a typical price per unit
    typical_order: int  # what one co-op orders per cycle, in units


PRODUCTS = [
    Product("Morötter", "rotfrukter", "kg", 1000, 1500, "ambient", (10, 20), 1400, 8),
    Product("Potatis", "rotfrukter", "kg", 1000, 1400, "ambient", (25,), 900, 12),
    Product("Gul lök", "rotfrukter", "kg", 1000, 1600, "ambient", (10,), 1800, 4),
    Product("Rödbetor", "rotfrukter", "kg", 1000, 1400, "ambient", (5, 10), 2000, 3),
    Product("Vitkål", "grönsaker", "kg", 1000, 2500, "ambient", (8,), 1600, 4),
    Product("Äpplen Aroma", "frukt", "kg", 1000, 1800, "ambient", (6, 12), 3200, 6),
    Product("Mjölk 3 %", "mejeri", "l", 1030, 1000, "chilled", (6, 12), 1500, 10),
    Product("Grädde", "mejeri", "l", 1010, 1000, "chilled", (6,), 5200, 2),
    Product("Ägg", "ägg", "piece", 62, 70, "chilled", (30, 180), 350, 36),
    Product("Havregryn", "spannmål", "kg", 1000, 2500, "ambient", (5, 20), 2600, 3),
    Product("Vetemjöl", "spannmål", "kg", 1000, 1800, "ambient", (10, 25), 1900, 5),
    Product("Honung", "skafferi", "piece", 500, 400, "ambient", (12,), 9500, 3),
]

# Which farm grows what (by index into PRODUCTS).
FARM_PRODUCTS = {
    "Ekeby gård": (0, 1, 2),
    "Lövsta trädgård": (0, 3, 4),
    "Björklinge grönt": (2, 3, 4),
    "Storvreta mejeri": (6, 7),
    "Skyttorps potatis": (1,),
    "Örsundsbro hönseri": (8,),
    "Knivsta kvarn": (9, 10),
    "Alunda äppelgård": (5,),
    "Gimo biodling": (11,),
    "Tierps grönsaker": (0, 1, 4),
    "Vänge lantbruk": (1, 10),
    "Järlåsa ost": (6, 7),
    "Funbo gård": (0, 3, 8),
    "Almunge odlarna": (2, 5),
    "Rasbo kött och grönt": (1, 4),
    "Läby rotfrukter": (0, 1, 3),
}


@dataclass(frozen=True)
class OfferSpec:
    product: Product
    pack_units: int
    packs_available: int
    price_per_pack_ore: int


@dataclass(frozen=True)
class OrderLine:
    product: Product
    firm_quantity: int
    tolerance: int
    max_unit_price_ore: int | None


def offers_of(farm: Place, rng: random.Random) -> list[OfferSpec]:
    """What one farm posts this week: a few packs of each thing it grows."""
    specs = []
    for index in FARM_PRODUCTS[farm.name]:
        product = PRODUCTS[index]
        pack_units = rng.choice(product.pack_units)
        demand = product.typical_order * len(COOPS)
        growers = sum(index in grown for grown in FARM_PRODUCTS.values())
        packs = max(1, round(demand / growers / pack_units * rng.uniform(0.6, 1.2)))
        price = round(product.unit_price_ore * pack_units * rng.uniform(0.85, 1.15))
        specs.append(OfferSpec(product, pack_units, packs, price))
    return specs


def order_of(coop: Place, rng: random.Random) -> list[OrderLine]:
    """A co-op's pooled order: most staples, each a little under or over a pack."""
    lines = []
    for product in rng.sample(PRODUCTS, k=rng.randint(6, 10)):
        firm = max(1, round(product.typical_order * rng.uniform(0.4, 1.6)))
        tolerance = rng.choice([0, 1, 2, max(1, firm // 4)])
        ceiling = rng.choice([None, None, round(product.unit_price_ore * rng.uniform(0.95, 1.3))])
        lines.append(OrderLine(product, firm, tolerance, ceiling))
    return lines
