"""The whole life of a network through the pages alone, from an empty database to a
published run, in a real Chromium with the session's real SMTP server.

The deployment's first admin is made as the README says (``samlast admin``) and signs in
by the link it prints. Everything after that happens on the pages: the admin starts a
network and invites its coordinator; the coordinator sets the network up (the hub and its
opening hours, a van, the catalogue), invites a producer and shares the join link; the
producer accepts, sets its place and posts an offer; a co-op joins by the link on a
phone, is approved and orders; the coordinator opens the cycle, closes it early, reviews
the run (planned via the hub, open on the delivery day) and publishes it; the producer
reads its pick list and the co-op its delivery note. The test reads the API only to
check what the pages did.

Walked twice: everyone in Swedish (screenshots ``life-*``), then everyone in English
(``life-en-*``: the admin made with ``--language en``, the browsers asking for English,
every invitation sent in English). The key pages are checked by axe and screenshotted
at desktop and phone width, and every page's words are checked to be the walk's
language: no message key shown as it is (``weekday:3``) and, in English, no Swedish
left over (nor a decimal comma, in its words or its forms' values).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import re
import secrets
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from urllib.parse import urlsplit

import pytest
from playwright.async_api import Browser, BrowserContext, Locator, Page, expect

from infra.devservers import ServerUrls, scratch_database
from infra.processes import api_and_workers, samlast_argv
from services.api.web import i18n
from tests.support.browser import DESKTOP, PHONE, csp_violations, require_chromium, shoot
from tests.support.mailbox import Mailbox, mail_to

require_chromium()


@dataclass(frozen=True)
class Walk:
    """What the people of one walk type and read: their language's words and names."""

    language: str
    locale: str
    shots: str  # the screenshots' prefix
    admin: str
    coordinator: str
    producer: str
    coop: str
    network: str
    region: str
    coordinating: str
    hub_address: str
    product: str
    farm: str
    farm_address: str
    coop_name: str
    coop_address: str
    names: tuple[str, str, str, str]  # the admin, the coordinator, the producer, the co-op's
    van: str
    invitation_subject: str
    confirm_subject: str
    approved_subject: str  # after the co-op's name

    @property
    def t(self) -> Callable[..., str]:
        """The pages' own words in this walk's language (msgids are the English)."""
        return i18n.gettext_for(self.language)

    def number(self, text: str) -> str:
        """A decimal as a person of this language types it."""
        return text.replace(".", ",") if self.language == "sv" else text


SWEDISH = Walk(
    language="sv",
    locale="sv-SE",
    shots="life",
    admin="forvaltare@example.org",
    coordinator="samordnare@example.org",
    producer="anna@ekeby.example.org",
    coop="lina@gottsunda.example.org",
    network="Uppsala matnät",
    region="Uppsala län",
    coordinating="Föreningen Uppsala matnät",
    hub_address="Kungsängsgatan 1, Uppsala",
    product="Morötter",
    farm="Ekeby Gård",
    farm_address="Ekeby 1, Uppsala",
    coop_name="Matkassen Gottsunda",
    coop_address="Gottsunda allé 1, Uppsala",
    names=("Maja Förvaltare", "Greta Samordnare", "Anna på Ekeby", "Lina"),
    van="Kylbilen",
    invitation_subject="Inbjudan till Samlast",
    confirm_subject="Bekräfta din e-postadress",
    approved_subject="är med i",
)
# Names without å, ä and ö: any of those on an English page is Swedish left over.
ENGLISH = Walk(
    language="en",
    locale="en-GB",
    shots="life-en",
    admin="steward@example.org",
    coordinator="coordinator@example.org",
    producer="anna@ekeby-farm.example.org",
    coop="lina@gottsunda-coop.example.org",
    network="Uppsala Food Network",
    region="Uppsala County",
    coordinating="Uppsala Food Network Association",
    hub_address="Kungsgatan 1, Uppsala",
    product="Carrots",
    farm="Ekeby Farm",
    farm_address="Ekeby 1, Uppsala",
    coop_name="Gottsunda Food Box",
    coop_address="Gottsunda alle 1, Uppsala",
    names=("Maja Steward", "Greta Coordinator", "Anna at Ekeby", "Lina"),
    van="Cold van",
    invitation_subject="Invitation to Samlast",
    confirm_subject="Confirm your e-mail address",
    approved_subject="is in",
)

