"""Which event mails whom, and what each mail is given to say (docs/notifications.md).

One function per event, called in the transaction of the event by whichever process
has it: the API (a coordinator closes a cycle, publishes a run, matches again) or the
matcher (a deadline closes a cycle, a run is stored or fails, a cycle opens or its
deadline nears). Each returns the ids of the messages it wrote, to queue after commit.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping, Sequence
from typing import Any, Literal
from uuid import UUID

import asyncpg
import msgspec

from shared.contracts.invoices import Balance
from shared.contracts.messages import Attachment
from shared.contracts.notifications import NotificationKind
from shared.contracts.runs import RunRouting, RunSummary
from shared.db import invoices as invoices_db
from shared.db import joins as joins_db
from shared.db import notices as notices_db
from shared.formatting import day, kronor, moment, number
from shared.notifications.notifier import Notifier, Recipient, recipients_of

MEMBERS = ("coop", "producer")
COORDINATORS = ("coordinator",)
# Where each kind of organisation takes part in a cycle.
OWN_PAGE = {"coop": "/app/coop", "producer": "/app/producer"}


class PublishedPart(msgspec.Struct, kw_only=True, frozen=True):
    """One organisation's own part of a published run, as its mail carries it."""

    part: Literal["producer", "coop"]
    document: Attachment  # its pick list or delivery note, its lines only
    lines: int
    goods_ore: int = 0
    transport_share_ore: int = 0


async def cycle_opened(notifier: Notifier, cycle_id: UUID) -> list[UUID]:
    """The network's co-ops and producers: the cycle is open; its deadline and delivery."""
    return await _cycle_notice(notifier, cycle_id, NotificationKind.CYCLE_OPENED, None)


async def deadline_near(notifier: Notifier, cycle_id: UUID) -> list[UUID]:
    """Co-ops that have not ordered and producers with no offer in the network: a reminder."""
    late = await notices_db.select_late(notifier.conn, cycle_id)
    return await _cycle_notice(notifier, cycle_id, NotificationKind.DEADLINE_NEAR, late)


async def due_cycle_notices(notifier: Notifier) -> list[UUID]:
    """Every cycle notice now due and not yet sent, claimed and written once."""
    written = []
    for cycle_id in await notices_db.claim_opened(notifier.conn):
        written += await cycle_opened(notifier, cycle_id)
    for cycle_id in await notices_db.claim_deadlines(notifier.conn):
        written += await deadline_near(notifier, cycle_id)
    return written


async def cycle_closed(notifier: Notifier, cycle_id: UUID, run_id: UUID) -> list[UUID]:
    """The coordinators: the cycle closed, how many co-ops ordered, matching runs."""
    cycle = await _cycle(notifier, cycle_id)
    ordering = await notices_db.count_ordering(notifier.conn, cycle_id)
    people = await _people(
        notifier, cycle["network_id"], COORDINATORS, NotificationKind.CYCLE_CLOSED
    )

    def values(recipient: Recipient) -> dict[str, Any]:
        return {
            **_cycle_values(cycle, recipient),
            "coops_ordering": ordering,
            "link": notifier.link(f"/app/runs/{run_id}"),
        }

    return await notifier.send(
        NotificationKind.CYCLE_CLOSED,
        "cycle_closed",
        people,
        about=cycle_id,
        network_id=cycle["network_id"],
        run_id=run_id,
        values=values,
    )


async def run_proposed(notifier: Notifier, run_id: UUID) -> list[UUID]:
    """The coordinators: a run is ready to review, with its headline figures."""
    run = await _run(notifier, run_id)
    summary = msgspec.convert(run["summary"], RunSummary)
    routing = RunRouting.of(run["routing"])
    plan = (
        routing.hub if routing and routing.proposed == "hub" else routing.joint if routing else None
    )

    def values(recipient: Recipient) -> dict[str, Any]:
        language = recipient.language
        filled = summary.firm_units_filled / max(summary.firm_units_demanded, 1) * 100
        return {
            **_run_values(notifier, run, recipient),
            "packs": number(summary.packs_bought, language),
            "goods": kronor(summary.goods_cost_ore, language),
            "fill_percent": number(filled, language),
            "lines_short": summary.lines_short,
            "routes": plan.routes if plan else 0,
            "km": number((plan.distance_m if plan else 0) / 1000, language),
            "km_saved": number(routing.savings.distance_m / 1000 if routing else 0, language),
            "transport": kronor(plan.cost_ore if plan else 0, language),
        }

    return await _to_coordinators(notifier, run, "run_proposed", values)


