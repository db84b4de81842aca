"""What the browser tests share: Debian's Chromium, and the API with a matcher as
production runs them (each module calls ``require_chromium()``).

Both are started once for all the modules here, not once per module (that cost most of
a minute of a CI run). The API and matcher stop when the last test of tests/browser is
done: the matcher's periodic jobs (closing due cycles, requeueing stale runs) must not
run beside the other directories' tests, which drive the workers themselves. A module
needing the API with other settings overrides ``site`` (tests/browser/test_places.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest
from playwright.async_api import Browser, async_playwright

from infra.processes import api_and_workers
from tests.support.browser import CHROMIUM


@pytest.fixture(scope="package")
def live_site(
    settings_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """The API as production serves it, and a matcher, as child processes."""
    with api_and_workers(settings_env, tmp_path_factory.mktemp("browser")) as url:
        yield url


@pytest.fixture(scope="module")
def site(live_site: str) -> str:
    """The API the module's pages are walked on: the one of tests/browser."""
    return live_site


@pytest.fixture(scope="package")
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, headless=True)
        yield browser
        await browser.close()
