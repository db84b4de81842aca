"""The run review's arithmetic: totals only within one unit, each product's fill and pack
split, what completes another pack, the transport warning's threshold, and routes read
as places with their goods."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any
from uuid import UUID

import msgspec
from hypothesis import given
from hypothesis import strategies as st

from services.api.demand.amounts import Measure
from services.api.products.schemas import ProductOut
from services.api.runs.schemas import RouteOut, RunResult, ShipmentOut
from services.api.web import review
from services.api.web.svgmap import CHAR_EM, LABEL_PX, draw
from services.api.web.visits import GoodsIndex, visits

NOW = dt.datetime(2026, 12, 3, 8, 0, tzinfo=dt.UTC)
FARM, ANOTHER_FARM = uuid.uuid4(), uuid.uuid4()
LUTHAGEN, SVARTBACKEN = uuid.uuid4(), uuid.uuid4()
CARROTS, EGGS, MILK = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
SACKS, TRAYS, BIG_TRAYS = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
NAMES = {
    FARM: "Ekeby Gård",
    ANOTHER_FARM: "Örsundsbro Ägg",
    LUTHAGEN: "Matkassen Luthagen",
    SVARTBACKEN: "Matkassen Svartbäcken",
}
PRODUCER_OF = {SACKS: FARM, TRAYS: ANOTHER_FARM, BIG_TRAYS: ANOTHER_FARM}


def _product(product_id: UUID, name: str, unit: str, grams: int, temperature: str) -> ProductOut:
    return ProductOut(
        id=product_id,
        network_id=uuid.uuid4(),
        name=name,
        category="",
        unit=unit,  # type: ignore[arg-type]
        grams_per_unit=grams,
        ml_per_unit=grams,
        temperature=temperature,  # type: ignore[arg-type]
        created_at=NOW,
    )


PRODUCTS = {
    CARROTS: _product(CARROTS, "Morötter", "kg", 1000, "ambient"),
    EGGS: _product(EGGS, "Ägg", "piece", 60, "chilled"),
    MILK: _product(MILK, "Mjölk", "l", 1030, "chilled"),
}


def _line() -> str:
    return str(uuid.uuid4())


def _result(**parts: Any) -> RunResult:
    run = {
        "id": str(uuid.uuid4()),
        "cycle_id": str(uuid.uuid4()),
        "network_id": str(uuid.uuid4()),
        "run_version": 1,
        "state": "proposed",
        "stage": "done",
        "percent": 100,
        "attempts": 1,
        "exclude_offers": [],
        "exclude_coops": [],
        "exclude_vehicles": [],
        "pins": [],
        "summary": None,
        "routing": None,
        "error": None,
        "created_at": NOW.isoformat(),
        "started_at": None,
        "finished_at": None,
    }
    return msgspec.convert({"run": run, **parts}, RunResult)


def _allocation(
    offer: UUID, coop: UUID, product: UUID, units: int, extra: int = 0
) -> dict[str, Any]:
    return {
        "offer_id": str(offer),
        "demand_line_id": _line(),
        "coop_id": str(coop),
        "product_id": str(product),
        "units": units,
        "tolerance_units": extra,
    }


# two sacks of carrots split 14 + 6; eggs from trays of 180 and 30, 20 short of another
RESULT = _result(
    purchases=[
        {"offer_id": str(SACKS), "packs": 2, "pack_units": 10, "price_per_pack_ore": 12500},
        {"offer_id": str(BIG_TRAYS), "packs": 1, "pack_units": 180, "price_per_pack_ore": 45000},
    ],
    allocations=[
        _allocation(SACKS, LUTHAGEN, CARROTS, 14, extra=1),
        _allocation(SACKS, SVARTBACKEN, CARROTS, 6),
        _allocation(BIG_TRAYS, LUTHAGEN, EGGS, 100),
        _allocation(BIG_TRAYS, SVARTBACKEN, EGGS, 80),
    ],
    unfilled=[
        {
            "demand_line_id": _line(),
            "coop_id": str(SVARTBACKEN),
            "product_id": str(EGGS),
            "units_short": 146,
            "reason": "pack_not_completed",
            "units_to_next_pack": 34,
        },
        {
            "demand_line_id": _line(),
            "coop_id": str(LUTHAGEN),
            "product_id": str(EGGS),
            "units_short": 30,
            "reason": "pack_not_completed",
            "units_to_next_pack": 34,
        },
    ],
)


def test_amounts_add_up_within_their_unit_only_each_at_its_size() -> None:
    kilo, half_kilo = Measure("kg", 1000), Measure("kg", 500)
    totals = review.by_unit(
        [
            (Measure("piece", 1000), 180),
            (kilo, 14),
            (Measure("l", 1000), 6),
            (half_kilo, 3),
            (Measure("l", 500), 3),
            (Measure("piece", 1000), 20),
        ]
    )
    assert [(q.unit, q.units) for q in totals] == [("kg", 15500), ("l", 7500), ("piece", 200000)]
    assert totals[0].measure.thousandths(totals[0].units) == 15500


def test_each_product_shows_its_fill_its_pack_split_and_what_completes_another_pack() -> None:
    carrots, eggs = review.product_reviews(RESULT, PRODUCTS, NAMES, PRODUCER_OF)
    assert (carrots.name, carrots.demanded, carrots.filled, carrots.extra) == (
        "Morötter",
        19,
        19,
        1,
    )
    assert carrots.percent == 100
    assert [(c.producer, c.packs, c.pack_units) for c in carrots.columns] == [("Ekeby Gård", 2, 10)]
    assert [(r.coop, r.cells, r.total) for r in carrots.rows] == [
        ("Matkassen Luthagen", [14], 14),
        ("Matkassen Svartbäcken", [6], 6),
    ]
    assert carrots.completion is None
    assert (eggs.demanded, eggs.filled, eggs.percent) == (356, 180, 50)
    assert eggs.completion == review.Completion(units=34, pack_units=180, producer="Örsundsbro Ägg")
    assert [u.coop_id for u in eggs.unfilled] == [LUTHAGEN, SVARTBACKEN]  # by name
    fill = review.by_unit((p.measure, p.filled) for p in (carrots, eggs) if p.measure)
    assert [(q.unit, q.units) for q in fill] == [("kg", 19000), ("piece", 180000)]


def test_the_pack_named_is_the_smallest_bought_that_the_missing_units_fit() -> None:
    columns = [
        review.Column(offer_id=BIG_TRAYS, producer="Örsundsbro Ägg", pack_units=180, packs=1),
        review.Column(offer_id=TRAYS, producer="Ekeby Gård", pack_units=30, packs=2),
    ]
    short = RESULT.unfilled
    assert review.completion(short, columns) == review.Completion(
        units=34, pack_units=180, producer="Örsundsbro Ägg"
    )
    fewer = [msgspec.structs.replace(u, units_to_next_pack=12) for u in short]
    assert review.completion(fewer, columns) == review.Completion(
        units=12, pack_units=30, producer="Ekeby Gård"
    )
    more = [msgspec.structs.replace(u, units_to_next_pack=500) for u in short]
    assert review.completion(more, columns) == review.Completion(
        units=500, pack_units=None, producer=None
    )


def test_each_coops_goods_are_its_part_of_the_packs_and_add_up_to_what_was_paid() -> None:
    goods = review.goods_by_coop(RESULT)
    assert sum(goods.values()) == 2 * 12500 + 45000
    assert goods[SVARTBACKEN] == 6 * 25000 // 20 + 80 * 45000 // 180  # 75 kr + 200 kr


def test_the_warning_starts_just_above_the_threshold() -> None:
    assert not review.over_threshold(3000, 10000, 300)  # exactly 30 %
    assert review.over_threshold(3001, 10000, 300)
    assert review.over_threshold(1, 0, 300)  # transport for no goods at all
    assert not review.over_threshold(0, 0, 300)
    assert review.over_threshold(1, 10**6, 0)  # 0 %: any share warns


@given(st.integers(0, 10**7), st.integers(0, 10**7), st.integers(1, 10_000))
def test_the_goods_that_clear_the_warning_are_the_fewest_that_do(
    share: int, goods: int, threshold: int
) -> None:
    more = review.goods_to_clear(share, goods, threshold)
    assert more is not None
    assert more >= 0
    assert not review.over_threshold(share, goods + more, threshold)
    if more > 0:
        assert review.over_threshold(share, goods + more - 1, threshold)


def test_no_amount_of_goods_clears_a_threshold_of_nothing() -> None:
    assert review.goods_to_clear(100, 1000, 0) is None


def _stop(
    seq: int, kind: str, who: UUID | None, at: tuple[float, float], load: int, **more: Any
) -> dict[str, Any]:
    return {
        "seq": seq,
        "kind": kind,
        "organisation_id": str(who) if who else None,
        "shipment_id": None,
        "arrival_at": (NOW + dt.timedelta(minutes=seq)).isoformat(),
        "departure_at": (NOW + dt.timedelta(minutes=seq, seconds=30)).isoformat(),
        "load_grams": load,
        "load_ml": 0,
        "lat": at[0],
        "lon": at[1],
        **more,
    }


def _route(stops: list[dict[str, Any]], shares: list[dict[str, Any]] | None = None) -> RouteOut:
    return msgspec.convert(
        {
            "id": str(uuid.uuid4()),
            "plan": "joint",
            "route_no": 1,
            "vehicle_id": None,
            "producer_id": None,
            "distance_m": 25000,
            "duration_s": 3600,
            "cost_ore": 30000,
            "co2_grams": 5000,
            "unshared_ore": 0,
            "stops": stops,
            "cost_shares": shares or [],
        },
        RouteOut,
    )


DEPOT = (59.8586, 17.6389)
EKEBY = (59.9126, 17.5203)
LUTHAGSESPLANADEN = (59.8656, 17.6236)
SVARTBACKSGATAN = (59.8690, 17.6480)


def _shipment(producer: UUID, coop: UUID, temperature: str, grams: int) -> ShipmentOut:
    return ShipmentOut(
        id=uuid.uuid4(),
        producer_id=producer,
        coop_id=coop,
        temperature=temperature,  # type: ignore[arg-type]
        weight_grams=grams,
        volume_ml=grams,
        unserved_reason=None,
    )


def test_consecutive_stops_at_one_place_are_one_row_with_the_goods_loaded_and_unloaded() -> None:
    carrots_l = _shipment(FARM, LUTHAGEN, "ambient", 15000)
    carrots_s = _shipment(FARM, SVARTBACKEN, "ambient", 6000)
    shipments = {s.id: s for s in (carrots_l, carrots_s)}
    route = _route(
        [
            _stop(0, "start", None, DEPOT, 0),
            _stop(1, "pickup", FARM, EKEBY, 15000, shipment_id=str(carrots_l.id)),
            _stop(2, "pickup", FARM, EKEBY, 21000, shipment_id=str(carrots_s.id)),
            _stop(3, "delivery", LUTHAGEN, LUTHAGSESPLANADEN, 6000, shipment_id=str(carrots_l.id)),
            _stop(4, "delivery", SVARTBACKEN, SVARTBACKSGATAN, 0, shipment_id=str(carrots_s.id)),
            _stop(5, "end", None, DEPOT, 0),
        ]
    )
    index = GoodsIndex(RESULT, PRODUCTS, PRODUCER_OF)
    rows = visits(route, shipments, index, NAMES)
    assert [(v.place, v.depot) for v in rows] == [
        ("", True),
        ("Ekeby Gård", False),
        ("Matkassen Luthagen", False),
        ("Matkassen Svartbäcken", False),
        ("", True),
    ]
    farm = rows[1]
    assert (farm.arrival.seq, farm.departure.seq, farm.departure.load_grams) == (1, 2, 21000)
    assert [(g.product, g.units, g.party) for g in farm.loaded] == [
        ("Morötter", 14, "Matkassen Luthagen"),
        ("Morötter", 6, "Matkassen Svartbäcken"),
    ]
    assert [(g.product, g.units, g.party) for g in rows[2].unloaded] == [
        ("Morötter", 14, "Ekeby Gård")
    ]


def test_a_hub_route_names_the_goods_by_the_weight_its_load_changes_by() -> None:
    """Hub legs name no shipment: the farm's chilled eggs (10,8 kg) and ambient carrots
    (21 kg) go on two vans; this one takes the eggs, and unloads them at the hub."""
    route = _route(
        [
            _stop(0, "start", None, DEPOT, 0),
            _stop(1, "pickup", ANOTHER_FARM, EKEBY, 10800),
            _stop(2, "delivery", None, DEPOT, 0),
            _stop(3, "end", None, DEPOT, 0),
        ]
    )
    index = GoodsIndex(RESULT, PRODUCTS, PRODUCER_OF)
    rows = visits(route, {}, index, NAMES)
    assert [(g.product, g.units, g.party) for g in rows[1].loaded] == [
        ("Ägg", 100, "Matkassen Luthagen"),
        ("Ägg", 80, "Matkassen Svartbäcken"),
    ]
    hub = rows[2]
    assert (hub.depot, hub.hub) == (True, True)  # the van ends where it unloads
    assert [(g.product, g.units, g.party) for g in hub.unloaded] == [("Ägg", 180, "Örsundsbro Ägg")]


def test_a_coop_above_the_threshold_is_warned_with_what_would_lower_it() -> None:
    shares = [
        {
            "organisation_id": str(LUTHAGEN),
            "payer": "coop",
            "share_ore": 9000,
            "standalone_cost_ore": 20000,
        },
        {
            "organisation_id": str(SVARTBACKEN),
            "payer": "coop",
            "share_ore": 21000,
            "standalone_cost_ore": 26000,
        },
    ]
    route = _route(
        [
            _stop(0, "start", None, DEPOT, 0),
            _stop(1, "delivery", LUTHAGEN, LUTHAGSESPLANADEN, 0),
            _stop(2, "delivery", SVARTBACKEN, SVARTBACKSGATAN, 0),
        ],
        shares,
    )
    goods = {LUTHAGEN: 100000, SVARTBACKEN: 30000}
    found = review.coop_transport(goods, [route], NAMES, 300, DEPOT)
    svartbacken, luthagen = found  # most burdened first
    assert (svartbacken.coop, svartbacken.permille, svartbacken.warn) == (
        "Matkassen Svartbäcken",
        700,
        True,
    )
    assert svartbacken.more_goods_ore == 40000  # 210 kr is 30 % of 700 kr
    assert svartbacken.standalone_ore == 26000
    assert svartbacken.nearest is not None
    assert svartbacken.nearest.name == "Matkassen Luthagen"
    assert svartbacken.hub is not None
    assert 0 < svartbacken.hub.km < 5
    assert (luthagen.permille, luthagen.warn) == (90, False)


def test_the_map_shows_the_hub_numbers_every_place_and_keeps_labels_apart() -> None:
    near = [(59.8656 + n * 0.0004, 17.6236 + n * 0.0004) for n in range(8)]  # one town
    coops = [uuid.uuid4() for _ in near]
    names: dict[object, str] = {c: f"Matkooperativet nummer {n}" for n, c in enumerate(coops)}
    route = _route(
        [_stop(0, "start", None, DEPOT, 0)]
        + [
            _stop(n + 1, "delivery", c, at, 0)
            for n, (c, at) in enumerate(zip(coops, near, strict=True))
        ]
        + [_stop(9, "end", None, DEPOT, 0)]
    )
    drawn = draw([route], names, hub=(59.80, 17.70))
    assert drawn is not None
    assert [m.number for m in drawn.markers] == list(range(1, len(drawn.markers) + 1))
    assert {m.kind for m in drawn.markers} == {"hub", "depot", "coop"}
    boxes = []
    for m in drawn.markers:
        if m.label_x is None:
            continue
        wide = len(m.label) * LABEL_PX * CHAR_EM
        left = {"start": m.label_x, "end": m.label_x - wide, "middle": m.label_x - wide / 2}[
            m.anchor
        ]
        boxes.append((left, m.label_y - 20, left + wide, m.label_y + 4))
    for n, a in enumerate(boxes):
        for b in boxes[n + 1 :]:
            assert not (a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]), (a, b)
    assert any(m.label_x is None for m in drawn.markers if m.label)  # the legend names those


def test_the_savings_chart_has_each_plan_and_what_the_proposal_saves() -> None:
    from shared.contracts.runs import RunRouting

    totals = {"routes": 1, "distance_m": 0, "duration_s": 0, "cost_ore": 0, "co2_grams": 0}
    routing = msgspec.convert(
        {
            "proposed": "joint",
            "joint": {
                **totals,
                "distance_m": 25000,
                "cost_ore": 30000,
                "duration_s": 3600,
                "co2_grams": 5000,
            },
            "hub": None,
            "baseline": {
                **totals,
                "distance_m": 50000,
                "cost_ore": 45000,
                "duration_s": 5400,
                "co2_grams": 10000,
            },
            "savings": {
                "distance_m": 25000,
                "duration_s": 1800,
                "cost_ore": 15000,
                "co2_grams": 5000,
            },
            "shipments": 2,
            "unserved": 0,
        },
        RunRouting,
    )
    chart = review.savings_chart(routing)
    assert [m.name for m in chart] == ["km", "kr", "h", "co2"]
    km = chart[0]
    assert [(b.plan, b.value, b.width, b.proposed) for b in km.bars] == [
        ("baseline", 50000, 1.0, False),
        ("joint", 25000, 0.5, True),
    ]
    assert [m.saved for m in chart] == [25000, 15000, 1800, 5000]
