"""Match runs: the record of each engine run, its snapshot, its stored result."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple
from uuid import UUID

import asyncpg
import msgspec

from shared.contracts.runs import (
    COMPUTING,
    DECIDED,
    HOLDING,
    LIVE,
    SUPERSEDABLE,
    RunRouting,
    RunState,
    RunSummary,
)
from shared.db import holds as holds_db
from shared.db.pool import Conn, copy_rows, states_sql
from shared.db.reasons import Reason

RUNNING, PROPOSED = RunState.RUNNING, RunState.PROPOSED

RUN_COLUMNS = """id, cycle_id, network_id, run_version, state, stage, percent, attempts,
    overrides, summary, routing, error, created_at, updated_at, started_at, finished_at,
    peers_left_out"""

# The next version number of the cycle's runs; UNIQUE (cycle_id, run_version) backs it.
INSERT_RUN = f"""
INSERT INTO match_run (cycle_id, network_id, run_version, requested_by, overrides)
SELECT $1, $2, coalesce(max(run_version), 0) + 1, $3, $4 FROM match_run WHERE cycle_id = $1
RETURNING {RUN_COLUMNS}"""

SELECT_RUN = f"SELECT {RUN_COLUMNS} FROM match_run WHERE id = $1"

SELECT_RUN_FOR_UPDATE = f"SELECT {RUN_COLUMNS} FROM match_run WHERE id = $1 FOR UPDATE"

SELECT_CYCLE_RUNS = f"""
SELECT {RUN_COLUMNS} FROM match_run WHERE cycle_id = $1 ORDER BY run_version DESC"""

# A run is taken up again after a crash (state 'running'), never after it finished.
CLAIM_RUN = f"""
UPDATE match_run SET state = '{RUNNING}', attempts = attempts + 1, stage = 'snapshot',
    percent = 5, started_at = coalesce(started_at, now()), updated_at = now(), error = NULL
WHERE id = $1 AND state IN {states_sql(COMPUTING)}
RETURNING {RUN_COLUMNS}"""

SET_PROGRESS = f"""
UPDATE match_run SET stage = $2, percent = $3, updated_at = now()
WHERE id = $1 AND state = '{RUNNING}'"""

TOUCH_RUN = f"UPDATE match_run SET updated_at = now() WHERE id = $1 AND state = '{RUNNING}'"

FINISH_RUN = f"""
UPDATE match_run SET state = '{PROPOSED}', stage = 'done', percent = 100, summary = $2,
    routing = $3, finished_at = now(), updated_at = now()
WHERE id = $1 AND state = '{RUNNING}'
RETURNING {RUN_COLUMNS}"""

FAIL_RUN = f"""
UPDATE match_run SET state = '{RunState.FAILED}', error = $2,
    finished_at = now(), updated_at = now()
WHERE id = $1 AND state IN {states_sql(COMPUTING)}
RETURNING id"""

# Runs whose job Redis may have lost: queued, or running without progress, for a while.
SELECT_STALE_RUNS = f"""
SELECT id FROM match_run
WHERE state IN {states_sql(COMPUTING)} AND updated_at < now() - make_interval(secs => $1)
ORDER BY updated_at LIMIT 100"""

# What matching may use is judged here, in the snapshot, not trusted from the rows'
# past: live listings of producers who are members of the network now, and (below)
# the lines of co-ops who are members now.
SNAPSHOT_OFFERS = """
SELECT o.id, o.producer_id, l.product_id, o.pack_units,
       o.packs_available - o.packs_reserved AS packs_free, o.price_per_pack_ore,
       o.valid_from, o.valid_until, p.temperature, p.grams_per_unit,
       o.pickup_lat, o.pickup_lon
FROM offer o
JOIN offer_listing l ON l.offer_id = o.id AND l.network_id = $1 AND l.withdrawn_at IS NULL
JOIN membership m ON m.network_id = l.network_id AND m.organisation_id = o.producer_id
JOIN product p ON p.id = l.product_id
WHERE o.withdrawn_at IS NULL AND ($2::uuid[] IS NULL OR o.id = ANY($2))
ORDER BY o.id"""

SNAPSHOT_LINES = """
SELECT d.id, r.coop_id, d.product_id, d.firm_quantity, d.tolerance, d.max_unit_price_ore,
       p.temperature, org.lat AS coop_lat, org.lon AS coop_lon
