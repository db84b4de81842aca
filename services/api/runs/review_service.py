"""A coordinator's decision on a run: proposed → approved → published, or rejected.

Every move takes the cycle's row lock first, as every decision on a cycle does (close,
cancel, re-run, a worker storing a run), then checks the run's state under its own
lock; it is written to the run's history (who, when, why) and to the audit trail in the
same transaction. Rejecting gives the run's packs back to the offers; publishing marks
the cycle published, ends every other live run of the cycle (their packs go back) and
owes each producer and co-op of the run a webhook and its people a mail with their own
document attached (both delivered by the matcher).
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from uuid import UUID

import asyncpg
import msgspec
from arq.connections import ArqRedis

from services.api.auth.actor import Actor
from services.api.core.audit import record
from services.api.federation.peering.ordering import queue_peer_orders
from services.api.runs.documents import delivery_notes, note_rows, pick_lists, to_csv
from services.api.runs.schemas import (
    LineChange,
    RunComparison,
    RunFigures,
    RunOut,
    TransitionOut,
)
from services.api.runs.service import RunService, plan_of, run_out
from shared import notifications as notify
from shared.contracts.cycles import CycleState
from shared.contracts.cycles import sources as cycle_sources
from shared.contracts.messages import HoldStep, attachment
from shared.contracts.runs import RunRouting, RunState, RunSummary
from shared.contracts.runs import sources as run_sources
from shared.db import cycles as cycles_db
from shared.db import holds as holds_db
from shared.db import outbox as outbox_db
from shared.db import runs as runs_db
from shared.db.pool import Conn
from shared.db.reasons import reason_phrase
from shared.db.rows import as_struct
from shared.errors import ConflictError, Term, UnprocessableError
from shared.notifications import Notifier, PublishedPart
from shared.queue import transaction_then_queue

PUBLISHED = "run.published"


class ReviewService:
    def __init__(self, conn: Conn, queue: ArqRedis, runs: RunService, notifier: Notifier) -> None:
        self.conn = conn
        self.queue = queue
        self.runs = runs
        self.notifier = notifier

    async def approve(self, actor: Actor, run_id: UUID, note: str) -> RunOut:
        """Approved: the packs peers hold for it are confirmed (a hold still pending is
        confirmed as soon as the peer holds it)."""
        async with transaction_then_queue(self.conn, self.queue) as after:
            run = await self._move(actor, run_id, RunState.APPROVED, note)
            await self._members_only(run)
            for message_id in await holds_db.insert_hold_messages(
                self.conn, run_id, HoldStep.CONFIRM, ["held"]
            ):
                after.message(message_id)
        return run_out(run)

    async def reject(self, actor: Actor, run_id: UUID, reason: str) -> RunOut:
        """Not this one: its packs go back to the offers, here and at the peers holding
        some for it; the cycle can be matched again."""
        async with transaction_then_queue(self.conn, self.queue) as after:
            run = await self._move(actor, run_id, RunState.REJECTED, reason)
            await runs_db.release_run_packs(self.conn, run_id)
            for message_id in await holds_db.release_ended_holds(self.conn, run_id=run_id):
                after.message(message_id)
        return run_out(run)

    async def publish(self, actor: Actor, run_id: UUID, note: str) -> RunOut:
        async with transaction_then_queue(self.conn, self.queue) as after:
            run = await self._move(actor, run_id, RunState.PUBLISHED, note)
            await self._members_only(run)
            await self._holds_confirmed(run_id)
            cycle = await cycles_db.set_cycle_state(
                self.conn,
                run["cycle_id"],
                cycle_sources(CycleState.PUBLISHED),
                CycleState.PUBLISHED,
            )
            if cycle is None:
                raise ConflictError("the run's cycle is no longer matched: it can't be published")
            for message_id in await runs_db.supersede_cycle_runs(self.conn, run["cycle_id"]):
                after.message(message_id)  # the superseded runs' holds at peers released
            parties = await runs_db.select_run_parties(self.conn, run_id)
            payloads = {
                row["organisation_id"]: _published_payload(run, cycle, row) for row in parties
            }
            for message_id in await outbox_db.insert_webhooks(
                self.conn, PUBLISHED, run_id, payloads
            ):
                after.message(message_id)
            parts = await self._published_parts(run, cycle, parties)
            for message_id in await notify.run_published(self.notifier, run_id, parts):
                after.message(message_id)
            # each remote producer's order to its deployment (docs/federation.md, "Orders")
            for message_id in await queue_peer_orders(self.conn, run_id, self.notifier.public_url):
                after.message(message_id)
        return run_out(run)

    async def _published_parts(
        self, run: asyncpg.Record, cycle: asyncpg.Record, parties: list[asyncpg.Record]
    ) -> dict[UUID, PublishedPart]:
        """Each party's own document of the run, as its people's mail attaches it: a
        producer its pick list lines, a co-op its delivery note; nobody else's."""
        plan = plan_of(run)
        lines = await pick_lists(self.conn, run["id"], plan)
        notes = {note.coop_id: note for note in await delivery_notes(self.conn, run["id"], plan)}
        day = cycle["delivery_date"].isoformat()
        parts = {}
        for party in parties:
            organisation_id = party["organisation_id"]
            if party["part"] == "producer":
                own = [line for line in lines if line.producer_id == organisation_id]
                parts[organisation_id] = PublishedPart(
                    part="producer",
                    document=attachment(f"pick-list-{day}.csv", "text/csv", to_csv(own)),
                    lines=len(own),
                )
            elif note := notes.get(organisation_id):
                parts[organisation_id] = PublishedPart(
                    part="coop",
                    document=attachment(
                        f"delivery-note-{day}.csv", "text/csv", to_csv(note_rows([note]))
                    ),
                    lines=len(note.lines),
                    goods_ore=note.goods_ore,
                    transport_share_ore=note.transport_share_ore,
                )
        return parts

    async def history(self, actor: Actor, run_id: UUID) -> list[TransitionOut]:
        await self.runs.visible(actor, run_id)
        rows = await runs_db.select_transitions(self.conn, run_id)
        return [
            as_struct(row, TransitionOut, note=str(reason_phrase(row["note"], row["note_values"])))
            for row in rows
        ]

    async def compare(self, actor: Actor, run_id: UUID, earlier_id: UUID) -> RunComparison:
        """What changed from ``earlier_id`` to ``run_id``: figures, and lines that moved."""
        after = await self.runs.with_result(actor, run_id)
        before = await self.runs.with_result(actor, earlier_id)
        if before["cycle_id"] != after["cycle_id"]:
            raise UnprocessableError(
                "the runs match different cycles: compare runs of one cycle",
                field="earlier_run_id",
            )
        figures_before, figures_after = _figures(before), _figures(after)
        return RunComparison(
            before=run_out(before),
            after=run_out(after),
            figures_before=figures_before,
            figures_after=figures_after,
            change=RunFigures(
                **{
                    name: getattr(figures_after, name) - getattr(figures_before, name)
                    for name in RunFigures.__struct_fields__
                }
            ),
            lines_moved=await self._lines_moved(earlier_id, run_id),
        )

    async def _lines_moved(self, before_id: UUID, after_id: UUID) -> list[LineChange]:
        units: dict[tuple[UUID, UUID], list[int]] = {}
        keys: dict[tuple[UUID, UUID], asyncpg.Record] = {}
        for position, run_id in enumerate((before_id, after_id)):
            for row in await runs_db.select_allocations(self.conn, run_id, None):
                key = (row["demand_line_id"], row["offer_id"])
                units.setdefault(key, [0, 0])[position] += row["units"]
                keys[key] = row
        return [
            LineChange(
                demand_line_id=line,
                coop_id=keys[(line, offer)]["coop_id"],
                product_id=keys[(line, offer)]["product_id"],
                offer_id=offer,
                units_before=was,
                units_after=now,
            )
            for (line, offer), (was, now) in sorted(units.items(), key=lambda item: str(item[0]))
            if was != now
        ]

    async def _move(
        self, actor: Actor, run_id: UUID, to_state: RunState, note: str
    ) -> asyncpg.Record:
        """The run moved, inside the caller's transaction: the cycle's lock, then the
        run's state read again under its own, so a decision made meanwhile is seen."""
        from_states = run_sources(to_state)
        seen = await self.runs.visible(actor, run_id)  # 404 before taking any lock
        await cycles_db.select_cycle(self.conn, seen["cycle_id"], lock=True)
        run = await runs_db.select_run(self.conn, run_id, lock=True)
        assert run is not None  # runs are never deleted
        if run["state"] not in from_states:
            allowed = " or ".join(from_states)
            raise ConflictError(
                "the run is {state}: only a {allowed} run can become {to_state}",
                values={
                    "state": Term(run["state"]),
                    "allowed": Term(allowed),
                    "to_state": Term(to_state),
                },
                state=run["state"],
            )
        moved = await runs_db.move_run(self.conn, run_id, from_states, to_state)
        assert moved is not None  # the row is locked and was in a from-state
        await runs_db.insert_transition(
            self.conn, run_id, run["state"], to_state, actor.person_id, actor.token_id, note
        )
        await record(
            self.conn,
            actor,
            f"run.{to_state}",
            "match_run",
            run_id,
            network_id=run["network_id"],
            detail={"from": run["state"], "note": note} if note else {"from": run["state"]},
        )
        return moved

    async def _holds_confirmed(self, run_id: UUID) -> None:
        """A run buying a peer's offers is published only once every peer confirmed
        holding the packs (docs/federation.md, "Holds")."""
        if waiting := await holds_db.select_unconfirmed(self.conn, run_id):
            raise ConflictError(
                "{n} hold(s) at peer deployments are not confirmed yet: {holds}",
                values={
                    "n": len(waiting),
                    "holds": ", ".join(f"{row['hold_id']} ({row['state']})" for row in waiting),
                },
                holds=[
                    {
                        "hold_id": str(row["hold_id"]),
                        "state": row["state"],
                        "reason": str(reason_phrase(row["reason"], row["reason_values"])),
                        "reason_code": row["reason_code"],
                    }
                    for row in waiting
                ],
            )

    async def _members_only(self, run: asyncpg.Record) -> None:
        """A run computed before a member left may still buy from it or deliver to it:
        such a run can't be approved or published; a new run leaves the member out."""
        if outsiders := await runs_db.select_run_outsiders(self.conn, run["id"], run["network_id"]):
            raise ConflictError(
                "the run buys from or delivers to {n} organisation(s) no longer "
                "in the network: match the cycle again",
                values={"n": len(outsiders)},
            )


