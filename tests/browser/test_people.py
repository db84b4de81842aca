"""People in a real Chromium, with the session's real SMTP server: a coordinator invites
a co-op by e-mail, its person accepts from the mail and orders; a sign-in link works
once; signing out, or being signed out from another browser, ends a session. In Swedish
and English, every page screenshotted at desktop and phone width.
"""

from __future__ import annotations

import asyncio
import re
from urllib.parse import urlsplit

import httpx
from playwright.async_api import Browser, Page, expect

from services.api.auth.sessions import COOKIE
from shared.db.pool import Pool
from tests.support.browser import DESKTOP, csp_violations, require_chromium, shoot, sign_in
from tests.support.mailbox import Mailbox, mail_to
from tests.support.people import PASSWORD, person_for
from tests.support.world import World, build_world

require_chromium()


async def _world(site: str, admin_token: str) -> World:
    async with httpx.AsyncClient(base_url=site) as http:
        return await build_world(http, admin_token)  # type: ignore[arg-type]


def on_site(site: str, link: str) -> str:
    """The mail's link, on the test's own server (the public URL may name another)."""
    parts = urlsplit(link)
    return f"{site}{parts.path}?{parts.query}"


async def confirm_dialogs(page: Page) -> None:
    page.on("dialog", lambda dialog: asyncio.ensure_future(dialog.accept()))


async def test_a_coordinator_invites_a_coop_which_accepts_from_the_mail_and_orders(
    site: str, browser: Browser, admin_token: str, pool: Pool, mailbox: Mailbox
) -> None:
    world = await _world(site, admin_token)
    invited = f"karin-{world.network['id'][:8]}@example.org"
    context = await browser.new_context(locale="sv-SE", viewport=DESKTOP)
    violations = await csp_violations(context)
    page = await context.new_page()
    await sign_in(page, site, pool, world.coordinator)
    await page.get_by_role("link", name="Personer").click()
    form = page.get_by_role("region", name="Bjud in en producent eller ett matkooperativ")
    await form.get_by_label("Deras e-postadress").fill(invited)
    await form.get_by_label("ett matkooperativ").check()
    await form.get_by_role("button", name="Skicka inbjudan").click()
    # a mistake: the error stands beside its field, what was typed stays
    await expect(form.locator("#e-organisation_name")).to_contain_text("organisationens namn")
    await expect(form.get_by_label("Deras e-postadress")).to_have_value(invited)
    await shoot(page, "people-0-invitation-error")
    name = form.get_by_label("Det nya matkooperativets eller producentens namn")
    await name.fill("Matkassen Svartbäcken")
    await form.get_by_role("button", name="Skicka inbjudan").click()
    await expect(page.get_by_role("status")).to_contain_text("inbjudan skickad")
    await expect(page.locator(f"[data-invitation='{invited}'] [data-state]")).to_contain_text(
        "väntar på svar"
    )
    await shoot(page, "people-1-coordinator-invites")

    received = await mail_to(mailbox, invited, "Inbjudan till Samlast")
    assert "Matkassen Svartbäcken" in received.text
    link = next(link for link in received.links() if "/app/invitations/accept" in link)
    stranger = await browser.new_context(locale="sv-SE", viewport=DESKTOP)
    guest = await stranger.new_page()
    await guest.goto(on_site(site, link))
    await expect(
        guest.get_by_role("heading", name="Gå med i Matkassen Svartbäcken")
    ).to_be_visible()
    await shoot(guest, "people-2-accept-invitation")
    await guest.get_by_label("Ditt namn").fill("Karin")
    await guest.get_by_role("button", name="Tacka ja och logga in").click()
    await expect(guest).to_have_url(re.compile(r"/app/coop$"))
    await expect(guest.locator("[data-acting-for]")).to_contain_text("Matkassen Svartbäcken")
    # a co-op founded by an invitation has no place yet: told so, it sets one, then orders
    await expect(guest.locator("[data-place-missing]")).to_be_visible()
    await guest.locator("[data-place-missing]").get_by_role("link").click()
    await expect(guest).to_have_url(re.compile(r"/app/profile$"))
    await guest.get_by_label("Adress", exact=True).fill("Svartbäcksgatan 30, Uppsala")
    await guest.get_by_text("Avancerat: latitud och longitud").click()
    await guest.get_by_label("Latitud").fill("59,8690")
    await guest.get_by_label("Longitud").fill("17,6480")
    thursday = guest.locator("[data-window='1']")
    await thursday.get_by_label("Dag").select_option(label="torsdag")
    await thursday.get_by_label("Från").fill("16:00")
    await thursday.get_by_label("Till").fill("18:00")
    await shoot(guest, "people-3a-place")
    await guest.get_by_role("button", name="Spara profilen").click()
    await expect(guest.get_by_role("status")).to_contain_text("profilen sparad")
    await guest.get_by_role("link", name="Mina leveranser").click()
    await expect(guest).to_have_url(re.compile(r"/app/coop$"))
    await expect(guest.locator("[data-place-missing]")).to_have_count(0)
    await guest.get_by_label("Hur mycket, kg (Morötter").first.fill("5")
    await guest.get_by_role("button", name="Spara beställningen").click()
    await expect(guest.get_by_role("status")).to_contain_text("beställningen är sparad")
    await shoot(guest, "people-3-new-coop-orders")
    # the invitation works once
    await guest.goto(on_site(site, link))
    await expect(guest.get_by_role("heading", name="Länken fungerar inte längre")).to_be_visible()
    await page.reload()
    await expect(page.locator(f"[data-invitation='{invited}'] [data-state]")).to_contain_text(
        "accepterad"
    )
    await stranger.close()
    assert violations == []
    await context.close()