FROM demand_line d
JOIN demand_round r ON r.id = d.round_id
JOIN membership m ON m.network_id = r.network_id AND m.organisation_id = r.coop_id
JOIN product p ON p.id = d.product_id
JOIN organisation org ON org.id = r.coop_id
WHERE r.cycle_id = $1 AND ($2::uuid[] IS NULL OR d.id = ANY($2))
ORDER BY d.id"""

# Reserve packs for a stored run; no row back means another run got them first.
RESERVE_PACKS = """
UPDATE offer SET packs_reserved = packs_reserved + $2
WHERE id = $1 AND withdrawn_at IS NULL AND packs_reserved + $2 <= packs_available
RETURNING id"""

RELEASE_RUN_PACKS = """
UPDATE offer o SET packs_reserved = o.packs_reserved - p.packs
FROM run_purchase p WHERE p.run_id = $1 AND p.offer_id = o.id"""

# The reservations of a cycle's runs in the given states go back to the offers: before
# cancelling the cycle (proposed, approved) or superseding its proposal (proposed).
RELEASE_CYCLE_PACKS = """
UPDATE offer o SET packs_reserved = o.packs_reserved - p.packs
FROM run_purchase p JOIN match_run r ON r.id = p.run_id
WHERE r.cycle_id = $1 AND r.state::text = ANY($2::text[]) AND p.offer_id = o.id"""

# Taken before releasing a cycle's reservations: a worker storing a run holds its row
# until it commits, so the release that follows sees the run proposed, with its packs.
# Without it, a run stored while its cycle is re-run kept its packs reserved forever.
LOCK_CYCLE_RUNS = f"""
SELECT id FROM match_run
WHERE cycle_id = $1 AND state IN {states_sql(LIVE)}
ORDER BY id FOR UPDATE"""

CANCEL_CYCLE_RUNS = f"""
UPDATE match_run SET state = '{RunState.CANCELLED}', updated_at = now(),
    finished_at = coalesce(finished_at, now())
WHERE cycle_id = $1 AND state IN {states_sql(LIVE)}"""

SUPERSEDE_CYCLE_RUNS = f"""
UPDATE match_run SET state = '{RunState.SUPERSEDED}', updated_at = now(),
    finished_at = coalesce(finished_at, now())
