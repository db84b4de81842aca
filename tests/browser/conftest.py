"""What the browser tests share: Debian's Chromium, and the API with a matcher as
production runs them, per test module (each module calls ``require_chromium()``)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest
from playwright.async_api import Browser, async_playwright

from infra.processes import api_and_workers
from tests.support.browser import CHROMIUM


@pytest.fixture(scope="module")
def site(settings_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The API as production serves it, and a matcher, as child processes."""
    with api_and_workers(settings_env, tmp_path_factory.mktemp("browser")) as url:
        yield url


@pytest.fixture(scope="module")
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, headless=True)
        yield browser
        await browser.close()
