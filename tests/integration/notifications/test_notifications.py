"""Notifications reach the right people once, in their language, over the session's real
SMTP server: the API's events (a close, a publish, a re-run), the matcher's (a stored or
failed run) and its cron job's (a cycle opening, its deadline near); a muted kind is not
sent, and one-click unsubscribe mutes it."""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any
from urllib.parse import urlsplit

from services.matcher.matching.run import fail
from shared.db.pool import Pool
from shared.formatting import day
from shared.settings import Settings
from tests.support.http import Client, bearer, ok
from tests.support.mailbox import Mailbox, Received, mail_to
from tests.support.notices import cycle_notices
from tests.support.people import person_for
from tests.support.workers import drain
from tests.support.world import (
    World,
    add_coop,
    add_van,
    build_world,
    close_cycle,
    offer_body,
    open_cycle,
    order,
)


async def _mute(pool: Pool, email: str, *kinds: str) -> None:
    async with pool.acquire() as conn:
        await conn.execute("UPDATE person SET muted = $2 WHERE email = $1", email, list(kinds))


async def _muted(pool: Pool, email: str) -> list[str]:
    async with pool.acquire() as conn:
        return list(await conn.fetchval("SELECT muted FROM person WHERE email = $1", email))


async def _remind_within(client: Client, world: World, hours: int) -> None:
    url = f"/v1/networks/{world.network['id']}"
    read = await client.get(url, headers=bearer(world.coordinator))
    patched = await ok(
        await client.patch(
            url,
            json={"deadline_reminder_hours": hours},
            headers={**bearer(world.coordinator), "If-Match": read.headers["etag"]},
        )
    )
    assert patched["deadline_reminder_hours"] == hours


async def _offer(client: Client, world: World) -> None:
    await ok(
        await client.post("/v1/offers", json=offer_body(world), headers=bearer(world.producer)),
        201,
    )


def _carrots(world: World, units: int) -> list[dict[str, Any]]:
    return [{"product_id": world.products["Morötter"]["id"], "firm_quantity": units}]


def _csv(received: Received) -> tuple[str, list[dict[str, str]]]:
    ((filename, content_type, content),) = received.attachments()
    assert content_type == "text/csv"
    return filename, list(csv.DictReader(io.StringIO(content.decode("utf-8"))))


def _one_click(received: Received) -> str:
    assert received.header("List-Unsubscribe-Post") == "List-Unsubscribe=One-Click"
    header = received.header("List-Unsubscribe")
    assert header is not None
    assert header.startswith("<")
    assert header.endswith(">")
    url = urlsplit(header[1:-1])
    return f"{url.path}?{url.query}"


async def test_a_cycle_mails_each_party_once_in_its_language(
    client: Client, admin_token: str, settings: Settings, pool: Pool, mailbox: Mailbox
) -> None:
    world = await build_world(client, admin_token)
    network = world.network["name"]
    delivery = world.cycle["delivery_date"]
    _, coordinator = await person_for(pool, world.coordinator, language="en")
    _, coop = await person_for(pool, world.coop)  # Swedish
    _, producer = await person_for(pool, world.producer, language="en")
    _other_id, other_token = await add_coop(client, world)
    _, other = await person_for(pool, other_token)
    _, quiet = await person_for(pool, other_token, language="en")
    await _mute(pool, quiet, "cycle_opened", "deadline_near", "run_published")

    # the cycle is open: co-ops and producers hear of it, each in their own language
    await cycle_notices(pool, settings)
    await drain(settings)
    opened = await mail_to(mailbox, coop, f"Beställningen är öppen i {network}")
    assert "/app/coop" in opened.text
    assert "Beställ senast" in opened.text
    assert day(dt.date.fromisoformat(delivery), "sv") in opened.text
    assert "/app/coop" in opened.html
    told = await mail_to(mailbox, producer, f"Ordering is open in {network}")
    assert "/app/producer" in told.text
    assert "Post your offers by" in told.text
    await mail_to(mailbox, other, f"Beställningen är öppen i {network}")
    # ... once: the cron job running again sends nothing new
    await cycle_notices(pool, settings)
    await drain(settings)
    assert len(mailbox.find(to=coop, subject="Beställningen är öppen")) == 1

    # the deadline nears: only the co-op that has not ordered is reminded, once
    await _offer(client, world)
    await order(client, world.cycle["id"], world.coop, _carrots(world, 14))
    await _remind_within(client, world, 72)  # the cycle closes in 48 hours
    await cycle_notices(pool, settings)
    await cycle_notices(pool, settings)
    await drain(settings)
    reminded = await mail_to(mailbox, other, f"Påminnelse: beställningen i {network} stänger")
    assert "ni har inte beställt än" in reminded.text
    assert len(mailbox.find(to=other, subject="Påminnelse")) == 1
    assert mailbox.find(to=coop, subject="Påminnelse") == []  # it ordered
    assert mailbox.find(to=producer, subject="Reminder") == []  # it has an offer

    # closed by the coordinator: the coordinators hear how many ordered, then the figures
    await order(client, world.cycle["id"], other_token, _carrots(world, 6))
    await add_van(client, world)
    run = await close_cycle(client, world)
    await drain(settings)
    closed = await mail_to(mailbox, coordinator, f"Ordering closed in {network}")
    assert "2 co-ops ordered" in closed.text
    proposed = await mail_to(mailbox, coordinator, f"Proposal 1 ready to review: {network}")
    assert "packs bought" in proposed.text
    assert f"/app/runs/{run['id']}" in proposed.text
    assert mailbox.find(to=coop, subject="stängt") == []  # closing is the coordinators' news

    # published: each co-op its own delivery note, the producer its pick list, attached
    for step in ("approve", "publish"):
        await ok(
            await client.post(f"/v1/runs/{run['id']}/{step}", headers=bearer(world.coordinator))
        )
    await drain(settings)
    note = await mail_to(mailbox, coop, "Er följesedel för")
    filename, rows = _csv(note)
    assert filename == f"delivery-note-{delivery}.csv"
    assert {row["coop"] for row in rows} == {"Matkassen Luthagen"}  # never another's lines
    assert sum(int(row["units"]) for row in rows) >= 14
    assert "/app/coop" in note.text
    _, other_rows = _csv(await mail_to(mailbox, other, "Er följesedel för"))
    assert {row["coop"] for row in other_rows} == {"Matkassen Svartbäcken"}
    pick_list = await mail_to(mailbox, producer, "Your pick list for")
    _, picks = _csv(pick_list)
    assert {row["producer"] for row in picks} == {"Ekeby Gård"}
    assert {row["coop"] for row in picks} == {"Matkassen Luthagen", "Matkassen Svartbäcken"}

    # what each was sent, once each; the person who muted those kinds got none of them
    assert mailbox.find(to=quiet) == []
    assert mailbox.find(to=coordinator, subject="Ordering is open") == []
    for address in (coop, other, producer, coordinator):
        subjects = [received.subject for received in mailbox.find(to=address)]
        assert len(subjects) == len(set(subjects)), subjects


