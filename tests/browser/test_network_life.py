"""The whole life of a network through the pages alone, from an empty database to a
published run, in a real Chromium with the session's real SMTP server.

The deployment's first admin is made as the README says (``samlast admin``) and signs in
by the link it prints. Everything after that happens on the pages: the admin starts a
network and invites its coordinator; the coordinator sets the network up (the hub, a
van, the catalogue), invites a producer and shares the join link; the producer accepts,
sets its place and posts an offer; a co-op joins by the link on a phone, is approved and
orders; the coordinator opens the cycle, closes it early, reviews the run and publishes
it; the producer reads its pick list and the co-op its delivery note. The test reads the
API only to check what the pages did. Swedish throughout; every page checked by axe and
screenshotted at desktop and phone width (``life-*``).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import re
import secrets
import subprocess
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
from playwright.async_api import Browser, BrowserContext, Locator, Page, expect

from infra.devservers import ServerUrls, scratch_database
from infra.processes import api_and_workers, samlast_argv
from tests.support.browser import DESKTOP, PHONE, csp_violations, require_chromium, shoot
from tests.support.mailbox import Mailbox, mail_to

require_chromium()

ADMIN = "forvaltare@example.org"
COORDINATOR = "samordnare@example.org"
PRODUCER = "anna@ekeby.example.org"
COOP = "lina@gottsunda.example.org"
WEEKDAYS = ("måndag", "tisdag", "onsdag", "torsdag", "fredag", "lördag", "söndag")


@pytest.fixture(scope="module")
def empty(
    servers: ServerUrls, settings_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, dict[str, str]]]:
    """A new, empty database with the schema and nothing else; the API and a matcher on
    it (on their own queue), as production runs them."""
    with scratch_database(servers.database_url, "samlast_life") as url:
        env = {
            **settings_env,
            "DATABASE_URL": url,
            "SAMLAST_QUEUE_NAME": f"samlast-life-{secrets.token_hex(4)}",
        }
        subprocess.run(samlast_argv("migrate"), env=env, check=True, capture_output=True)
        with api_and_workers(env, tmp_path_factory.mktemp("life")) as site:
            yield site, env


def on_site(site: str, link: str) -> str:
    """A link (from a mail or a page), on the test's own server."""
    parts = urlsplit(link)
    return f"{site}{parts.path}" + (f"?{parts.query}" if parts.query else "")


async def follow_sign_in_link(page: Page, site: str, link: str) -> None:
    await page.goto(on_site(site, link))
    await page.get_by_role("button", name="Logga in på Samlast").click()
    await expect(page).not_to_have_url(re.compile(r"/app/sign-in"))


async def set_position(place: Locator, lat: str, lon: str) -> None:
    """Latitude and longitude, under the place field's "Advanced"."""
    advanced = place.get_by_text("Avancerat: latitud och longitud")
    if await advanced.count():
        await advanced.click()
    await place.get_by_label("Latitud").fill(lat)
    await place.get_by_label("Longitud").fill(lon)


async def accept_invitation(page: Page, site: str, mailbox: Mailbox, email: str, name: str) -> None:
    invitation = await mail_to(mailbox, email, "Inbjudan till Samlast")
    link = next(link for link in invitation.links() if "/app/invitations/accept" in link)
    await page.goto(on_site(site, link))
    await page.get_by_label("Ditt namn").fill(name)
    await shoot(page, f"life-accept-{email.split('@')[0]}")
    await page.get_by_role("button", name="Tacka ja och logga in").click()
    await expect(page).not_to_have_url(re.compile(r"/app/invitations"))


async def new_page(browser: Browser, viewport: object, violations: list[str]) -> Page:
    context: BrowserContext = await browser.new_context(locale="sv-SE", viewport=viewport)  # type: ignore[arg-type]
    violations += await csp_violations(context)
    page = await context.new_page()
    page.on("dialog", lambda dialog: dialog.accept())
    return page