# Every word of a page, and the words it says only to screen readers and on hover; parts
# marked as in another language (the language switch, "Svenska" as a choice) apart.
ATTRIBUTES = [
    "aria-label",
    "title",
    "placeholder",
    "alt",
    "data-choose",
    "data-none",
    "data-place-said",
]
PAGE_WORDS = """(attributes) => {
  const lang = document.documentElement.lang;
  const other = (el) => {
    const marked = el.closest('[lang]');
    return marked && marked.lang !== lang;
  };
  const words = [document.title];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const el = walker.currentNode.parentElement;
    if (!el || el.closest('script, style') || other(el)) continue;
    words.push(walker.currentNode.textContent);
  }
  const marked = attributes.map((name) => `[${name}]`).join(', ') + ', input[type=submit]';
  for (const el of document.querySelectorAll(marked)) {
    if (other(el)) continue;
    for (const name of attributes) {
      if (el.hasAttribute(name)) words.push(el.getAttribute(name));
    }
    if (el.matches('input[type=submit]')) words.push(el.value);
  }
  for (const el of document.querySelectorAll('input:not([type=hidden]), textarea')) {
    if (!other(el)) words.push(el.value);
  }
  return words.join(' ');
}"""
MESSAGE_KEY = re.compile(r"(?<![\w/.@-])[a-z][a-z_-]{2,}:[a-z][\w-]*")
SWEDISH_WORDS = re.compile(
    r"[åäöÅÄÖ]|\b(och|att|inte|eller|av|med|som|det|den|Spara|Logga|Tillbaka|omgång\w*"
    r"|leverans\w*|beställ\w*|förpackning\w*|producent\w*|kooperativ\w*|matkooperativ\w*"
    r"|nätverk\w*|varor|fordon\w*|inställning\w*)\b"
)
DECIMAL_COMMA = re.compile(r"\d,\d{1,2}\b")  # 12,5: not 1,250
# What an English page may say in Swedish: a hint's example region, and the öre (the
# hundredth of a krona has no English name).
ENGLISH_MAY_SAY = re.compile(r"Uppsala län|\böre\b")


async def in_language(page: Page, walk: Walk) -> None:
    """The page is in the walk's language: its ``lang``, no message key shown as it is,
    and on an English page no Swedish word or letter."""
    await page.wait_for_load_state()  # a page a click has just asked for is there
    assert await page.evaluate("document.documentElement.lang") == walk.language, page.url
    words = await page.evaluate(PAGE_WORDS, ATTRIBUTES)
    keys = MESSAGE_KEY.findall(words)
    assert keys == [], f"{page.url}: message keys shown as they are: {keys}"
    if walk.language == "en":
        words = ENGLISH_MAY_SAY.sub("", words)
        commas = [
            words[max(0, m.start() - 40) : m.end() + 20] for m in DECIMAL_COMMA.finditer(words)
        ]
        assert commas == [], f"{page.url}: a decimal comma on an English page: {commas}"
        swedish = sorted({m.group(0) for m in SWEDISH_WORDS.finditer(words)})
        context = [
            words[max(0, m.start() - 40) : m.end() + 40] for m in SWEDISH_WORDS.finditer(words)
        ]
        assert swedish == [], f"{page.url}: Swedish on an English page: {swedish} in {context[:5]}"


async def snap(page: Page, walk: Walk, name: str) -> None:
    await in_language(page, walk)
    await shoot(page, f"{walk.shots}-{name}")


@pytest.fixture
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


