"""Overdue invoices remind their buyers by mail, over the session's real SMTP server:
once past the due date and once more each reminder interval while something stays open,
never twice for the same interval however often the job runs; a paid invoice is never
reminded of, and a person who turned the kind off gets nothing."""

from __future__ import annotations

import datetime as dt
from uuid import UUID

from shared.db.pool import Pool
from shared.notifications.events import REMINDER_INTERVAL_DAYS
from shared.settings import Settings
from tests.support.http import Client, bearer, ok
from tests.support.mailbox import Mailbox, mail_to
from tests.support.money import invoiced_run
from tests.support.notices import invoice_reminders
from tests.support.people import person_for
from tests.support.workers import drain
from tests.support.world import build_world


async def test_an_overdue_invoice_reminds_its_buyer_once_per_interval(
    client: Client, admin_token: str, pool: Pool, settings: Settings, mailbox: Mailbox
) -> None:
    world = await build_world(client, admin_token)
    run_id, other_id, other_token, _ = await invoiced_run(client, world, pool, settings)
    _, buyer = await person_for(pool, world.coop)  # Swedish
    _, english = await person_for(pool, world.coop, language="en")
    _, quiet = await person_for(pool, world.coop)
    async with pool.acquire() as conn:
        await conn.execute("UPDATE person SET muted = '{invoice_overdue}' WHERE email = $1", quiet)
    _, other = await person_for(pool, other_token)
    issued = await ok(
        await client.post(f"/v1/runs/{run_id}/invoices", headers=bearer(world.coordinator))
    )
    invoices = issued["invoices"]
    (goods,) = [i for i in invoices if i["buyer_id"] == world.coop_id and i["purpose"] == "goods"]
    due = dt.date.fromisoformat(goods["due_on"])

    # on the due date nothing is overdue yet
    assert await invoice_reminders(pool, settings, due) == 0

    # the other co-op pays its invoices in full: never reminded
    for invoice in invoices:
        if invoice["buyer_id"] == other_id:
            await ok(
                await client.post(
                    f"/v1/invoices/{invoice['id']}/payments",
                    json={"paid_on": goods["issued_on"]},
                    headers=bearer(world.coordinator),
                ),
                201,
            )
    # the co-op pays part of the goods invoice: reminded of what is open
    part = goods["total_ore"] // 4
    await ok(
        await client.post(
            f"/v1/invoices/{goods['id']}/payments",
            json={"paid_on": goods["issued_on"], "amount_ore": part},
            headers=bearer(world.producer),
        ),
        201,
    )

    # the day after the due date: a reminder, in each person's language, once
    day_after = due + dt.timedelta(days=1)
    first = await invoice_reminders(pool, settings, day_after)
    assert first > 0
    assert await invoice_reminders(pool, settings, day_after) == 0  # the job again: nothing
    await drain(settings)
    issuer = goods["issuer"]["legal_name"]
    reminded = await mail_to(mailbox, buyer, f"Påminnelse: faktura {goods['number']} från {issuer}")
    open_kr = goods["total_ore"] - part
    assert f"{open_kr // 100:,}".replace(",", "\u00a0") in reminded.text
    assert goods["ocr_reference"] in reminded.text
    assert goods["issuer"]["bankgiro"] in reminded.text
    assert f"/app/invoices/{goods['id']}" in reminded.text
    await mail_to(mailbox, english, f"Reminder: invoice {goods['number']} from {issuer}")
    assert mailbox.find(to=quiet, subject="faktura") == []  # turned off
    assert mailbox.find(to=other, subject="faktura") == []  # paid in full
    assert len(mailbox.find(to=buyer, subject=f"faktura {goods['number']} från {issuer}")) == 1

    # within the interval: nothing more; after it, the second reminder
    within = day_after + dt.timedelta(days=REMINDER_INTERVAL_DAYS - 1)
    assert await invoice_reminders(pool, settings, within) == 0
    later = day_after + dt.timedelta(days=REMINDER_INTERVAL_DAYS)
    assert await invoice_reminders(pool, settings, later) > 0
    await drain(settings)
    subject = f"faktura {goods['number']} från {issuer}"
    await mail_to(mailbox, buyer, subject, count=2)
    both = mailbox.find(to=buyer, subject=subject)
    assert sorted("påminnelse 2" in received.text for received in both) == [False, True]
    async with pool.acquire() as conn:
        rows = await conn.fetch(
            "SELECT reminder_no, reminded_on FROM invoice_reminder WHERE invoice_id = $1"
            " ORDER BY reminder_no",
            UUID(goods["id"]),
        )
    assert [(r["reminder_no"], r["reminded_on"]) for r in rows] == [(1, day_after), (2, later)]

    # paid at last: no third reminder
    await ok(
        await client.post(
            f"/v1/invoices/{goods['id']}/payments",
            json={"paid_on": goods["issued_on"]},
            headers=bearer(world.producer),
        ),
        201,
    )
    after_paid = later + dt.timedelta(days=REMINDER_INTERVAL_DAYS)
    await invoice_reminders(pool, settings, after_paid)
    async with pool.acquire() as conn:
        count = await conn.fetchval(
            "SELECT count(*) FROM invoice_reminder WHERE invoice_id = $1", UUID(goods["id"])
        )
    assert count == 2