async def run_failed(notifier: Notifier, run_id: UUID) -> list[UUID]:
    """The coordinators: a run failed, and why."""
    run = await _run(notifier, run_id)

    def values(recipient: Recipient) -> dict[str, Any]:
        return {**_run_values(notifier, run, recipient), "reason": run["error"] or ""}

    return await _to_coordinators(notifier, run, "run_failed", values)


async def run_published(
    notifier: Notifier, run_id: UUID, parts: Mapping[UUID, PublishedPart]
) -> list[UUID]:
    """Each producer its pick list, each co-op its delivery note and transport share:
    linked, and attached (its own lines only)."""
    run = await _run(notifier, run_id)
    people = await _people(
        notifier, run["network_id"], MEMBERS, NotificationKind.RUN_PUBLISHED, list(parts)
    )

    def values(recipient: Recipient) -> dict[str, Any]:
        part = parts[recipient.organisation_id]
        return {
            **_run_values(notifier, run, recipient),
            "part": part.part,
            "lines": part.lines,
            "goods": kronor(part.goods_ore, recipient.language),
            "transport_share": kronor(part.transport_share_ore, recipient.language),
            "link": notifier.link(OWN_PAGE[part.part]),
        }

    return await notifier.send(
        NotificationKind.RUN_PUBLISHED,
        "run_published",
        people,
        about=run_id,
        network_id=run["network_id"],
        run_id=run_id,
        values=values,
        files=lambda recipient: [parts[recipient.organisation_id].document],
    )


async def left_out(
    notifier: Notifier,
    run_id: UUID,
    *,
    coop_ids: Sequence[UUID],
    offer_ids: Sequence[UUID],
    reason: str,
) -> list[UUID]:
    """The co-ops a re-run leaves out, and the producers of the offers it leaves out (of
    the run's network only), with the coordinator's reason."""
    run = await _run(notifier, run_id)
    producers = await notices_db.select_offer_producers(notifier.conn, run["network_id"], offer_ids)
    people = await _people(
        notifier,
        run["network_id"],
        MEMBERS,
        NotificationKind.LEFT_OUT,
        [*coop_ids, *producers],
    )

    def values(recipient: Recipient) -> dict[str, Any]:
        return {
            **_run_values(notifier, run, recipient),
            "reason": reason,
            "link": notifier.link(OWN_PAGE[recipient.organisation_kind]),
        }

    return await notifier.send(
        NotificationKind.LEFT_OUT,
        "left_out",
        people,
        about=run_id,
        network_id=run["network_id"],
        run_id=run_id,
        values=values,
    )


async def join_requested(notifier: Notifier, request_id: UUID) -> list[UUID]:
    """The coordinators: an organisation confirmed its request to join by the link and
    waits for their decision; who, where, and a link to the members page."""
    request = await joins_db.select_request(notifier.conn, request_id)
    assert request is not None, "a notice of a request that is not there"
    network_id = request["network_id"]
    people = await _people(notifier, network_id, COORDINATORS, NotificationKind.JOIN_REQUESTED)

    def values(recipient: Recipient) -> dict[str, Any]:
        return {
            "network": request["network"],
            "applicant": request["organisation_name"],
            "kind": request["kind"],
            "person": request["person_name"],
            "email": request["email"],
            "address": request["address"],
            "link": notifier.link(f"/app/networks/{network_id}/members"),
        }

    return await notifier.send(
        NotificationKind.JOIN_REQUESTED,
        "join_requested",
        people,
        about=request_id,
        network_id=network_id,
        values=values,
    )


async def _cycle_notice(
    notifier: Notifier, cycle_id: UUID, kind: NotificationKind, only: list[UUID] | None
) -> list[UUID]:
    cycle = await _cycle(notifier, cycle_id)
    people = await _people(notifier, cycle["network_id"], MEMBERS, kind, only)

    def values(recipient: Recipient) -> dict[str, Any]:
        return {
            **_cycle_values(cycle, recipient),
            "part": recipient.organisation_kind,
            "link": notifier.link(OWN_PAGE[recipient.organisation_kind]),
        }

    return await notifier.send(
        kind, str(kind), people, about=cycle_id, network_id=cycle["network_id"], values=values
    )