async def follow_sign_in_link(page: Page, walk: Walk, site: str, link: str) -> None:
    await page.goto(on_site(site, link))
    await page.get_by_role("button", name=walk.t("Sign in to Samlast")).click()
    await expect(page).not_to_have_url(re.compile(r"/app/sign-in"))


async def set_position(place: Locator, walk: Walk, lat: str, lon: str) -> None:
    """Latitude and longitude, under the place field's "Advanced"."""
    advanced = place.get_by_text(walk.t("Advanced: latitude and longitude"))
    if await advanced.count():
        await advanced.click()
    await place.get_by_label(walk.t("Latitude")).fill(walk.number(lat))
    await place.get_by_label(walk.t("Longitude")).fill(walk.number(lon))


async def accept_invitation(
    page: Page, walk: Walk, site: str, mailbox: Mailbox, email: str, name: str
) -> None:
    invitation = await mail_to(mailbox, email, walk.invitation_subject)
    link = next(link for link in invitation.links() if "/app/invitations/accept" in link)
    await page.goto(on_site(site, link))
    await page.get_by_label(walk.t("Your name")).fill(name)
    await snap(page, walk, f"accept-{email.split('@')[0]}")
    await page.get_by_role("button", name=walk.t("Accept and sign in")).click()
    await expect(page).not_to_have_url(re.compile(r"/app/invitations"))


async def new_page(browser: Browser, walk: Walk, viewport: object, violations: list[str]) -> Page:
    context: BrowserContext = await browser.new_context(locale=walk.locale, viewport=viewport)  # type: ignore[arg-type]
    violations += await csp_violations(context)
    page = await context.new_page()
    page.on("dialog", lambda dialog: dialog.accept())
    return page


