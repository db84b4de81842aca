"""Helpers of the browser tests: screenshots checked for accessibility and phone width,
the pages' Content-Security-Policy watched, and signing in as a person."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest
from axe_playwright_python.async_playwright import Axe
from playwright.async_api import BrowserContext, ConsoleMessage, Page, ViewportSize, expect

from shared.db.pool import Pool
from tests.support.people import PASSWORD, person_for

CHROMIUM = os.environ.get("SAMLAST_CHROMIUM", "/usr/bin/chromium")
SHOTS = Path(__file__).resolve().parents[2] / "build" / "screenshots"
PHONE = ViewportSize(width=390, height=844)
DESKTOP = ViewportSize(width=1280, height=900)


def require_chromium() -> None:
    """Skip the calling test module without Chromium; in CI, fail: CI runs them."""
    if shutil.which(CHROMIUM):
        return
    if os.environ.get("CI") == "true":
        raise RuntimeError(f"CI runs the browser tests: no Chromium at {CHROMIUM}")
    pytest.skip(
        f"no Chromium at {CHROMIUM} (apt-get install chromium, or set SAMLAST_CHROMIUM)",
        allow_module_level=True,
    )


async def shoot(page: Page, name: str) -> None:
    """A full-page screenshot at desktop width, then at phone width with no overflow;
    and no accessibility violation that axe-core finds (WCAG 2.1 A and AA rules)."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    results = await Axe().run(
        page, options={"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21aa"]}}
    )
    assert results.violations_count == 0, f"{name}: {results.generate_report()}"
    await page.set_viewport_size(DESKTOP)
    await page.screenshot(path=SHOTS / f"{name}.png", full_page=True)
    await page.set_viewport_size(PHONE)
    await page.screenshot(path=SHOTS / f"{name}-phone.png", full_page=True)
    overflow = await page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0, f"{name}: {overflow} px wider than a phone screen"
    await page.set_viewport_size(DESKTOP)


async def csp_violations(context: BrowserContext) -> list[str]:
    """Every Content-Security-Policy violation in ``context``'s pages, as Chromium reports
    it: a ``securitypolicyviolation`` event and a console error ("Refused to ...")."""
    violations: list[str] = []

    def on_violation(report: str) -> None:
        violations.append(report)

    await context.expose_function("samlastCspViolation", on_violation)
    await context.add_init_script(
        "document.addEventListener('securitypolicyviolation', (e) => window.samlastCspViolation("
        "`${location.pathname}: ${e.effectiveDirective} blocked ${e.blockedURI || 'inline'}`))"
    )

    def on_console(message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text:
            violations.append(message.text)

    context.on("console", on_console)
    return violations


async def sign_in(
    page: Page, site: str, pool: Pool, token: str, *, email: str | None = None
) -> None:
    """As a person of the token's organisation (a new one, or ``email``'s, made with
    ``PASSWORD``) by the password form; sign-in by an e-mailed link is walked in
    tests/browser/test_people.py."""
    if email is None:
        _, email = await person_for(pool, token, password=PASSWORD)
    await page.goto(site + "/app")
    await expect(page).to_have_url(re.compile(r"/app/sign-in$"))
    await page.get_by_text(re.compile("Logga in med lösenord|Sign in with a password")).click()
    form = page.locator("form[action='/app/sign-in/password']")
    await form.get_by_label(re.compile("E-postadress|E-mail address")).fill(email)
    await form.get_by_label(re.compile("Lösenord|Password")).fill(PASSWORD)
    await form.get_by_role("button", name=re.compile("Logga in|Sign in")).click()
    await expect(page).not_to_have_url(re.compile(r"/app/sign-in"))
