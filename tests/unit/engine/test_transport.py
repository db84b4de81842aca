"""The transport estimate: handling plus distance at a network's rates, and what the
proposed plan realised beside it."""

from __future__ import annotations

import datetime as dt
import uuid

from services.matcher.engine import AllocationProblem, DemandLine, Offer, allocate
from services.matcher.engine.allocation.transport import (
    HANDLING_ORE_PER_KG,
    ORE_PER_TONNE_KM,
    TransportRates,
    estimate_transport,
    road_km,
)
from services.matcher.engine.routing.model import Place, RoutingProblem, Shipment, Vehicle, Window
from services.matcher.engine.routing.plans import plan_routing
from services.matcher.engine.routing.realised import check_transport
from services.matcher.engine.routing.travel import great_circle, places_of

NEAR_FARM, FAR_FARM, COOP, NOWHERE = (uuid.UUID(int=n) for n in (1, 2, 3, 4))
UPPSALA = (59.8586, 17.6389)
PLACES = {NEAR_FARM: (59.9126, 17.5203), FAR_FARM: (60.6749, 17.1413)}  # Ekeby, Gävle
DAY = dt.date(2026, 5, 6)


def test_the_estimate_is_handling_plus_distance_at_the_network_s_rates() -> None:
    rates = TransportRates(handling_ore_per_kg=150, ore_per_tonne_km=12_000)
    estimates = estimate_transport(
        {NEAR_FARM: PLACES[NEAR_FARM]}, {COOP: UPPSALA, NOWHERE: None}, road_factor=1.3, rates=rates
    )
    km = road_km(PLACES[NEAR_FARM], UPPSALA, 1.3)
    assert 11 < km < 12  # 8.9 km as the crow flies
    by_coop = {e.coop_id: e.ore_per_kg for e in estimates}
    assert by_coop == {COOP: 150 + round(km * 12), NOWHERE: 150}  # no place: handling only


def test_without_a_network_s_rates_the_calibrated_defaults_apply() -> None:
    (estimate,) = estimate_transport({FAR_FARM: PLACES[FAR_FARM]}, {COOP: UPPSALA}, road_factor=1.3)
    km = road_km(PLACES[FAR_FARM], UPPSALA, 1.3)
    assert estimate.ore_per_kg == HANDLING_ORE_PER_KG + round(km * ORE_PER_TONNE_KM / 1000)


def test_a_dearer_distance_rate_buys_from_the_nearer_farm() -> None:
    """The far farm's carrots are 1 kr/kg cheaper; 110 km more of carriage outweighs that
    at the calibrated rates, not at 0.5 öre per kg-km."""
    product = uuid.UUID(int=10)
    offers = [
        Offer(
            id=uuid.UUID(int=20 + n),
            producer_id=farm,
            product_id=product,
            pack_units=10,
            packs_available=5,
            price_per_pack_ore=price,
            grams_per_unit=1000,
            temperature="ambient",
            valid_from=DAY,
            valid_until=DAY,
        )
        for n, (farm, price) in enumerate([(NEAR_FARM, 2_500), (FAR_FARM, 1_500)])
    ]
    line = DemandLine(
        id=uuid.UUID(int=30),
        coop_id=COOP,
        product_id=product,
        firm_quantity=10,
        tolerance=0,
        temperature="ambient",
    )

    def farm_bought(rates: TransportRates) -> uuid.UUID:
        transport = estimate_transport(PLACES, {COOP: UPPSALA}, road_factor=1.3, rates=rates)
        problem = AllocationProblem(
            delivery_date=DAY, offers=offers, lines=[line], transport=transport
        )
        (purchase,) = allocate(problem).purchases
        return next(o.producer_id for o in offers if o.id == purchase.offer_id)

    assert farm_bought(TransportRates(handling_ore_per_kg=20, ore_per_tonne_km=500)) == FAR_FARM
    assert farm_bought(TransportRates()) == NEAR_FARM


def test_the_check_sets_the_estimate_beside_the_plan_s_cost_over_what_it_carries() -> None:
    hub = Place(lat=UPPSALA[0], lon=UPPSALA[1])
    farm = Place(lat=PLACES[NEAR_FARM][0], lon=PLACES[NEAR_FARM][1])
    shipments = [
        Shipment(
            producer_id=NEAR_FARM,
            coop_id=COOP,
            temperature="ambient",
            grams=grams,
            ml=1_000,
            pickup=farm,
            delivery=hub,
        )
        for grams in (30_000, 10_000, 5_000_000)  # the last is too heavy for the van
    ]
    van = Vehicle(
        id=uuid.UUID(int=90),
        capacity_grams=900_000,
        capacity_ml=5_000_000,
        cold_capable=False,
        start=hub,
        end=hub,
        shift=Window(opens_s=6 * 3600, closes_s=18 * 3600),
        fixed_cost_ore=10_000,
        cost_per_km_ore=450,
        cost_per_hour_ore=30_000,
    )
    problem = RoutingProblem(shipments=shipments, vehicles=[van])
    routing = plan_routing(
        problem, great_circle(places_of(problem), road_factor=1.3, speed_kmh=60), own_van=van
    )
    rates = TransportRates(handling_ore_per_kg=100, ore_per_tonne_km=20_000)

    check = check_transport(routing, rates, road_factor=1.3)

    km = road_km(PLACES[NEAR_FARM], UPPSALA, 1.3)
    cost = routing.chosen.totals.cost_ore
    assert [left.reason for left in routing.chosen.unserved] == ["too_heavy"]
    assert (check.handling_ore_per_kg, check.ore_per_tonne_km) == (100, 20_000)
    assert check.carried_grams == 40_000
    assert check.carried_kg_km == round(40 * km)
    assert check.estimate_ore == 40 * rates.ore_per_kg(km)
    assert check.realised_ore == cost > 0
    assert check.realised_ore_per_kg == round(cost / 40)
    assert check.realised_ore_per_tonne_km == round(cost * 1000 / (40 * km))
