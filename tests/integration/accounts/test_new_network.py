"""A deployment admin starts a network from the pages and invites its coordinator, who
accepts by the mailed link and finds the network on the dashboard, ready to set up.
Only deployment admins may: a coordinator or a co-op is refused, and the API refuses a
coordinator who tries to found a coordinating organisation by hand.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from infra.processes import api_and_workers
from services.api.auth.sessions import COOKIE
from shared.db.pool import Pool
from tests.support.http import bearer, ok
from tests.support.mailbox import Mailbox, mail_to
from tests.support.people import session_cookies
from tests.support.world import World, build_world


@pytest.fixture(scope="module")
def site(settings_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with api_and_workers(settings_env, tmp_path_factory.mktemp("new-network")) as url:
        yield url


def pages(site: str, **cookies: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        base_url=site, headers={"Origin": site}, cookies=cookies, follow_redirects=False
    )


async def test_an_admin_starts_a_network_and_its_coordinator_accepts(
    site: str, admin_token: str, pool: Pool, mailbox: Mailbox
) -> None:
    name = f"Gästrikland {secrets.token_hex(3)}"
    email = f"samordnare-{secrets.token_hex(4)}@example.org"
    cookies = await session_cookies(pool, admin_token)
    async with pages(site, **cookies) as http:
        assert "/app/networks/new" in (await http.get("/app/dashboard")).text
        assert (await http.get("/app/networks/new")).status_code == 200
        wrong = {
            "name": name,
            "region": "Gävleborg",
            "timezone": "Europe/Gävle",
            "coordinator_name": "",
            "coordinator_email": "inte en adress",
            "language": "sv",
        }
        refused = await http.post("/app/networks/new", data=wrong)
        assert refused.status_code == 422
        for field in ("timezone", "coordinator_name", "coordinator_email"):
            assert f'id="e-{field}"' in refused.text, field
        assert 'value="Gävleborg"' in refused.text  # what was typed stays
        fixed = wrong | {
            "timezone": "Europe/Stockholm",
            "coordinator_name": "Matnätet Gävle",
            "coordinator_email": email,
        }
        started = await http.post("/app/networks/new", data=fixed)
        assert started.status_code == 303, started.text
        assert name in (await http.get("/app/dashboard")).text

    received = await mail_to(mailbox, email, "Inbjudan till Samlast")
    assert "Matnätet Gävle (samordnare)" in received.text
    assert name in received.text
    (link,) = [
        link for link in received.links() if urlsplit(link).path == "/app/invitations/accept"
    ]
    code = parse_qs(urlsplit(link).query)["code"][0]
    async with pages(site) as http:
        accepted = await http.post(
            "/app/invitations/accept",
            data={"code": code, "name": "Greta", "language": "sv", "password": ""},
        )
        assert accepted.status_code == 303, accepted.text
    async with pages(site, **{COOKIE: accepted.cookies[COOKIE]}) as http:
        dashboard = await http.get("/app/dashboard")
        assert dashboard.status_code == 200
        assert name in dashboard.text
        assert "/app/networks/new" not in dashboard.text  # a coordinator starts none
        network_id = re.search(r"/app/networks/([0-9a-f-]{36})/settings", dashboard.text)
        assert network_id is not None
        settings = await http.get(f"/app/networks/{network_id.group(1)}/settings")
        assert settings.status_code == 200
        assert "Europe/Stockholm" in settings.text


async def test_only_a_deployment_admin_starts_a_network(
    site: str, admin_token: str, pool: Pool
) -> None:
    async with httpx.AsyncClient(base_url=site) as http:
        world: World = await build_world(http, admin_token)  # type: ignore[arg-type]
        form = {
            "name": "Inte mitt",
            "timezone": "Europe/Stockholm",
            "coordinator_name": "X",
            "coordinator_email": "x@example.org",
        }
        for token in (world.coordinator, world.coop):
            async with pages(site, **await session_cookies(pool, token)) as page:
                assert (await page.get("/app/networks/new")).status_code == 403
                assert (await page.post("/app/networks/new", data=form)).status_code == 403
        async with pages(site, **await session_cookies(pool, world.coordinator)) as page:
            founding = await page.post(
                "/app/people/invite",
                data={
                    "form": "member",
                    "email": "egen@example.org",
                    "organisation_name": "Egen samordning",
                    "organisation_kind": "coordinator",
                    "network_id": world.network["id"],
                    "language": "sv",
                },
            )
        assert founding.status_code == 422, founding.text
        networks = await ok(await http.get("/v1/networks", headers=bearer(admin_token)))
    assert "Inte mitt" not in {network["name"] for network in networks}
    async with pool.acquire() as conn:
        assert not await conn.fetchval(
            "SELECT count(*) FROM invitation WHERE email IN ('egen@example.org', 'x@example.org')"
        )