WHERE cycle_id = $1 AND state IN {states_sql(SUPERSEDABLE)}"""

SELECT_PURCHASES = """
SELECT offer_id, packs, pack_units, price_per_pack_ore FROM run_purchase
WHERE run_id = $1 ORDER BY offer_id"""

SELECT_ALLOCATIONS = """
SELECT a.offer_id, a.demand_line_id, a.units, a.tolerance_units, r.coop_id, d.product_id
FROM allocation a
JOIN demand_line d ON d.id = a.demand_line_id
JOIN demand_round r ON r.id = d.round_id
WHERE a.run_id = $1 AND ($2::uuid IS NULL OR r.coop_id = $2)
ORDER BY d.product_id, r.coop_id, a.demand_line_id, a.offer_id"""

SELECT_UNFILLED = """
SELECT u.demand_line_id, u.units_short, u.reason, u.detail, r.coop_id, d.product_id
FROM unfilled_demand u
JOIN demand_line d ON d.id = u.demand_line_id
JOIN demand_round r ON r.id = d.round_id
WHERE u.run_id = $1 AND ($2::uuid IS NULL OR r.coop_id = $2)
ORDER BY d.product_id, r.coop_id, u.demand_line_id"""


async def insert_run(
    conn: Conn,
    cycle_id: UUID,
    network_id: UUID,
    requested_by: UUID | None,
    overrides: dict[str, Any],
) -> asyncpg.Record:
    row = await conn.fetchrow(INSERT_RUN, cycle_id, network_id, requested_by, overrides)
    assert row is not None
    return row


async def select_run(conn: Conn, run_id: UUID, *, lock: bool = False) -> asyncpg.Record | None:
    return await conn.fetchrow(SELECT_RUN_FOR_UPDATE if lock else SELECT_RUN, run_id)


async def select_cycle_runs(conn: Conn, cycle_id: UUID) -> list[asyncpg.Record]:
    return await conn.fetch(SELECT_CYCLE_RUNS, cycle_id)


async def claim_run(conn: Conn, run_id: UUID) -> asyncpg.Record | None:
    return await conn.fetchrow(CLAIM_RUN, run_id)


async def set_progress(conn: Conn, run_id: UUID, stage: str, percent: int) -> None:
    await conn.execute(SET_PROGRESS, run_id, stage, percent)


async def touch_run(conn: Conn, run_id: UUID) -> None:
    await conn.execute(TOUCH_RUN, run_id)


async def finish_run(
    conn: Conn, run_id: UUID, summary: RunSummary, routing: RunRouting | None
) -> asyncpg.Record | None:
    return await conn.fetchrow(
        FINISH_RUN, run_id, msgspec.to_builtins(summary), msgspec.to_builtins(routing)
    )


async def fail_run(conn: Conn, run_id: UUID, error: str) -> bool:
    """Mark a queued or running run failed; False if it had ended already."""
    return await conn.fetchval(FAIL_RUN, run_id, error[:2000]) is not None


async def select_stale_runs(conn: Conn, older_than_s: float) -> list[UUID]:
    return [row["id"] for row in await conn.fetch(SELECT_STALE_RUNS, older_than_s)]


async def snapshot_offers(
    conn: Conn, network_id: UUID, only: list[UUID] | None = None
) -> list[asyncpg.Record]:
    """The offers listed in a network, with the packs no other run reserved."""
    return await conn.fetch(SNAPSHOT_OFFERS, network_id, only)


async def snapshot_lines(
    conn: Conn, cycle_id: UUID, only: list[UUID] | None = None
) -> list[asyncpg.Record]:
    return await conn.fetch(SNAPSHOT_LINES, cycle_id, only)


async def reserve_packs(conn: Conn, offer_id: UUID, packs: int) -> bool:
    return await conn.fetchval(RESERVE_PACKS, offer_id, packs) is not None


async def release_run_packs(conn: Conn, run_id: UUID) -> None:
    await conn.execute(RELEASE_RUN_PACKS, run_id)


class PurchaseRow(NamedTuple):
    """A row of ``run_purchase``; its fields are the columns COPY writes, by name."""

    run_id: UUID
    offer_id: UUID
    packs: int
    pack_units: int
    price_per_pack_ore: int


class AllocationRow(NamedTuple):
    run_id: UUID
    offer_id: UUID
    demand_line_id: UUID
    units: int
    tolerance_units: int


class UnfilledRow(NamedTuple):
    run_id: UUID
    demand_line_id: UUID
    units_short: int
    reason: str
    detail: dict[str, Any]


INSERT_UNFILLED = """
INSERT INTO unfilled_demand (run_id, demand_line_id, units_short, reason, detail)
VALUES ($1, $2, $3, $4, $5)"""


async def insert_result(
    conn: Conn,
    purchases: list[PurchaseRow],
    allocations: list[AllocationRow],
    unfilled: list[UnfilledRow],
) -> None:
    await copy_rows(conn, "run_purchase", purchases)
    await copy_rows(conn, "allocation", allocations)
    await conn.executemany(INSERT_UNFILLED, unfilled)  # jsonb: through the codec, not COPY


async def cancel_cycle_runs(conn: Conn, cycle_id: UUID) -> list[UUID]:
    """Cancel a cycle's live runs and give back the packs they reserved, here and (the
    outbox messages returned) at the peers that hold packs for them."""
    await conn.execute(LOCK_CYCLE_RUNS, cycle_id)
    await conn.execute(RELEASE_CYCLE_PACKS, cycle_id, sorted(HOLDING))
    await conn.execute(CANCEL_CYCLE_RUNS, cycle_id)
    return await holds_db.release_ended_holds(conn, cycle_id=cycle_id)


async def supersede_cycle_runs(conn: Conn, cycle_id: UUID) -> list[UUID]:
    """Supersede the cycle's proposal: its packs go back, here and (the outbox messages
    returned) at the peers that hold packs for it."""
    await conn.execute(LOCK_CYCLE_RUNS, cycle_id)
    await conn.execute(RELEASE_CYCLE_PACKS, cycle_id, [PROPOSED])  # a new run replaces it
    await conn.execute(SUPERSEDE_CYCLE_RUNS, cycle_id)
    return await holds_db.release_ended_holds(conn, cycle_id=cycle_id)


async def select_purchases(conn: Conn, run_id: UUID) -> list[asyncpg.Record]:
    return await conn.fetch(SELECT_PURCHASES, run_id)


async def select_allocations(
    conn: Conn, run_id: UUID, coop_id: UUID | None
) -> list[asyncpg.Record]:
    return await conn.fetch(SELECT_ALLOCATIONS, run_id, coop_id)


async def select_unfilled(conn: Conn, run_id: UUID, coop_id: UUID | None) -> list[asyncpg.Record]:
    return await conn.fetch(SELECT_UNFILLED, run_id, coop_id)


# -- review: approve, reject, publish -------------------------------------------------------

MOVE_RUN = f"""
UPDATE match_run SET state = $3, updated_at = now()
WHERE id = $1 AND state = any($2::text[])
RETURNING {RUN_COLUMNS}"""

INSERT_TRANSITION = """
INSERT INTO run_transition (run_id, from_state, to_state, actor_user_id, actor_token_id, note,
    note_code, note_values)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"""

SELECT_TRANSITIONS = """
SELECT t.from_state, t.to_state, t.note, t.note_code, t.note_values, t.at, t.actor_user_id,
       coalesce(u.name, k.label) AS actor