async def _to_coordinators(
    notifier: Notifier, run: asyncpg.Record, template: str, values: Any
) -> list[UUID]:
    people = await _people(notifier, run["network_id"], COORDINATORS, NotificationKind.RUN_PROPOSED)
    return await notifier.send(
        NotificationKind.RUN_PROPOSED,
        template,
        people,
        about=run["id"],
        network_id=run["network_id"],
        run_id=run["id"],
        values=values,
    )


async def _people(
    notifier: Notifier,
    network_id: UUID,
    kinds: Sequence[str],
    kind: NotificationKind,
    only: Sequence[UUID] | None = None,
) -> list[Recipient]:
    if only is not None and not only:
        return []
    rows = await notices_db.select_recipients(notifier.conn, network_id, kinds, kind, only)
    return recipients_of(rows)


async def _cycle(notifier: Notifier, cycle_id: UUID) -> asyncpg.Record:
    cycle = await notices_db.select_cycle(notifier.conn, cycle_id)
    assert cycle is not None, "a notice of a cycle that is not there"
    return cycle


async def _run(notifier: Notifier, run_id: UUID) -> asyncpg.Record:
    run = await notices_db.select_run(notifier.conn, run_id)
    assert run is not None, "a notice of a run that is not there"
    return run


def _cycle_values(cycle: asyncpg.Record, recipient: Recipient) -> dict[str, Any]:
    language = recipient.language
    return {
        "network": cycle["network"],
        "closes_at": moment(cycle["closes_at"], language, cycle["timezone"]),
        "delivery_date": day(cycle["delivery_date"], language),
    }


def _run_values(notifier: Notifier, run: asyncpg.Record, recipient: Recipient) -> dict[str, Any]:
    return {
        "network": run["network"],
        "run_version": run["run_version"],
        "delivery_date": day(run["delivery_date"], recipient.language),
        "link": notifier.link(f"/app/runs/{run['id']}"),
    }


REMINDER_INTERVAL_DAYS = 14  # an overdue invoice is reminded of again after this many days


async def due_invoice_reminders(notifier: Notifier, today: dt.date | None = None) -> list[UUID]:
    """Every overdue invoice's reminder now due, claimed and written once: to the buyer's
    people, once past the due date and again each ``REMINDER_INTERVAL_DAYS`` while
    something stays open (``today``: the networks' own dates unless a test says)."""
    written = []
    for invoice_id, reminder_no in await invoices_db.claim_reminders(
        notifier.conn, REMINDER_INTERVAL_DAYS, today
    ):
        written += await invoice_overdue(notifier, invoice_id, reminder_no)
    return written


async def invoice_overdue(notifier: Notifier, invoice_id: UUID, reminder_no: int) -> list[UUID]:
    """The buyer's people: the invoice is past its due date, what is open, where to pay."""
    invoice = await invoices_db.select_invoice(notifier.conn, invoice_id)
    assert invoice is not None, "a reminder of an invoice that is not there"
    network = await invoices_db.select_network(notifier.conn, invoice["network_id"])
    assert network is not None
    open_ore = msgspec.convert(dict(invoice), Balance, strict=False).open_ore
    people = await _people(
        notifier,
        invoice["network_id"],
        MEMBERS + COORDINATORS,
        NotificationKind.INVOICE_OVERDUE,
        [invoice["buyer_id"]],
    )
    issuer = invoice["issuer"]

    def values(recipient: Recipient) -> dict[str, Any]:
        language = recipient.language
        return {
            "network": network["name"],
            "number": invoice["number"],
            "issuer": issuer["legal_name"],
            "total": kronor(invoice["total_ore"], language),
            "open": kronor(open_ore, language),
            "due_on": day(invoice["due_on"], language),
            "ocr": invoice["ocr_reference"],
            "bankgiro": issuer.get("bankgiro", ""),
            "plusgiro": issuer.get("plusgiro", ""),
            "iban": issuer.get("iban", ""),
            "reminder_no": reminder_no,
            "link": notifier.link(f"/app/invoices/{invoice_id}"),
            "invoices_link": notifier.link("/app/invoices"),
        }

    return await notifier.send(
        NotificationKind.INVOICE_OVERDUE,
        "invoice_overdue",
        people,
        # one mail per reminder: the outbox's key is kind, object and person
        about=uuid.uuid5(invoice_id, f"reminder:{reminder_no}"),
        network_id=invoice["network_id"],
        run_id=invoice["run_id"],
        values=values,
    )
