"""The demo's walk through one cycle, through the public HTTP API only.

What a network does in a week: the admin creates the network and its coordinating
body; the coordinator adds vans, farms, co-ops and products, and issues their tokens;
farms upload their offers as spreadsheets; the coordinator opens a cycle; co-ops
submit their members' pooled orders (some as CSV exports); the coordinator closes the
cycle and follows the matcher's progress as server-sent events until the proposal is
ready. Every POST carries an ``Idempotency-Key``, as a careful client's would.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import uuid
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import httpx

from services.demo.network import COOPS, FARMS, HUB, PRODUCTS, SEED, Place, offers_of, order_of


@dataclass
class Walkthrough:
    """What the walk created and what the matcher proposed, for the demo to print."""

    network_id: str = ""
    cycle_id: str = ""
    run_id: str = ""
    coordinator_token: str = ""
    producers: int = 0
    coops: int = 0
    offers: int = 0
    demand_lines: int = 0
    progress: list[str] = field(default_factory=list)
    summary: dict[str, int] = field(default_factory=dict)
    routing: dict[str, Any] = field(default_factory=dict)
    coops_served: int = 0
    shortfalls: Counter[str] = field(default_factory=Counter)
    products: dict[str, str] = field(default_factory=dict)
    published: list[str] = field(default_factory=list)  # who saw what once published


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
    rng = random.Random(SEED)  # noqa: S311 (demo data, the same every run)
    try:
        coordinator = _set_up_network(admin, walk)
        farms = [(_member(coordinator, walk, "producer", farm), farm) for farm in FARMS]
        coops = [(_member(coordinator, walk, "coop", coop), coop) for coop in COOPS]
        for client, farm in farms:
            _post_offers(client, farm, walk, rng)
        _open_cycle(coordinator, walk)
        for number, (client, coop) in enumerate(coops):
            _submit_demand(client, coop, walk, rng, as_csv=number % 4 == 3)
        _close_and_follow(coordinator, walk)
        _approve_and_publish(coordinator, farms[0][0], coops[0][0], walk)
        for client, _ in (*farms, *coops):
            client.close()
        coordinator.close()
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
    vans = [("Kylbil 1", True, 900), ("Skåpbil 2", False, 1200), ("Kylbil 3", True, 900)]
    for name, cold, capacity_kg in vans:
        coordinator.call(
            "POST",
            f"/v1/networks/{walk.network_id}/vehicles",
            json={
                "name": name,
                "capacity_grams": capacity_kg * 1000,
                "capacity_ml": capacity_kg * 6000,
                "cold_capable": cold,
                "start": {"lat": HUB["lat"], "lon": HUB["lon"]},
                "cost_per_km_ore": 450,
                "cost_per_hour_ore": 30_000,
            },
        )
    for product in PRODUCTS:
        created = coordinator.call(
            "POST",
            f"/v1/networks/{walk.network_id}/products",
            json={
                "name": product.name,
                "category": product.category,
                "unit": product.unit,
                "grams_per_unit": product.grams_per_unit,
                "ml_per_unit": product.ml_per_unit,
                "temperature": product.temperature,
            },
        )
        walk.products[product.name] = created["id"]
    return coordinator


def _member(coordinator: ApiClient, walk: Walkthrough, kind: str, place: Place) -> ApiClient:
    organisation = coordinator.call(
        "POST",
        "/v1/organisations",
        json={
            "kind": kind,
            "name": place.name,
            "network_ids": [walk.network_id],
            "location": {"lat": place.lat, "lon": place.lon, "address": place.address},
            "windows": [{"weekday": 4, "opens": "07:00:00", "closes": "17:00:00"}],
        },
    )
    if kind == "producer":
        walk.producers += 1
    else:
        walk.coops += 1
    return coordinator.as_(_issue(coordinator, organisation["id"], f"{place.name} (demo)"))


def _issue(client: ApiClient, organisation_id: str, user_name: str) -> str:
    created = client.call(
        "POST",
        f"/v1/organisations/{organisation_id}/tokens",
        json={"label": "demo", "user_name": user_name},
    )
    return str(created["token"])


def _post_offers(farm: ApiClient, place: Place, walk: Walkthrough, rng: random.Random) -> None:
    """Each farm uploads its week's offers as a CSV, product names as in the catalogue."""
    today = dt.date.today()
    until = today + dt.timedelta(days=30)
    rows = [
        f"{walk.network_id},{spec.product.name},{spec.pack_units},{spec.packs_available},"
        f"{spec.price_per_pack_ore},{today},{until},{place.lat},{place.lon},07:00,12:00"
        for spec in offers_of(place, rng)
    ]
    csv = (
        "network_id,product,pack_units,packs_available,price_per_pack_ore,valid_from,"
        "valid_until,pickup_lat,pickup_lon,pickup_opens,pickup_closes\n" + "\n".join(rows) + "\n"
    )
    uploaded = farm.call(
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


def _submit_demand(
    coop: ApiClient, place: Place, walk: Walkthrough, rng: random.Random, *, as_csv: bool
) -> None:
    order = order_of(place, rng)
    walk.demand_lines += len(order)
    if not as_csv:
        lines = [
            {
                "product_id": walk.products[line.product.name],
                "firm_quantity": line.firm_quantity,
                "tolerance": line.tolerance,
                "max_unit_price_ore": line.max_unit_price_ore,
            }
            for line in order
        ]
        coop.call("POST", f"/v1/cycles/{walk.cycle_id}/demand-rounds", json={"lines": lines})
        return
    # a co-op that keeps its order in a spreadsheet: an empty round, then the CSV export
    created = coop.call("POST", f"/v1/cycles/{walk.cycle_id}/demand-rounds", json={"lines": []})
    csv = "product,firm_quantity,tolerance,max_unit_price_ore\n" + "".join(
        f"{line.product.name},{line.firm_quantity},{line.tolerance},"
        f"{'' if line.max_unit_price_ore is None else line.max_unit_price_ore}\n"
        for line in order
    )
    read = coop.http.get(
        f"/v1/demand-rounds/{created['id']}", headers={"Authorization": f"Bearer {coop.token}"}
    )
    coop.call(
        "PUT",
        f"/v1/demand-rounds/{created['id']}/lines/upload",
        content=csv,
        headers={"Content-Type": "text/csv", "If-Match": read.headers["etag"]},
    )


def _close_and_follow(coordinator: ApiClient, walk: Walkthrough) -> None:
    """Close the cycle, follow the run's server-sent events, read the proposal."""
    coordinator.call("POST", f"/v1/cycles/{walk.cycle_id}/close")
    (run,) = coordinator.call("GET", f"/v1/cycles/{walk.cycle_id}/runs")
    walk.run_id = run["id"]
    headers = {"Authorization": f"Bearer {coordinator.token}"}
    with coordinator.http.stream(
        "GET", f"/v1/runs/{walk.run_id}/events", headers=headers, timeout=120
    ) as events:
        for line in events.iter_lines():
            if line.startswith("data:"):
                state = json.loads(line[5:])
                walk.progress.append(f"{state['state']} {state['stage']} {state['percent']}%")
    result = coordinator.call("GET", f"/v1/runs/{walk.run_id}/result")
    if result["run"]["state"] != "proposed":
        raise ApiError(f"the run ended {result['run']['state']}: {result['run']['error']}")
    walk.summary = result["run"]["summary"]
    walk.routing = result["run"]["routing"] or {}
    walk.coops_served = len({item["coop_id"] for item in result["allocations"]})
    walk.shortfalls = Counter(item["reason"] for item in result["unfilled"])


def _approve_and_publish(
    coordinator: ApiClient, farm: ApiClient, coop: ApiClient, walk: Walkthrough
) -> None:
    """The coordinator approves and publishes; a farm and a co-op read their part."""
    run = f"/v1/runs/{walk.run_id}"
    coordinator.call("POST", run + "/approve", json={"note": "demo: looks right"})
    coordinator.call("POST", run + "/publish")
    history = coordinator.call("GET", run + "/history")
    walk.published.append(" → ".join([history[0]["from_state"], *(h["to_state"] for h in history)]))
    picks = farm.call("GET", run + "/pick-lists")
    if picks:
        walk.published.append(
            f"{picks[0]['producer']} packs {len(picks)} lines for "
            f"{len({p['coop_id'] for p in picks})} co-ops"
        )
    notes = coop.call("GET", run + "/delivery-notes")
    for note in notes:
        walk.published.append(
            f"{note['coop']} receives {len(note['lines'])} lines: goods "
            f"{note['goods_ore'] / 100:,.2f} kr, transport share "
            f"{note['transport_share_ore'] / 100:,.2f} kr"
        )