async def test_a_sign_in_link_works_once_and_signing_out_ends_the_session(
    site: str, browser: Browser, admin_token: str, pool: Pool, mailbox: Mailbox
) -> None:
    world = await _world(site, admin_token)
    _, email = await person_for(pool, world.producer, language="en")
    context = await browser.new_context(locale="en-GB", viewport=DESKTOP)
    violations = await csp_violations(context)
    page = await context.new_page()
    await page.goto(site + "/app")
    await expect(page).to_have_url(re.compile(r"/app/sign-in$"))
    await page.get_by_label("E-mail address").first.fill(email)
    await page.get_by_role("button", name="Send me a sign-in link").click()
    await expect(page.get_by_role("heading", name="Check your e-mail")).to_be_visible()
    await shoot(page, "people-4-link-sent")

    received = await mail_to(mailbox, email, "Sign in to Samlast")
    link = next(link for link in received.links() if "/app/sign-in/link" in link)
    await page.goto(on_site(site, link))
    await shoot(page, "people-5-link-button")
    await page.get_by_role("button", name="Sign in to Samlast").click()
    await expect(page).to_have_url(re.compile(r"/app/producer$"))
    await page.goto(on_site(site, link))  # used: it no longer signs in
    await expect(page.get_by_role("heading", name="This link no longer works")).to_be_visible()

    await page.goto(site + "/app/me")
    await expect(page.get_by_role("heading", name="My page")).to_be_visible()
    await shoot(page, "people-6-my-page")
    (cookie,) = [c for c in await context.cookies() if c["name"] == COOKIE]
    await page.get_by_role("button", name="Sign out", exact=True).click()
    await expect(page).to_have_url(re.compile(r"/app/sign-in$"))
    async with httpx.AsyncClient(base_url=site, cookies={COOKIE: cookie["value"]}) as http:
        again = await http.get("/app/producer", follow_redirects=False)
    assert (again.status_code, again.headers["location"]) == (303, "/app/sign-in")
    assert violations == []
    await context.close()


async def test_a_session_ended_from_another_browser_is_refused(
    site: str, browser: Browser, admin_token: str, pool: Pool
) -> None:
    world = await _world(site, admin_token)
    phone = await browser.new_context(locale="sv-SE", viewport=DESKTOP)
    laptop = await browser.new_context(locale="sv-SE", viewport=DESKTOP)
    on_phone, on_laptop = await phone.new_page(), await laptop.new_page()
    await confirm_dialogs(on_laptop)
    _, email = await person_for(pool, world.coop, password=PASSWORD)
    for page in (on_phone, on_laptop):
        await sign_in(page, site, pool, world.coop, email=email)
    await on_laptop.goto(site + "/app/me")
    await expect(on_laptop.locator("[data-session]")).to_have_count(2)
    await on_laptop.get_by_role("button", name="Logga ut där").click()
    await expect(on_laptop.get_by_role("status")).to_contain_text("inloggningen avslutad")
    await expect(on_laptop.locator("[data-session]")).to_have_count(1)
    await on_phone.goto(site + "/app/coop")
    await expect(on_phone).to_have_url(re.compile(r"/app/sign-in$"))
    await on_laptop.goto(site + "/app/coop")
    await expect(on_laptop).to_have_url(re.compile(r"/app/coop$"))  # this one stays
    await phone.close()
    await laptop.close()


async def test_api_tokens_are_for_programs_and_made_in_the_pages(
    site: str, browser: Browser, admin_token: str, pool: Pool
) -> None:
    world = await _world(site, admin_token)
    context = await browser.new_context(locale="sv-SE", viewport=DESKTOP)
    page = await context.new_page()
    await confirm_dialogs(page)
    await sign_in(page, site, pool, world.producer)
    await page.goto(site + "/app/people")
    await page.get_by_label("Vad den är till för").fill("Packhusets våg")
    await page.get_by_role("button", name="Skapa en nyckel").click()
    token = await page.locator("[data-new-token] code").inner_text()
    assert token.startswith("sl_")
    await shoot(page, "people-7-new-token")
    async with httpx.AsyncClient(base_url=site) as http:
        ok = await http.get("/v1/offers", headers={"Authorization": f"Bearer {token}"})
        assert ok.status_code == 200
    await page.goto(site + "/app/people")
    await expect(page.get_by_text(token)).to_have_count(0)  # shown once
    await page.get_by_role("button", name="Återkalla").last.click()
    await expect(page.get_by_role("status")).to_contain_text("nyckeln återkallad")
    async with httpx.AsyncClient(base_url=site) as http:
        gone = await http.get("/v1/offers", headers={"Authorization": f"Bearer {token}"})
        assert gone.status_code == 401
    await context.close()
