"""The demo's walk through one cycle, through the public HTTP API only.

What a new network does in its first week: the admin creates the network and its
coordinating body; the coordinator adds a van, producers, co-ops and products, and
issues their tokens; producers post offers (one as a spreadsheet upload); the
coordinator opens a cycle; co-ops submit their members' pooled demand (one as CSV).
Every POST carries an ``Idempotency-Key``, as a careful client's would.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field
from typing import Any

import httpx

HUB = {"lat": 59.8586, "lon": 17.6389, "address": "Boländerna, Uppsala"}
PRODUCERS = [
    ("Ekeby Gård", 59.9126, 17.5203, "Ekeby 1, Uppsala"),
    ("Lövsta Trädgård", 59.8411, 17.8180, "Lövsta 4, Bälinge"),
]
COOPS = [
    ("Matkassen Luthagen", 59.8656, 17.6236, "Luthagsesplanaden 5"),
    ("Kvarterskassen Sala backe", 59.8530, 17.6700, "Salabacke torg 2"),
    ("Gottsunda matlag", 59.8130, 17.6290, "Gottsunda centrum"),
]
PRODUCTS = [
    {
        "name": "Morötter",
        "category": "roots",
        "unit": "kg",
        "grams_per_unit": 1000,
        "ml_per_unit": 1500,
    },
    {
        "name": "Potatis",
        "category": "roots",
        "unit": "kg",
        "grams_per_unit": 1000,
        "ml_per_unit": 1400,
    },
    {
        "name": "Mjölk",
        "category": "dairy",
        "unit": "l",
        "grams_per_unit": 1030,
        "ml_per_unit": 1000,
        "temperature": "chilled",
    },
]


@dataclass
class Walkthrough:
    """What the walk created, for the demo to print and later steps to build on."""

    network_id: str = ""
    cycle_id: str = ""
    coordinator_token: str = ""
    producers: int = 0
    coops: int = 0
    offers: int = 0
    demand_lines: int = 0
    products: dict[str, str] = field(default_factory=dict)


class ApiError(RuntimeError):
    """The API refused a step of the walk; the message carries its problem details."""


class ApiClient:
    """A thin HTTP client: bearer token, idempotent POSTs, errors with the server's words."""

    def __init__(self, base: str, token: str) -> None:
        self.http = httpx.Client(base_url=base, timeout=30)
        self.token = token

    def as_(self, token: str) -> ApiClient:
        return ApiClient(str(self.http.base_url), token)

    def call(self, method: str, path: str, **kwargs: Any) -> Any:
        headers = {"Authorization": f"Bearer {self.token}", **kwargs.pop("headers", {})}
        if method == "POST":
            headers.setdefault("Idempotency-Key", str(uuid.uuid4()))
        response = self.http.request(method, path, headers=headers, **kwargs)
        if response.is_error:
            raise ApiError(f"{method} {path} → {response.status_code}: {response.text}")
        return response.json() if response.content else None

    def close(self) -> None:
        self.http.close()


def walk_a_cycle(base: str, admin_token: str) -> Walkthrough:
    admin = ApiClient(base, admin_token)
    walk = Walkthrough()
    try:
        coordinator = _set_up_network(admin, walk)
        producers = [_member(coordinator, walk, "producer", *p) for p in PRODUCERS]
        coops = [_member(coordinator, walk, "coop", *c) for c in COOPS]
        _post_offers(producers, walk)
        _open_cycle(coordinator, walk)
        _submit_demand(coops, walk)
        for client in (coordinator, *producers, *coops):
            client.close()
    finally:
        admin.close()
    return walk


def _set_up_network(admin: ApiClient, walk: Walkthrough) -> ApiClient:
    stamp = uuid.uuid4().hex[:4]
    network = admin.call(
        "POST",
        "/v1/networks",
        json={"name": f"Uppsala län {stamp}", "region": "Uppsala", "hub": HUB},
    )
    walk.network_id = network["id"]
    body = {"kind": "coordinator", "name": "Uppsala samordning", "network_ids": [walk.network_id]}
    organisation = admin.call("POST", "/v1/organisations", json=body)
    walk.coordinator_token = _issue(admin, organisation["id"], "Sara, samordnare")
    coordinator = admin.as_(walk.coordinator_token)
    coordinator.call(
        "POST",
        f"/v1/networks/{walk.network_id}/vehicles",
        json={
            "name": "Kylbil 1",
            "capacity_grams": 900_000,
            "capacity_ml": 6_000_000,
            "cold_capable": True,
            "start": {"lat": HUB["lat"], "lon": HUB["lon"]},
            "cost_per_km_ore": 450,
            "cost_per_hour_ore": 30_000,
        },
    )
    for product in PRODUCTS:
        created = coordinator.call("POST", f"/v1/networks/{walk.network_id}/products", json=product)
        walk.products[str(product["name"])] = created["id"]
    return coordinator


