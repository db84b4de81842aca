"""A network's transport rates price the estimate its runs allocate with, and each run
stores that estimate beside what its planned routes cost."""

from __future__ import annotations

from services.matcher.engine.allocation.transport import (
    HANDLING_ORE_PER_KG,
    ORE_PER_TONNE_KM,
    road_km,
)
from shared.settings import Settings
from tests.support.http import Client, bearer, ok
from tests.support.runs import drain
from tests.support.world import add_van, build_world, close_cycle, offer_body, order

FARM = (59.9126, 17.5203)  # the pickup of offer_body
COOP = (59.8656, 17.6236)  # Matkassen Luthagen


async def test_a_network_s_rates_price_the_estimate_and_the_run_reports_the_realised_cost(
    client: Client, admin_token: str, settings: Settings
) -> None:
    world = await build_world(client, admin_token)
    coordinator = bearer(world.coordinator)
    url = f"/v1/networks/{world.network['id']}"
    assert (
        world.network["transport_handling_ore_per_kg"],
        world.network["transport_ore_per_tonne_km"],
    ) == (HANDLING_ORE_PER_KG, ORE_PER_TONNE_KM)

    read = await client.get(url, headers=coordinator)
    too_dear = await client.patch(
        url,
        json={"transport_ore_per_tonne_km": 100_001},
        headers={**coordinator, "If-Match": read.headers["etag"]},
    )
    assert too_dear.status_code in {400, 422}, too_dear.text
    assert "transport_ore_per_tonne_km" in too_dear.text
    patched = await ok(
        await client.patch(
            url,
            json={"transport_handling_ore_per_kg": 300, "transport_ore_per_tonne_km": 50_000},
            headers={**coordinator, "If-Match": read.headers["etag"]},
        )
    )
    assert (patched["transport_handling_ore_per_kg"], patched["transport_ore_per_tonne_km"]) == (
        300,
        50_000,
    )

    await add_van(client, world)
    await ok(
        await client.post("/v1/offers", json=offer_body(world), headers=bearer(world.producer)),
        201,
    )
    line = {"product_id": world.products["Morötter"]["id"], "firm_quantity": 20, "tolerance": 0}
    await order(client, world.cycle["id"], world.coop, [line])  # two 10 kg packs
    run = await close_cycle(client, world)
    await drain(settings)
    stored = await ok(await client.get(f"/v1/runs/{run['id']}", headers=coordinator))

    km = road_km(FARM, COOP, settings.matching.road_factor)
    ore_per_kg = 300 + round(km * 50)  # 50,000 öre per tonne-km is 50 öre per kg-km
    assert stored["summary"]["transport_estimate_ore"] == 20 * ore_per_kg
    check = stored["routing"]["transport"]
    proposed = stored["routing"][stored["routing"]["proposed"]]
    assert check == {
        "handling_ore_per_kg": 300,
        "ore_per_tonne_km": 50_000,
        "carried_grams": 20_000,
        "carried_kg_km": round(20 * km),
        "estimate_ore": 20 * ore_per_kg,
        "realised_ore": proposed["cost_ore"],
        "realised_ore_per_kg": round(proposed["cost_ore"] / 20),
        "realised_ore_per_tonne_km": round(proposed["cost_ore"] * 1000 / (20 * km)),
    }
    # a van's round trip costs far more than the estimate said: the run allocated again
    # at the realised rate, found the same one offer, and kept the first pass
    assert abs(check["realised_ore"] - check["estimate_ore"]) * 1000 > 250 * check["estimate_ore"]
    repass = stored["routing"]["repass"]
    scale = check["realised_ore"] / check["estimate_ore"]
    assert repass["handling_ore_per_kg"] == round(300 * scale)
    assert repass["first"]["firm_units_filled"] == repass["second"]["firm_units_filled"] == 20
    assert repass["first"]["realised_ore"] == check["realised_ore"]
    assert (repass["kept"], repass["why"]) == ("first", "costs_no_less")