async def test_a_rerun_tells_those_left_out_why_and_a_failed_run_tells_the_coordinators(
    client: Client, admin_token: str, settings: Settings, pool: Pool, mailbox: Mailbox
) -> None:
    world = await build_world(client, admin_token)
    network = world.network["name"]
    _, coordinator = await person_for(pool, world.coordinator, language="en")
    _, coop = await person_for(pool, world.coop)
    other_id, other_token = await add_coop(client, world)
    _, other = await person_for(pool, other_token)
    _, other_en = await person_for(pool, other_token, language="en")
    await _offer(client, world)
    await order(client, world.cycle["id"], world.coop, _carrots(world, 14))
    await order(client, world.cycle["id"], other_token, _carrots(world, 6))
    await close_cycle(client, world)
    await drain(settings)
    await mail_to(mailbox, coordinator, f"Proposal 1 ready to review: {network}")

    reason = "Beställningen kom efter att vi pratat med gården"
    await ok(
        await client.post(
            f"/v1/cycles/{world.cycle['id']}/runs",
            json={"exclude_coops": [other_id], "reason": reason},
            headers=bearer(world.coordinator),
        ),
        201,
    )
    await drain(settings)
    left_out = await mail_to(mailbox, other, f"Utanför den nya matchningen i {network}")
    assert reason in left_out.text
    assert reason in left_out.html
    in_english = await mail_to(mailbox, other_en, f"Left out of the new matching in {network}")
    assert reason in in_english.text
    assert mailbox.find(to=coop, subject="Utanför") == []
    await mail_to(mailbox, coordinator, f"Proposal 2 ready to review: {network}")

    # a run that fails: the coordinators hear why, once
    third = await ok(
        await client.post(
            f"/v1/cycles/{world.cycle['id']}/runs", json={}, headers=bearer(world.coordinator)
        ),
        201,
    )
    await fail(pool, settings, third["id"], "the road router did not answer")
    await fail(pool, settings, third["id"], "again")  # already failed: nothing more
    await drain(settings)
    failed = await mail_to(mailbox, coordinator, f"Matching failed: {network}")
    assert "the road router did not answer" in failed.text
    assert len(mailbox.find(to=coordinator, subject="Matching failed")) == 1


async def test_one_click_unsubscribe_turns_that_mail_off_and_nothing_else(
    client: Client, admin_token: str, settings: Settings, pool: Pool, mailbox: Mailbox
) -> None:
    world = await build_world(client, admin_token)
    network = world.network["name"]
    _, coop = await person_for(pool, world.coop)
    _, producer = await person_for(pool, world.producer, language="en")
    await cycle_notices(pool, settings)
    await drain(settings)
    opened = await mail_to(mailbox, coop, f"Beställningen är öppen i {network}")
    link = _one_click(opened)
    assert link.startswith("/app/unsubscribe?token=")
    assert any(urlsplit(found).path == "/app/unsubscribe" for found in opened.links())

    shown = await client.get(link)  # a mail scanner fetching the link turns nothing off
    assert shown.status_code == 200
    assert "data-unsubscribe" in shown.text
    assert await _muted(pool, coop) == []
    forged = await client.post(
        "/app/unsubscribe?token=gAAAAAforged",
        content=b"List-Unsubscribe=One-Click",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert forged.status_code == 410
    # the mail provider's POST, from another site
    clicked = await client.post(
        link,
        content=b"List-Unsubscribe=One-Click",
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Origin": "https://mail.example.net",
        },
    )
    assert clicked.status_code == 200, clicked.text
    assert "data-unsubscribed" in clicked.text
    assert await _muted(pool, coop) == ["cycle_opened"]
    again = await client.post(link, content=b"List-Unsubscribe=One-Click")
    assert again.status_code == 200
    assert await _muted(pool, coop) == ["cycle_opened"]  # only ever that one kind

    # the next cycle: the producer hears of it, the co-op that unsubscribed does not
    await open_cycle(client, world, closes_in_days=3)
    await cycle_notices(pool, settings)
    await drain(settings)
    await mail_to(mailbox, producer, f"Ordering is open in {network}", count=2)
    assert len(mailbox.find(to=coop, subject="Beställningen är öppen")) == 1