@pytest.mark.timeout(600)
async def test_a_network_lives_from_an_empty_database_to_a_published_run(
    empty: tuple[str, dict[str, str]], browser: Browser, mailbox: Mailbox
) -> None:
    site, env = empty
    violations: list[str] = []

    # the first admin, as the README says; the link it prints signs in
    made = await asyncio.to_thread(
        subprocess.run,
        samlast_argv("admin", "--email", ADMIN, "--name", "Maja Förvaltare"),
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    (printed,) = re.findall(r"https?://\S+", made.stdout)
    admin = await new_page(browser, DESKTOP, violations)
    await follow_sign_in_link(admin, site, printed)
    await expect(admin.get_by_text("Du samordnar inget nätverk än.")).to_be_visible()
    await shoot(admin, "life-01-admin-empty")

    # the admin starts the network and invites its coordinator
    await admin.get_by_role("link", name="Starta ett nätverk").click()
    await admin.get_by_label("Namn", exact=True).fill("Uppsala matnät")
    await admin.get_by_label("Region").fill("Uppsala län")
    await admin.get_by_label("Samordnande organisation").fill("Föreningen Uppsala matnät")
    await admin.get_by_label("Samordnarens e-postadress").fill(COORDINATOR)
    await shoot(admin, "life-02-start-network")
    await admin.get_by_role("button", name="Starta nätverket och bjud in").click()
    await expect(admin.get_by_role("status")).to_contain_text("nätverket är startat")

    # the coordinator accepts and sets the network up: the hub, a van, the catalogue
    office = await new_page(browser, DESKTOP, violations)
    await accept_invitation(office, site, mailbox, COORDINATOR, "Greta Samordnare")
    await expect(office).to_have_url(re.compile(r"/app/dashboard$"))
    setup = office.get_by_role("navigation", name="Ställ in Uppsala matnät")
    await setup.get_by_role("link", name="Inställningar").click()
    hub = office.get_by_role("group", name="Nav")
    await hub.get_by_label("Adress").fill("Kungsängsgatan 1, Uppsala")
    await set_position(hub, "59,8550", "17,6450")
    await office.get_by_role("button", name="Spara inställningarna").click()
    await expect(office.get_by_role("status")).to_contain_text("inställningarna sparade")
    await shoot(office, "life-03-settings")

    await office.get_by_role("link", name="Fordon").click()
    van = office.get_by_role("region", name="Lägg till ett fordon")
    await van.get_by_label("Namn").fill("Kylbilen")
    await van.get_by_label("Kapacitet (kg)").fill("1 200")
    await van.get_by_label("Kapacitet (liter)").fill("8000")
    await van.get_by_label("Kan frakta kylt och fryst").check()
    await van.get_by_label("Latitud").fill("59,8550")
    await van.get_by_label("Longitud").fill("17,6450")
    await van.get_by_label("Kostnad per km (kr)").fill("4,50")
    await van.get_by_role("button", name="Lägg till fordonet").click()
    await expect(office.locator("[data-vehicle='Kylbilen']")).to_contain_text("1 200 kg")

    await office.get_by_role("link", name="Sortiment").click()
    product = office.get_by_role("region", name="Lägg till en vara")
    await product.get_by_label("Namn").fill("Morötter")
    await product.get_by_label("Gram per enhet").fill("1000")
    await product.get_by_label("Milliliter per enhet").fill("1400")
    await product.get_by_label("Kategori").select_option(label="rotfrukter")
    await product.get_by_role("button", name="Lägg till varan").click()
    await expect(office.locator("[data-product='Morötter']")).to_be_visible()
    await shoot(office, "life-04-catalogue")

    # it invites a producer, and makes the join link for co-ops
    await office.get_by_role("link", name="Medlemmar").click()
    invite = office.get_by_role("region", name="Bjud in en producent eller ett kooperativ")
    await invite.get_by_label("en producent").check()
    await invite.get_by_label("Kooperativets eller gårdens namn").fill("Ekeby Gård")
    await invite.get_by_label("E-postadress").fill(PRODUCER)
    await invite.get_by_role("button", name="Skicka inbjudan").click()
    await expect(office.locator(f"[data-invited='{PRODUCER}']")).to_be_visible()
    await office.get_by_role("button", name="Skapa en länk för att gå med").click()
    shared = await office.get_by_label("Länken").input_value()
    await shoot(office, "life-05-members")

    # it opens a cycle: ordering open now until two days on, delivery the day after
    await office.goto(site + "/app/dashboard")
    await office.get_by_role("link", name="Öppna en omgång").click()
    today = dt.date.today()
    await office.get_by_label("Dag då beställningen öppnar").fill(today.isoformat())
    await office.get_by_label("Klockslag då beställningen öppnar").fill("00:00")
    closes = today + dt.timedelta(days=2)
    await office.get_by_label("Dag då beställningen stänger").fill(closes.isoformat())
    await office.get_by_label("Klockslag då beställningen stänger").fill("18:00")
    delivery = today + dt.timedelta(days=3)
    await office.get_by_label("Leveransdag").fill(delivery.isoformat())
    await shoot(office, "life-06-open-cycle")
    await office.get_by_role("button", name="Öppna omgången").click()
    await expect(office.get_by_role("status")).to_be_visible()

    # the producer accepts, sets its place in its profile, and offers carrots
    farm = await new_page(browser, DESKTOP, violations)
    await accept_invitation(farm, site, mailbox, PRODUCER, "Anna på Ekeby")
    await expect(farm.locator("[data-place-missing]")).to_be_visible()
    await farm.get_by_role("link", name="Vår profil").first.click()
    place = farm.get_by_role("group", name="Upphämtningsplats")
    await place.get_by_label("Adress").fill("Ekeby 1, Uppsala")
    await set_position(place, "59,8700", "17,5800")
    await farm.get_by_role("button", name="Spara profilen").click()
    await expect(farm.get_by_role("status")).to_contain_text("profilen sparad")
    await shoot(farm, "life-07-producer-profile")
    await farm.goto(site + "/app/producer")
    await farm.get_by_label("Vara").select_option(label="Morötter (kg)")
    await farm.get_by_label("Enheter per förpackning").fill("10")
    await farm.get_by_label("Tillgängliga förpackningar", exact=True).last.fill("5")
    await farm.get_by_label("Pris per förpackning, kr").last.fill("125")
    await farm.get_by_label("Giltigt till").fill((delivery + dt.timedelta(days=7)).isoformat())
    await farm.get_by_role("button", name="Lägg ut erbjudandet").click()
    await expect(farm.get_by_role("status")).to_contain_text("erbjudandet är utlagt")
    await shoot(farm, "life-08-producer-offer")

    # a co-op joins by the link on a phone, confirms its address, waits
    phone = await new_page(browser, PHONE, violations)
    await phone.goto(on_site(site, shared))
    await phone.get_by_label("Kooperativets eller gårdens namn").fill("Matkassen Gottsunda")
    await phone.get_by_label("Ditt namn").fill("Lina")
    await phone.get_by_label("E-postadress", exact=True).fill(COOP)
    await phone.get_by_label("Adress", exact=True).fill("Gottsunda allé 1, Uppsala")
    await set_position(phone.locator("form"), "59,8098", "17,6226")
    receiving = phone.locator("[data-window='1']")  # open on the delivery day
    await receiving.get_by_label("Dag").select_option(label=WEEKDAYS[delivery.weekday()])
    await receiving.get_by_label("Från").fill("08:00")
    await receiving.get_by_label("Till").fill("17:00")
    await shoot(phone, "life-09-join")
    await phone.get_by_role("button", name="Ansök om att gå med").click()
    await expect(phone.locator("[data-join-sent]")).to_contain_text(COOP)
    confirm = await mail_to(mailbox, COOP, "Bekräfta din e-postadress")
    link = next(link for link in confirm.links() if "/app/join/confirm" in link)
    await phone.goto(on_site(site, link))
    await phone.get_by_role("button", name="Bekräfta och skicka ansökan").click()
    await expect(phone.locator("[data-waiting]")).to_contain_text("Uppsala matnät")

    # the coordinator approves; the co-op signs in from the mail and orders
    await office.goto(site + "/app/dashboard")
    await office.locator("[data-waiting-to-join]").get_by_role("link").click()
    await office.get_by_role("button", name="Godkänn Matkassen Gottsunda").click()
    await expect(office.get_by_role("status")).to_contain_text("ansökan godkänd")
    welcome = await mail_to(mailbox, COOP, "Matkassen Gottsunda är med i")
    sign_in_link = next(link for link in welcome.links() if "/app/sign-in/link" in link)
    await follow_sign_in_link(phone, site, sign_in_link)
    await expect(phone).to_have_url(re.compile(r"/app/coop$"))
    await phone.get_by_label("Hur mycket, kg (Morötter").first.fill("14")
    await phone.get_by_role("button", name="Spara beställningen").click()
    await expect(phone.get_by_role("status")).to_contain_text("beställningen är sparad")
    await shoot(phone, "life-10-coop-order")

    # the coordinator closes the cycle early, reviews the run and publishes it
    await office.goto(site + "/app/dashboard")
    await office.get_by_role("link", name="Stäng i förtid").click()
    await expect(office.locator("[data-summary]")).to_contain_text("1 av 1 matkooperativ")
    await office.get_by_role("button", name="Stäng och matcha nu").click()
    await expect(office.get_by_text("föreslagen").first).to_be_visible(timeout=90_000)
    await office.get_by_role("link", name="Körning 1").click()
    await expect(office.locator("[data-figure=packs]")).to_have_text("1")  # 14 kg: one 10 kg pack
    await shoot(office, "life-11-review")
    await office.get_by_role("button", name="Godkänn").click()
    await expect(office.get_by_role("status")).to_contain_text("godkänd")
    await office.get_by_role("button", name="Publicera").click()
    await expect(office.get_by_role("heading", name=re.compile("publicerad"))).to_be_visible()
    await shoot(office, "life-12-published")

    # each party sees its part
    await farm.goto(site + "/app/producer")
    await expect(farm.locator("table[data-pick-list] tbody tr").first).to_contain_text(
        "Matkassen Gottsunda"
    )
    await shoot(farm, "life-13-pick-list")
    await phone.goto(site + "/app/coop")
    await expect(phone.locator("[data-delivery-note]")).to_have_count(1)
    await shoot(phone, "life-14-delivery-note")
    assert violations == []
