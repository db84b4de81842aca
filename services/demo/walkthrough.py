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
import random
import re
import unicodedata
import uuid
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from services.client import SamlastClient
from services.demo.network import COOPS, FARMS, HUB, PRODUCTS, SEED, Place, offers_of, order_of


@dataclass
class Walkthrough:
    """What the walk created and what the matcher proposed, for the demo to print."""

    network_id: str = ""
    cycle_id: str = ""
    run_id: str = ""
    coordinator_token: str = ""
    coop_token: str = ""  # the first co-op's (the demo's second deployment orders with it)
    # the people who sign in to the pages: (e-mail, name, organisation)
    people: list[tuple[str, str, str]] = field(default_factory=list)
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


class MatchRunError(RuntimeError):
    """The matcher ended the run other than with a proposal."""


async def walk_a_cycle(base: str, admin_token: str, *, publish: bool = True) -> Walkthrough:
    """Set up a network and walk its first cycle to a proposal; with ``publish``, approve
    and publish it too (else the coordinator does, in the pages)."""
    walk = Walkthrough()
    rng = random.Random(SEED)  # noqa: S311 (demo data, the same every run)
    async with SamlastClient(base, admin_token, idempotency_keys=True) as admin:
        coordinator = await _set_up_network(admin, walk)
        farms = [(await _member(coordinator, walk, "producer", farm), farm) for farm in FARMS]
        coops = [(await _member(coordinator, walk, "coop", coop), coop) for coop in COOPS]
        walk.coop_token = coops[0][0].token
        for client, farm in farms:
            await _post_offers(client, farm, walk, rng)
        await _open_cycle(coordinator, walk)
        for number, (client, coop) in enumerate(coops):
            await _submit_demand(client, coop, walk, rng, as_csv=number % 4 == 3)
        await _close_and_follow(coordinator, walk)
        if publish:
            await _approve_and_publish(coordinator, farms[0][0], coops[0][0], walk)
    return walk