def _member(
    coordinator: ApiClient,
    walk: Walkthrough,
    kind: str,
    name: str,
    lat: float,
    lon: float,
    address: str,
) -> ApiClient:
    organisation = coordinator.call(
        "POST",
        "/v1/organisations",
        json={
            "kind": kind,
            "name": name,
            "network_ids": [walk.network_id],
            "location": {"lat": lat, "lon": lon, "address": address},
            "windows": [{"weekday": 4, "opens": "07:00:00", "closes": "17:00:00"}],
        },
    )
    if kind == "producer":
        walk.producers += 1
    else:
        walk.coops += 1
    return coordinator.as_(_issue(coordinator, organisation["id"], f"{name} (demo)"))


def _issue(client: ApiClient, organisation_id: str, user_name: str) -> str:
    created = client.call(
        "POST",
        f"/v1/organisations/{organisation_id}/tokens",
        json={"label": "demo", "user_name": user_name},
    )
    return str(created["token"])


def _post_offers(producers: list[ApiClient], walk: Walkthrough) -> None:
    today = dt.date.today()
    until = today + dt.timedelta(days=30)
    ekeby, lovsta = producers
    for product, pack_units, packs, price in (("Morötter", 10, 8, 14_000), ("Mjölk", 6, 20, 9_000)):
        ekeby.call(
            "POST",
            "/v1/offers",
            json={
                "listings": [{"network_id": walk.network_id, "product_id": walk.products[product]}],
                "pack_units": pack_units,
                "packs_available": packs,
                "price_per_pack_ore": price,
                "valid_from": today.isoformat(),
                "valid_until": until.isoformat(),
                "pickup": {"lat": 59.9126, "lon": 17.5203, "address": "Ekeby 1"},
                "pickup_windows": [{"opens": "07:00:00", "closes": "11:00:00"}],
            },
        )
        walk.offers += 1
    csv = (
        "network_id,product,pack_units,packs_available,price_per_pack_ore,valid_from,"
        "valid_until,pickup_lat,pickup_lon,pickup_opens,pickup_closes\n"
        f"{walk.network_id},Potatis,25,10,22000,{today},{until},59.8411,17.8180,08:00,12:00\n"
        f"{walk.network_id},Morötter,5,6,7500,{today},{until},59.8411,17.8180,08:00,12:00\n"
    )
    uploaded = lovsta.call(
        "POST", "/v1/offers/bulk", content=csv, headers={"Content-Type": "text/csv"}
    )
    walk.offers += int(uploaded["created"])


def _open_cycle(coordinator: ApiClient, walk: Walkthrough) -> None:
    now = dt.datetime.now(dt.UTC)
    cycle = coordinator.call(
        "POST",
        f"/v1/networks/{walk.network_id}/cycles",
        json={
            "opens_at": (now - dt.timedelta(minutes=5)).isoformat(),
            "closes_at": (now + dt.timedelta(days=2)).isoformat(),
            "delivery_date": (now + dt.timedelta(days=4)).date().isoformat(),
        },
    )
    walk.cycle_id = cycle["id"]


def _submit_demand(coops: list[ApiClient], walk: Walkthrough) -> None:
    orders = [
        {"Morötter": (4, 2), "Mjölk": (12, 0)},
        {"Morötter": (7, 3), "Potatis": (20, 5)},
        {"Potatis": (15, 10), "Mjölk": (6, 6)},
    ]
    for coop, order in zip(coops[:-1], orders, strict=False):
        lines = [
            {"product_id": walk.products[name], "firm_quantity": firm, "tolerance": tolerance}
            for name, (firm, tolerance) in order.items()
        ]
        coop.call("POST", f"/v1/cycles/{walk.cycle_id}/demand-rounds", json={"lines": lines})
        walk.demand_lines += len(lines)
    # the last co-op exports its members' order from a spreadsheet
    last = coops[-1]
    created = last.call("POST", f"/v1/cycles/{walk.cycle_id}/demand-rounds", json={"lines": []})
    csv = "product,firm_quantity,tolerance\n" + "".join(
        f"{name},{firm},{tolerance}\n" for name, (firm, tolerance) in orders[-1].items()
    )
    response = last.http.get(
        f"/v1/demand-rounds/{created['id']}", headers={"Authorization": f"Bearer {last.token}"}
    )
    last.call(
        "PUT",
        f"/v1/demand-rounds/{created['id']}/lines/upload",
        content=csv,
        headers={"Content-Type": "text/csv", "If-Match": response.headers["etag"]},
    )
    walk.demand_lines += len(orders[-1])
