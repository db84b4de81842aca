"""A new co-op joins a network by its link in a real Chromium, with the session's real
SMTP server: the coordinator makes and shares the link on the members page; the co-op
asks on a phone, in Swedish (one form, a mistake first), confirms its address from the
mail, waits; the coordinator approves; the co-op signs in from the approval's mail and
orders. Every page checked by axe and screenshotted at desktop and phone width.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import httpx
from playwright.async_api import Browser, expect

from shared.db.pool import Pool
from tests.support.browser import (
    DESKTOP,
    PHONE,
    csp_violations,
    require_chromium,
    shoot,
    sign_in,
)
from tests.support.mailbox import Mailbox, mail_to
from tests.support.world import World, build_world

require_chromium()


async def _world(site: str, admin_token: str) -> World:
    async with httpx.AsyncClient(base_url=site) as http:
        return await build_world(http, admin_token)  # type: ignore[arg-type]


def on_site(site: str, link: str) -> str:
    """A link (from a mail or the page), on the test's own server."""
    parts = urlsplit(link)
    return f"{site}{parts.path}" + (f"?{parts.query}" if parts.query else "")


async def test_a_new_coop_joins_by_the_link_on_a_phone_and_orders_once_approved(
    site: str, browser: Browser, admin_token: str, pool: Pool, mailbox: Mailbox
) -> None:
    world = await _world(site, admin_token)
    email = f"lina-{world.network['id'][:8]}@example.org"

    # the coordinator makes the join link on the members page, from the dashboard
    office = await browser.new_context(locale="sv-SE", viewport=DESKTOP)
    violations = await csp_violations(office)
    coordinator = await office.new_page()
    coordinator.on("dialog", lambda dialog: dialog.accept())
    await sign_in(coordinator, site, pool, world.coordinator)
    await (
        coordinator.get_by_role("navigation", name=f"Ställ in {world.network['name']}")
        .get_by_role("link", name="Medlemmar")
        .click()
    )
    await expect(coordinator.locator("[data-member='Matkassen Luthagen']")).to_be_visible()
    await coordinator.get_by_role("button", name="Skapa en länk för att gå med").click()
    await expect(coordinator.get_by_role("status")).to_contain_text("ny länk för att gå med")
    shared = await coordinator.get_by_label("Länken").input_value()
    assert "/app/join/" in shared
    await shoot(coordinator, "join-0-members-with-link")

    # a new co-op opens it on a phone, in Swedish
    phone = await browser.new_context(locale="sv-SE", viewport=PHONE)
    violations += await csp_violations(phone)
    coop = await phone.new_page()
    await coop.goto(on_site(site, shared))
    await expect(
        coop.get_by_role("heading", name=f"Gå med i {world.network['name']}")
    ).to_be_visible()
    await shoot(coop, "join-1-form")
    await coop.get_by_label("Kooperativets eller gårdens namn").fill("Matkassen Gottsunda")
    await coop.get_by_label("Ditt namn").fill("Lina")
    await coop.get_by_label("E-postadress", exact=True).fill(email)
    await coop.get_by_label("Adress", exact=True).fill("Gottsunda allé 1, Uppsala")
    await coop.get_by_text("Avancerat: latitud och longitud").click()
    await coop.get_by_label("Latitud").fill("59,8098")
    await coop.get_by_label("Longitud").fill("17,6226")
    await coop.get_by_role("button", name="Ansök om att gå med").click()
    # no hours given: said beside the hours, and nothing typed is lost
    await expect(coop.locator("#e-windows")).to_contain_text("minst en dag")
    await expect(coop.get_by_label("Kooperativets eller gårdens namn")).to_have_value(
        "Matkassen Gottsunda"
    )
    await shoot(coop, "join-2-form-error")
    tuesday = coop.locator("[data-window='1']")
    await tuesday.get_by_label("Dag").select_option(label="tisdag")
    await tuesday.get_by_label("Från").fill("16:00")
    await tuesday.get_by_label("Till").fill("19:00")
    await coop.get_by_role("button", name="Ansök om att gå med").click()
    await expect(coop.locator("[data-join-sent]")).to_contain_text(email)
    await shoot(coop, "join-3-check-mail")

    # the mail confirms the address; the co-op then waits, signed in
    confirm = await mail_to(mailbox, email, "Bekräfta din e-postadress")
    link = next(link for link in confirm.links() if "/app/join/confirm" in link)
    await coop.goto(on_site(site, link))
    await expect(coop.get_by_role("heading", name="Bekräfta din e-postadress")).to_be_visible()
    await shoot(coop, "join-4-confirm")
    await coop.get_by_role("button", name="Bekräfta och skicka ansökan").click()
    await expect(coop).to_have_url(re.compile(r"/app/coop$"))
    await expect(coop.locator("[data-waiting]")).to_contain_text(world.network["name"])
    await expect(coop.locator("[data-demand]")).to_have_count(0)
    await shoot(coop, "join-5-waiting")

    # the coordinator is told by mail, and approves on the members page
    await mail_to(mailbox, await _coordinator_email(pool, world), "Matkassen Gottsunda vill gå med")
    await coordinator.goto(site + "/app/dashboard")
    await coordinator.locator("[data-waiting-to-join]").get_by_role("link").click()
    request = coordinator.locator("[data-join-request='Matkassen Gottsunda']")
    await expect(request).to_contain_text("tisdag 16:00\N{EN DASH}19:00")
    await shoot(coordinator, "join-6-waiting-for-approval")
    await request.get_by_role("button", name="Godkänn Matkassen Gottsunda").click()
    await expect(coordinator.get_by_role("status")).to_contain_text("ansökan godkänd")
    await expect(coordinator.locator("[data-member='Matkassen Gottsunda']")).to_be_visible()
    await shoot(coordinator, "join-7-approved")
    # removing a member first shows what it withdraws; going back removes nothing
    await coordinator.get_by_role("link", name="Ta bort Ekeby Gård…").click()
    await expect(coordinator.get_by_role("heading", name="Ta bort Ekeby Gård?")).to_be_visible()
    await expect(coordinator.locator("[data-withdraws='offers']")).to_contain_text("inget dras")
    await shoot(coordinator, "join-7a-remove-confirmation")
    await coordinator.get_by_role("link", name="Nej, gå tillbaka").click()
    await expect(coordinator.locator("[data-member='Ekeby Gård']")).to_be_visible()

    # the co-op signs in from the approval's mail, on another phone, and orders
    welcome = await mail_to(mailbox, email, "Matkassen Gottsunda är med i")
    sign_in_link = next(link for link in welcome.links() if "/app/sign-in/link" in link)
    other = await browser.new_context(locale="sv-SE", viewport=PHONE)
    violations += await csp_violations(other)
    member = await other.new_page()
    await member.goto(on_site(site, sign_in_link))
    await member.get_by_role("button", name="Logga in på Samlast").click()
    await expect(member).to_have_url(re.compile(r"/app/coop$"))
    order = member.locator("[data-demand]")
    await expect(order).to_have_count(1)
    await expect(member.locator("[data-place-missing]")).to_have_count(0)
    await shoot(member, "join-8-order-form")
    await order.get_by_label("Hur mycket, kg (Morötter").first.fill("4")
    await order.get_by_role("button", name="Spara beställningen").click()
    await expect(member.get_by_role("status")).to_contain_text("beställning")
    assert violations == []
    for context in (office, phone, other):
        await context.close()


async def _coordinator_email(pool: Pool, world: World) -> str:
    """The address of the coordinator's person the sign-in made (the newest)."""
    async with pool.acquire() as conn:
        email: str = await conn.fetchval(
            "SELECT p.email FROM person p JOIN person_organisation po ON po.person_id = p.id"
            " JOIN membership m ON m.organisation_id = po.organisation_id"
            " JOIN organisation o ON o.id = m.organisation_id"
            " WHERE m.network_id = $1::uuid AND o.kind = 'coordinator'"
            " ORDER BY p.created_at DESC LIMIT 1",
            world.network["id"],
        )
    return email