async def _set_up_network(admin: SamlastClient, walk: Walkthrough) -> SamlastClient:
    stamp = uuid.uuid4().hex[:4]
    network = await admin.create_network(
        {"name": f"Uppsala län {stamp}", "region": "Uppsala", "hub": HUB}
    )
    walk.network_id = network["id"]
    body = {"kind": "coordinator", "name": "Uppsala samordning", "network_ids": [walk.network_id]}
    organisation = await admin.create_organisation(body)
    walk.coordinator_token = await admin.issue_token(organisation["id"], label="demo")
    await _person(admin, walk, organisation["id"], "Sara Samordnare", "Uppsala samordning")
    coordinator = admin.as_(walk.coordinator_token)
    vans = [("Kylbil 1", True, 900), ("Skåpbil 2", False, 1200), ("Kylbil 3", True, 900)]
    for name, cold, capacity_kg in vans:
        await coordinator.add_vehicle(
            walk.network_id,
            {
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
        created = await coordinator.create_product(
            walk.network_id,
            {
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


async def _member(
    coordinator: SamlastClient, walk: Walkthrough, kind: str, place: Place
) -> SamlastClient:
    organisation = await coordinator.create_organisation(
        {
            "kind": kind,
            "name": place.name,
            "network_ids": [walk.network_id],
            "location": {"lat": place.lat, "lon": place.lon, "address": place.address},
            "windows": [{"weekday": 4, "opens": "07:00:00", "closes": "17:00:00"}],
        }
    )
    if kind == "producer":
        walk.producers += 1
    else:
        walk.coops += 1
    token = await coordinator.issue_token(organisation["id"], label="demo")
    contact = "Anna" if kind == "producer" else "Kim"
    await _person(coordinator, walk, organisation["id"], f"{contact} på {place.name}", place.name)
    return coordinator.as_(token)


async def _person(
    issuer: SamlastClient, walk: Walkthrough, organisation_id: str, name: str, place: str
) -> None:
    """A person of the organisation, with an address the demo's mail server keeps mail for."""
    ascii_name = unicodedata.normalize("NFKD", place.lower()).encode("ascii", "ignore").decode()
    email = re.sub(r"[^a-z0-9]+", ".", ascii_name).strip(".") + "@demo.samlast.se"
    await issuer.add_person(organisation_id, email=email, name=name)
    walk.people.append((email, name, place))


async def _post_offers(
    farm: SamlastClient, place: Place, walk: Walkthrough, rng: random.Random
) -> None:
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
    uploaded = await farm.upload_offers_csv(csv)
    walk.offers += int(uploaded["created"])


async def _open_cycle(coordinator: SamlastClient, walk: Walkthrough) -> None:
    now = dt.datetime.now(dt.UTC)
    cycle = await coordinator.open_cycle(
        walk.network_id,
        {
            "opens_at": (now - dt.timedelta(minutes=5)).isoformat(),
            "closes_at": (now + dt.timedelta(days=2)).isoformat(),
            "delivery_date": (now + dt.timedelta(days=4)).date().isoformat(),
        },
    )
    walk.cycle_id = cycle["id"]


async def _submit_demand(
    coop: SamlastClient, place: Place, walk: Walkthrough, rng: random.Random, *, as_csv: bool
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
        await coop.submit_demand(walk.cycle_id, lines)
        return
    # a co-op that keeps its order in a spreadsheet: an empty round, then the CSV export
    created = await coop.submit_demand(walk.cycle_id, [])
    csv = "product,firm_quantity,tolerance,max_unit_price_ore\n" + "".join(
        f"{line.product.name},{line.firm_quantity},{line.tolerance},"
        f"{'' if line.max_unit_price_ore is None else line.max_unit_price_ore}\n"
        for line in order
    )
    _, etag = await coop.demand_round(created["id"])
    await coop.upload_demand_csv(created["id"], csv, if_match=etag)


async def _close_and_follow(coordinator: SamlastClient, walk: Walkthrough) -> None:
    """Close the cycle, follow the run's server-sent events, read the proposal."""
    await coordinator.close_cycle(walk.cycle_id)
    (run,) = await coordinator.runs(walk.cycle_id)
    walk.run_id = run["id"]
    async for state in coordinator.run_events(walk.run_id, timeout=120):
        walk.progress.append(f"{state['state']} {state['stage']} {state['percent']}%")
    result = await coordinator.run_result(walk.run_id)
    if result["run"]["state"] != "proposed":
        raise MatchRunError(f"the run ended {result['run']['state']}: {result['run']['error']}")
    walk.summary = result["run"]["summary"]
    walk.routing = result["run"]["routing"] or {}
    walk.coops_served = len({item["coop_id"] for item in result["allocations"]})
    walk.shortfalls = Counter(item["reason"] for item in result["unfilled"])


async def _approve_and_publish(
    coordinator: SamlastClient, farm: SamlastClient, coop: SamlastClient, walk: Walkthrough
) -> None:
    """The coordinator approves and publishes; a farm and a co-op read their part."""
    await coordinator.approve(walk.run_id, note="demo: looks right")
    await coordinator.publish(walk.run_id)
    history = await coordinator.history(walk.run_id)
    walk.published.append(" → ".join([history[0]["from_state"], *(h["to_state"] for h in history)]))
    picks = await farm.pick_lists(walk.run_id)
    if picks:
        walk.published.append(
            f"{picks[0]['producer']} packs {len(picks)} lines for "
            f"{len({p['coop_id'] for p in picks})} co-ops"
        )
    for note in await coop.delivery_notes(walk.run_id):
        walk.published.append(
            f"{note['coop']} receives {len(note['lines'])} lines: goods "
            f"{note['goods_ore'] / 100:,.2f} kr, transport share "
            f"{note['transport_share_ore'] / 100:,.2f} kr"
        )