@pytest.mark.timeout(600)
@pytest.mark.parametrize("walk", [SWEDISH, ENGLISH], ids=["sv", "en"])
async def test_a_network_lives_from_an_empty_database_to_a_published_run(
    walk: Walk, empty: tuple[str, dict[str, str]], browser: Browser, mailbox: Mailbox
) -> None:
    site, env = empty
    t = walk.t
    violations: list[str] = []
    today = dt.date.today()
    delivery = today + dt.timedelta(days=3)  # the cycle's, opened below
    delivery_day = t(f"weekday:{delivery.isoweekday()}")

    # the first admin, as the README says; the link it prints signs in
    made = await asyncio.to_thread(
        subprocess.run,
        samlast_argv(
            "admin", "--email", walk.admin, "--name", walk.names[0], "--language", walk.language
        ),
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    (printed,) = re.findall(r"https?://\S+", made.stdout)
    admin = await new_page(browser, walk, DESKTOP, violations)
    await follow_sign_in_link(admin, walk, site, printed)
    await expect(admin.get_by_text(t("You coordinate no network yet."))).to_be_visible()
    await snap(admin, walk, "01-admin-empty")

    # the admin starts the network and invites its coordinator
    await admin.get_by_role("link", name=t("Start a network")).click()
    await admin.get_by_label(t("Name"), exact=True).fill(walk.network)
    await admin.get_by_label(t("Region")).fill(walk.region)
    await admin.get_by_label(t("Coordinating organisation")).fill(walk.coordinating)
    await admin.get_by_label(t("The coordinator's e-mail")).fill(walk.coordinator)
    await expect(admin.get_by_label(t("Language of the invitation"))).to_have_value(walk.language)
    await snap(admin, walk, "02-start-network")
    await admin.get_by_role("button", name=t("Start the network and invite")).click()
    await expect(admin.get_by_role("status")).to_contain_text(
        t("network started; the coordinator has been invited")
    )

    # the coordinator accepts and sets the network up: the hub and its hours, a van, the
    # catalogue
    office = await new_page(browser, walk, DESKTOP, violations)
    await accept_invitation(office, walk, site, mailbox, walk.coordinator, walk.names[1])
    await expect(office).to_have_url(re.compile(r"/app/dashboard$"))
    setup = office.get_by_role("navigation", name=t("Set up {name}", name=walk.network))
    await setup.get_by_role("link", name=t("Settings")).click()
    hub = office.get_by_role("group", name=t("Hub"), exact=True)
    await hub.get_by_label(t("Address")).fill(walk.hub_address)
    await set_position(hub, walk, "59.8550", "17.6450")
    hours = office.get_by_role("group", name=t("The hub's opening hours"))
    opening = hours.locator("[data-window='1']")  # open on the delivery day
    await opening.get_by_label(t("Day")).select_option(label=delivery_day)
    await opening.get_by_label(t("From")).fill("07:00")
    await opening.get_by_label(t("Until")).fill("17:00")
    await office.get_by_role("button", name=t("Save the settings")).click()
    await expect(office.get_by_role("status")).to_contain_text(t("settings saved"))
    kept = office.get_by_role("group", name=t("The hub's opening hours"))
    await expect(kept.locator("[data-window='1'] select")).to_have_value(str(delivery.isoweekday()))
    await expect(kept.locator("[data-window='1'] input[name=window_opens]")).to_have_value("07:00")
    await snap(office, walk, "03-settings")

    await office.get_by_role("link", name=t("Vehicles")).click()
    van = office.get_by_role("region", name=t("Add a vehicle"))
    await van.get_by_label(t("Name")).fill(walk.van)
    await van.get_by_label(t("Capacity (kg)")).fill("1200")
    await van.get_by_label(t("Capacity (litres)")).fill("8000")
    await van.get_by_label(t("Can carry chilled and frozen goods")).check()
    await van.get_by_label(t("Latitude")).fill(walk.number("59.8550"))
    await van.get_by_label(t("Longitude")).fill(walk.number("17.6450"))
    await van.get_by_label(t("Cost per km (kr)")).fill(walk.number("4.50"))
    await van.get_by_role("button", name=t("Add the vehicle")).click()
    await expect(office.locator(f"[data-vehicle='{walk.van}']")).to_contain_text(
        i18n.number(1200, walk.language) + " kg"
    )
    await in_language(office, walk)

    await office.get_by_role("link", name=t("Catalogue")).click()
    product = office.get_by_role("region", name=t("Add a product"))
    await product.get_by_label(t("Name")).fill(walk.product)
    await product.get_by_label(t("Grams per unit")).fill("1000")
    await product.get_by_label(t("Millilitres per unit")).fill("1400")
    await product.get_by_label(t("Category")).select_option(label=t("category:rotfrukter"))
    await product.get_by_role("button", name=t("Add the product")).click()
    await expect(office.locator(f"[data-product='{walk.product}']")).to_be_visible()
    await snap(office, walk, "04-catalogue")

    # it invites a producer, and makes the join link for co-ops
    await office.get_by_role("link", name=t("Members")).click()
    invite = office.get_by_role("region", name=t("Invite a producer or co-op"))
    await invite.get_by_label(t("a producer")).check()
    await invite.get_by_label(t("Name of the co-op or farm")).fill(walk.farm)
    await invite.get_by_label(t("E-mail address")).fill(walk.producer)
    await expect(invite.locator(f"input[name=language][value={walk.language}]")).to_be_checked()
    await invite.get_by_role("button", name=t("Send the invitation")).click()
    await expect(office.locator(f"[data-invited='{walk.producer}']")).to_be_visible()
    await office.get_by_role("button", name=t("Make a join link")).click()
    shared = await office.get_by_label(t("The link")).input_value()
    await snap(office, walk, "05-members")

    # it opens a cycle: ordering open now until two days on, delivery the day after
    await office.goto(site + "/app/dashboard")
    await office.get_by_role("link", name=t("Open a cycle")).click()
    await office.get_by_label(t("Opening day")).fill(today.isoformat())
    await office.get_by_label(t("Opening time")).fill("00:00")
    closes = today + dt.timedelta(days=2)
    await office.get_by_label(t("Closing day")).fill(closes.isoformat())
    await office.get_by_label(t("Closing time")).fill("18:00")
    await office.get_by_label(t("Delivery day")).fill(delivery.isoformat())
    await snap(office, walk, "06-open-cycle")
    await office.get_by_role("button", name=t("Open the cycle")).click()
    await expect(office.get_by_role("status")).to_be_visible()

    # the producer accepts, sets its place in its profile, and offers carrots
    farm = await new_page(browser, walk, DESKTOP, violations)
    await accept_invitation(farm, walk, site, mailbox, walk.producer, walk.names[2])
    await expect(farm.locator("[data-place-missing]")).to_be_visible()
    await in_language(farm, walk)
    await farm.get_by_role("link", name=t("Our profile")).first.click()
    place = farm.get_by_role("group", name=t("Pickup place"))
    await place.get_by_label(t("Address")).fill(walk.farm_address)
    await set_position(place, walk, "59.8700", "17.5800")
    await farm.get_by_role("button", name=t("Save the profile")).click()
    await expect(farm.get_by_role("status")).to_contain_text(t("profile saved"))
    await snap(farm, walk, "07-producer-profile")
    await farm.goto(site + "/app/producer")
    await farm.get_by_label(t("Product")).select_option(label=f"{walk.product} (kg)")
    # a size between whole kilograms is refused beside its field (shot at phone width too)
    await farm.get_by_label(t("Pack size")).fill(walk.number("10.3"))
    await farm.get_by_label(t("Packs available"), exact=True).last.fill("5")
    await farm.get_by_label(t("Price per pack, kr")).last.fill("125")
    await farm.get_by_label(t("Valid until")).fill((delivery + dt.timedelta(days=7)).isoformat())
    await farm.get_by_role("button", name=t("Post offer")).click()
    refused = farm.locator("#e-pack_size")
    await expect(refused).to_contain_text(walk.number("10 kg"))
    # and said on top of the page, nothing saved, a link leading to the field
    refusals = farm.locator("[data-offer-errors]")
    nothing = (
        "Nothing was saved: fix what is marked below and save again. "
        "Everything you typed is still here."
    )
    await expect(refusals).to_contain_text(t(nothing))
    await refusals.get_by_role("link").click()
    await expect(farm.get_by_label(t("Pack size"))).to_be_focused()
    await expect(farm.get_by_label(t("Pack size"))).to_have_value(walk.number("10.3"))
    await expect(farm.get_by_label(t("Price per pack, kr")).last).to_have_value("125")
    await snap(farm, walk, "08-producer-offer-refused")
    await farm.get_by_label(t("Pack size")).fill("10")
    await farm.get_by_label(t("Packs available"), exact=True).last.fill("5")
    await farm.get_by_label(t("Price per pack, kr")).last.fill("125")
    await farm.get_by_label(t("Valid until")).fill((delivery + dt.timedelta(days=7)).isoformat())
    await farm.get_by_role("button", name=t("Post offer")).click()
    await expect(farm.get_by_role("status")).to_contain_text(t("offer posted"))
    await snap(farm, walk, "08-producer-offer")

    # a co-op joins by the link on a phone, confirms its address, waits
    phone = await new_page(browser, walk, PHONE, violations)
    await phone.goto(on_site(site, shared))
    await phone.get_by_label(t("Name of the co-op or farm")).fill(walk.coop_name)
    await phone.get_by_label(t("Your name")).fill(walk.names[3])
    await phone.get_by_label(t("E-mail address"), exact=True).fill(walk.coop)
    await phone.get_by_label(t("Address"), exact=True).fill(walk.coop_address)
    await set_position(phone.locator("form"), walk, "59.8098", "17.6226")
    receiving = phone.locator("[data-window='1']")  # open on the delivery day
    await receiving.get_by_label(t("Day")).select_option(label=delivery_day)
    await receiving.get_by_label(t("From")).fill("08:00")
    await receiving.get_by_label(t("Until")).fill("17:00")
    await snap(phone, walk, "09-join")
    await phone.get_by_role("button", name=t("Ask to join")).click()
    await expect(phone.locator("[data-join-sent]")).to_contain_text(walk.coop)
    await in_language(phone, walk)
    confirm = await mail_to(mailbox, walk.coop, walk.confirm_subject)
    link = next(link for link in confirm.links() if "/app/join/confirm" in link)
    await phone.goto(on_site(site, link))
    await in_language(phone, walk)
    await phone.get_by_role("button", name=t("Confirm and send the request")).click()
    await expect(phone.locator("[data-waiting]")).to_contain_text(walk.network)
    await in_language(phone, walk)

    # the coordinator approves; the co-op signs in from the mail and orders
    await office.goto(site + "/app/dashboard")
    await in_language(office, walk)
    await office.locator("[data-waiting-to-join]").get_by_role("link").click()
    approve = office.get_by_role("button", name=t("Approve {name}", name=walk.coop_name))
    await expect(approve).to_be_visible()
    await in_language(office, walk)
    await approve.click()
    await expect(office.get_by_role("status")).to_contain_text(t("join request approved"))
    welcome = await mail_to(mailbox, walk.coop, f"{walk.coop_name} {walk.approved_subject}")
    sign_in_link = next(link for link in welcome.links() if "/app/sign-in/link" in link)
    await follow_sign_in_link(phone, walk, site, sign_in_link)
    await expect(phone).to_have_url(re.compile(r"/app/coop$"))
    how_much = t("How much, {unit}", unit=t("unit-short:kg"))
    await phone.get_by_label(f"{how_much} ({walk.product}").first.fill("14")
    await phone.get_by_role("button", name=t("Save order")).click()
    await expect(phone.get_by_role("status")).to_contain_text(t("demand saved"))
    await snap(phone, walk, "10-coop-order")

    # the coordinator closes the cycle early, reviews the run and publishes it
    await office.goto(site + "/app/dashboard")
    await office.get_by_role("link", name=t("Close early")).click()
    summary = t(
        "{ordered} of {coops} co-ops have ordered; otherwise it closes {moment}.",
        ordered=1,
        coops=1,
        moment="MOMENT",
    )
    await expect(office.locator("[data-summary]")).to_contain_text(summary.split("MOMENT")[0])
    await in_language(office, walk)
    await office.get_by_role("button", name=t("Close and match now")).click()
    await expect(office.get_by_text(t("proposed")).first).to_be_visible(timeout=90_000)
    await office.get_by_role("link", name=t("Run {n}", n=1)).click()
    await expect(office.locator("[data-figure=packs]")).to_have_text("1")  # 14 kg: one 10 kg pack
    # the hub is open on the delivery day: the plan via it is there beside the others
    await expect(office.locator("[data-chart] rect.bar-hub")).to_have_count(4)
    await expect(office.locator("[data-hub-closed]")).to_have_count(0)
    # 95 kr of transport on 125 kr of goods: the one co-op is warned, in a whole sentence
    await expect(office.locator("[data-transport-warnings]")).to_contain_text(
        t("Transport is more than {pct} % of the goods for one co-op.", pct="30")
    )
    await snap(office, walk, "11-review")
    await office.get_by_role("button", name=t("Approve"), exact=True).click()
    await expect(office.get_by_role("status")).to_contain_text(t("approved"))
    await office.get_by_role("button", name=t("Publish"), exact=True).click()
    await expect(office.get_by_role("heading", name=re.compile(t("published")))).to_be_visible()
    await snap(office, walk, "12-published")

    # each party sees its part
    await farm.goto(site + "/app/producer")
    await expect(farm.locator("table[data-pick-list] tbody tr").first).to_contain_text(
        walk.coop_name
    )
    await snap(farm, walk, "13-pick-list")
    await phone.goto(site + "/app/coop")
    await expect(phone.locator("[data-delivery-note]")).to_have_count(1)
    await snap(phone, walk, "14-delivery-note")
    await phone.goto(site + "/app/me")
    await in_language(phone, walk)
    assert violations == []