FROM run_transition t
LEFT JOIN person u ON u.id = t.actor_user_id
LEFT JOIN api_token k ON k.id = t.actor_token_id AND t.actor_user_id IS NULL
WHERE t.run_id = $1 ORDER BY t.id"""

SELECT_LIVE_DECISION = f"""
SELECT id, run_version, state FROM match_run
WHERE cycle_id = $1 AND state IN {states_sql(DECIDED)} LIMIT 1"""

# Everyone a published run concerns: the producers it buys from, the co-ops it serves.
SELECT_RUN_PARTIES = """
SELECT DISTINCT o.producer_id AS organisation_id, 'producer' AS part
FROM run_purchase p JOIN offer o ON o.id = p.offer_id WHERE p.run_id = $1
UNION
SELECT DISTINCT r.coop_id, 'coop'
FROM allocation a JOIN demand_line d ON d.id = a.demand_line_id
JOIN demand_round r ON r.id = d.round_id WHERE a.run_id = $1"""


async def move_run(
    conn: Conn, run_id: UUID, from_states: Sequence[str], to_state: str
) -> asyncpg.Record | None:
    """The run, now in ``to_state``; None if it was in none of ``from_states``."""
    return await conn.fetchrow(MOVE_RUN, run_id, from_states, to_state)


async def insert_transition(
    conn: Conn,
    run_id: UUID,
    from_state: str,
    to_state: str,
    person_id: UUID | None,
    token_id: UUID | None,
    note: str | Reason,
) -> None:
    """Who moved the run: a person (signed in, or who made the token), else the token;
    ``note`` as the person typed it, or the matcher's reason (said in the reader's
    language)."""
    said = note if isinstance(note, Reason) else Reason("", note)
    await conn.execute(
        INSERT_TRANSITION,
        run_id,
        from_state,
        to_state,
        person_id,
        token_id,
        said.message,
        said.code,
        msgspec.to_builtins(said.values),
    )


async def select_transitions(conn: Conn, run_id: UUID) -> list[asyncpg.Record]:
    return await conn.fetch(SELECT_TRANSITIONS, run_id)


async def select_live_decision(conn: Conn, cycle_id: UUID) -> asyncpg.Record | None:
    """The cycle's approved or published run, if it has one."""
    return await conn.fetchrow(SELECT_LIVE_DECISION, cycle_id)


async def select_run_parties(conn: Conn, run_id: UUID) -> list[asyncpg.Record]:
    return await conn.fetch(SELECT_RUN_PARTIES, run_id)


# The parties of a run who are no longer members of its network.
SELECT_RUN_OUTSIDERS = f"""
SELECT parties.organisation_id FROM ({SELECT_RUN_PARTIES}) parties
WHERE NOT EXISTS (SELECT 1 FROM membership m
                  WHERE m.network_id = $2 AND m.organisation_id = parties.organisation_id)
ORDER BY parties.organisation_id"""


async def select_run_outsiders(conn: Conn, run_id: UUID, network_id: UUID) -> list[UUID]:
    rows = await conn.fetch(SELECT_RUN_OUTSIDERS, run_id, network_id)
    return [row["organisation_id"] for row in rows]


SELECT_PUBLISHED_RUNS = f"""
SELECT r.id, r.cycle_id, c.delivery_date, n.name AS network
FROM match_run r JOIN cycle c ON c.id = r.cycle_id JOIN network n ON n.id = r.network_id
WHERE r.network_id = any($1::uuid[]) AND r.state = '{RunState.PUBLISHED}'
ORDER BY c.delivery_date DESC, r.id LIMIT 20"""


async def select_published_runs(conn: Conn, network_ids: list[UUID]) -> list[asyncpg.Record]:
    """The latest published runs of these networks: what members have documents from."""
    return await conn.fetch(SELECT_PUBLISHED_RUNS, network_ids)
