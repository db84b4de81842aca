"""The demand signal's sums: a network's demand per product in its open cycle against what
is on offer, and what its last published run left unfilled and why. Only sums per product
(and per reason) leave the database, each with how many co-ops it adds up; which of them
may be shown is decided on those (``services/api/signal/disclosure.py``)."""

from __future__ import annotations

import datetime as dt
from uuid import UUID

import asyncpg

from shared.contracts.cycles import CycleState
from shared.contracts.runs import RunState
from shared.db.pool import Conn
from shared.db.products import PER_UNIT_MILLI

MAX_PRODUCTS = 2000  # rows of one answer: a network's catalogue is far smaller

# The cycle open for demand now that closes first.
SELECT_OPEN_CYCLE = f"""
SELECT id, opens_at, closes_at, delivery_date FROM cycle
WHERE network_id = $1 AND state = '{CycleState.OPEN}' AND opens_at <= now() AND closes_at > now()
ORDER BY closes_at, id LIMIT 1"""

# Per product with demand or offers: the firm units the member co-ops ordered in the cycle
# ($2) and how many co-ops; the packs and units free on the live offers of member
# producers valid on its delivery day ($3).
SELECT_OPEN_DEMAND = f"""
WITH per_coop AS (
    SELECT d.product_id, r.coop_id, sum(d.firm_quantity) AS firm_units
    FROM demand_round r
    JOIN demand_line d ON d.round_id = r.id
    JOIN membership m ON m.network_id = r.network_id AND m.organisation_id = r.coop_id
    WHERE r.cycle_id = $2
    GROUP BY d.product_id, r.coop_id
), demand AS (
    SELECT product_id, count(*) AS coops, sum(firm_units) AS firm_units
    FROM per_coop GROUP BY product_id
), supply AS (
    SELECT l.product_id, sum(o.packs_available - o.packs_reserved) AS packs,
           sum((o.packs_available - o.packs_reserved) * o.pack_units) AS units
    FROM offer o
    JOIN offer_listing l ON l.offer_id = o.id AND l.network_id = $1 AND l.withdrawn_at IS NULL
    JOIN membership m ON m.network_id = l.network_id AND m.organisation_id = o.producer_id
    WHERE o.withdrawn_at IS NULL AND o.packs_available > o.packs_reserved
        AND $3::date BETWEEN o.valid_from AND o.valid_until
    GROUP BY l.product_id
)
SELECT p.id AS product_id, p.name AS product, p.unit, {PER_UNIT_MILLI} AS per_unit_milli,
       coalesce(d.coops, 0)::int AS coops, coalesce(d.firm_units, 0)::bigint AS firm_units,
       coalesce(s.packs, 0)::bigint AS offered_packs, coalesce(s.units, 0)::bigint AS offered_units
FROM product p
LEFT JOIN demand d ON d.product_id = p.id
LEFT JOIN supply s ON s.product_id = p.id
WHERE p.network_id = $1 AND (d.product_id IS NOT NULL OR s.product_id IS NOT NULL)
ORDER BY lower(p.name), p.id
LIMIT $4"""

# The network's last published cycle, by its deadline, and the run published for it.
SELECT_PUBLISHED = f"""
SELECT c.id AS cycle_id, c.closes_at, c.delivery_date, r.id AS run_id
FROM cycle c JOIN match_run r ON r.cycle_id = c.id AND r.state = '{RunState.PUBLISHED}'
WHERE c.network_id = $1 AND c.state = '{CycleState.PUBLISHED}'
ORDER BY c.closes_at DESC, c.id LIMIT 1"""

# The reasons a run records, in the groups the signal names.
REASON_GROUP = """CASE u.reason
    WHEN 'validity' THEN 'no_offer'
    WHEN 'temperature' THEN 'other'
    WHEN 'excluded' THEN 'other'
    ELSE u.reason END"""

# Per product of the cycle ($2): the co-ops that ordered it and their firm units; then
# per reason the run ($1) gives for what it left unfilled: the co-ops, how many of them
# got none of their order, and the units short. One row per product and reason (reason
# NULL for a product filled whole).
SELECT_UNFILLED = f"""
WITH ordered AS (
    SELECT d.id AS line_id, d.product_id, r.coop_id, d.firm_quantity
    FROM demand_round r JOIN demand_line d ON d.round_id = r.id
    WHERE r.cycle_id = $2
), per_product AS (
    SELECT product_id, count(DISTINCT coop_id) AS coops, sum(firm_quantity) AS firm_units
    FROM ordered GROUP BY product_id
), coop_got AS (
    -- a co-op got none of a product when every line of it (it may have several) came
    -- short by its whole firm quantity
    SELECT o.product_id, o.coop_id,
           bool_and(coalesce(u.units_short, 0) >= o.firm_quantity) AS got_nothing
    FROM ordered o
    LEFT JOIN unfilled_demand u ON u.demand_line_id = o.line_id AND u.run_id = $1
    GROUP BY o.product_id, o.coop_id
), per_coop AS (
    SELECT o.product_id, o.coop_id, {REASON_GROUP} AS reason,
           sum(u.units_short) AS units_short, bool_and(g.got_nothing) AS got_nothing
    FROM unfilled_demand u JOIN ordered o ON o.line_id = u.demand_line_id
    JOIN coop_got g ON g.product_id = o.product_id AND g.coop_id = o.coop_id
    WHERE u.run_id = $1
    GROUP BY o.product_id, o.coop_id, 3
), per_reason AS (
    SELECT product_id, reason, count(*) AS coops,
           count(*) FILTER (WHERE got_nothing) AS coops_got_nothing,
           sum(units_short) AS units_short
    FROM per_coop GROUP BY product_id, reason
)
SELECT p.id AS product_id, p.name AS product, p.unit, {PER_UNIT_MILLI} AS per_unit_milli,
       pp.coops::int AS coops,
       pp.firm_units::bigint AS firm_units, pr.reason, pr.coops::int AS reason_coops,
       pr.coops_got_nothing::int AS reason_coops_got_nothing,
       pr.units_short::bigint AS units_short
FROM per_product pp
JOIN product p ON p.id = pp.product_id
LEFT JOIN per_reason pr ON pr.product_id = pp.product_id
ORDER BY lower(p.name), p.id, pr.reason
LIMIT $3"""


async def select_open_cycle(conn: Conn, network_id: UUID) -> asyncpg.Record | None:
    return await conn.fetchrow(SELECT_OPEN_CYCLE, network_id)


async def select_open_demand(
    conn: Conn, network_id: UUID, cycle_id: UUID, delivery_date: dt.date
) -> list[asyncpg.Record]:
    return await conn.fetch(SELECT_OPEN_DEMAND, network_id, cycle_id, delivery_date, MAX_PRODUCTS)


async def select_published(conn: Conn, network_id: UUID) -> asyncpg.Record | None:
    return await conn.fetchrow(SELECT_PUBLISHED, network_id)


async def select_unfilled(conn: Conn, run_id: UUID, cycle_id: UUID) -> list[asyncpg.Record]:
    """Rows per product and reason; at most ``MAX_PRODUCTS`` products' worth."""
    return await conn.fetch(SELECT_UNFILLED, run_id, cycle_id, MAX_PRODUCTS * 5)