def _published_payload(
    run: asyncpg.Record, cycle: asyncpg.Record, party: asyncpg.Record
) -> dict[str, Any]:
    """The Standard Webhooks shape: type, timestamp, data; links, never the documents."""
    base = f"/v1/runs/{run['id']}"
    document = "pick-lists" if party["part"] == "producer" else "delivery-notes"
    return {
        "type": PUBLISHED,
        "timestamp": dt.datetime.now(dt.UTC).isoformat(),
        "data": {
            "run_id": str(run["id"]),
            "cycle_id": str(run["cycle_id"]),
            "network_id": str(run["network_id"]),
            "delivery_date": cycle["delivery_date"].isoformat(),
            "organisation_id": str(party["organisation_id"]),
            "part": party["part"],
            "documents": {"json": f"{base}/{document}", "csv": f"{base}/{document}.csv"},
        },
    }


def _figures(run: asyncpg.Record) -> RunFigures:
    summary = msgspec.convert(run["summary"], RunSummary)
    routing = RunRouting.of(run["routing"])
    plan = None
    if routing is not None:
        plan = routing.hub if routing.proposed == "hub" else routing.joint
    return RunFigures(
        firm_units_filled=summary.firm_units_filled,
        lines_filled=summary.lines_filled,
        lines_short=summary.lines_short,
        packs_bought=summary.packs_bought,
        goods_cost_ore=summary.goods_cost_ore,
        routes=plan.routes if plan else 0,
        distance_m=plan.distance_m if plan else 0,
        transport_cost_ore=plan.cost_ore if plan else 0,
        co2_grams=plan.co2_grams if plan else 0,
    )
