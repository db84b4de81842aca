"""People sign in by an e-mailed link or a password, are invited by e-mail, and sign out,
against the API and a matcher as production runs them and the session's real SMTP server.

The pages' flows are walked in Chromium in ``tests/browser/test_people.py``; here each
rule is checked at the HTTP level, where a cookie or a status says it plainly.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from infra.processes import api_and_workers
from services.api.auth.sessions import COOKIE
from shared.db.pool import Pool
from tests.support.http import bearer, ok
from tests.support.mailbox import Mailbox, Received, mail_to
from tests.support.people import PASSWORD, person_for, session_cookies
from tests.support.world import World, build_world


@pytest.fixture(scope="module")
def site(settings_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with api_and_workers(settings_env, tmp_path_factory.mktemp("people")) as url:
        yield url


@pytest.fixture
async def world(site: str, admin_token: str) -> World:
    async with httpx.AsyncClient(base_url=site) as http:
        return await build_world(http, admin_token)  # type: ignore[arg-type]


def code_of(received: Received, path: str) -> str:
    (link,) = [link for link in received.links() if urlsplit(link).path == path]
    return parse_qs(urlsplit(link).query)["code"][0]


def pages(site: str, **cookies: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        base_url=site, headers={"Origin": site}, cookies=cookies, follow_redirects=False
    )


async def test_a_sign_in_link_comes_by_mail_signs_in_once_and_sign_out_ends_it(
    site: str, world: World, pool: Pool, mailbox: Mailbox
) -> None:
    _, email = await person_for(pool, world.coop, language="en")
    async with pages(site) as http:
        asked = await http.post("/app/sign-in/email", data={"email": email.upper()})
        stranger = await http.post("/app/sign-in/email", data={"email": "nobody@example.org"})
    assert asked.status_code == stranger.status_code == 200
    # the same words whether or not the address has an account
    assert asked.text.replace(email.upper(), "X") == stranger.text.replace(
        "nobody@example.org", "X"
    )
    received = await mail_to(mailbox, email, "Sign in to Samlast")
    assert received.header("List-Unsubscribe") is None  # transactional: always sent
    code = code_of(received, "/app/sign-in/link")

    async with pages(site) as http:
        for _ in range(2):  # a mail scanner fetching the link uses nothing up
            shown = await http.get("/app/sign-in/link", params={"code": code})
            assert shown.status_code == 200
            assert "data-sign-in" in shown.text
        signed_in = await http.post("/app/sign-in/link", data={"code": code})
        again = await http.post("/app/sign-in/link", data={"code": code})
    assert signed_in.status_code == 303, signed_in.text
    cookie = signed_in.cookies[COOKIE]
    set_cookie = signed_in.headers["set-cookie"]
    assert "HttpOnly" in set_cookie
    assert "SameSite=lax" in set_cookie or "SameSite=Lax" in set_cookie
    assert again.status_code == 410  # single use

    async with pages(site, **{COOKIE: cookie}) as http:
        assert (await http.get("/app/coop")).status_code == 200
        assert (await http.post("/app/sign-out")).status_code == 303
        after = await http.get("/app/coop")
    assert (after.status_code, after.headers["location"]) == (303, "/app/sign-in")
    assert mailbox.find(to="nobody@example.org") == []
    async with pool.acquire() as conn:
        actions = await conn.fetch(
            "SELECT action, outcome FROM audit_log WHERE action IN ('sign_in', 'sign_out',"
            " 'sign_in.link') ORDER BY id DESC LIMIT 20"
        )
    seen = {(row["action"], row["outcome"]) for row in actions}
    assert {("sign_in.link", "ok"), ("sign_in.link", "denied"), ("sign_in", "ok")} <= seen
    assert ("sign_out", "ok") in seen


async def test_an_expired_link_does_not_sign_in(
    site: str, world: World, pool: Pool, mailbox: Mailbox
) -> None:
    _, email = await person_for(pool, world.producer)
    async with pages(site) as http:
        await http.post("/app/sign-in/email", data={"email": email})
    code = code_of(await mail_to(mailbox, email, "Logga in"), "/app/sign-in/link")
    async with pool.acquire() as conn:
        await conn.execute(
            "UPDATE sign_in_link SET expires_at = now() - interval '1 second'"
            " WHERE person_id = (SELECT id FROM person WHERE email = $1)",
            email,
        )
    async with pages(site) as http:
        shown = await http.get("/app/sign-in/link", params={"code": code})
        used = await http.post("/app/sign-in/link", data={"code": code})
    assert shown.status_code == used.status_code == 410
    assert COOKIE not in used.cookies


async def test_passwords_sign_in_and_guessing_is_limited(
    site: str, world: World, pool: Pool
) -> None:
    _, email = await person_for(pool, world.coop, password=PASSWORD)
    async with pages(site) as http:
        wrong = await http.post("/app/sign-in/password", data={"email": email, "password": "x"})
        assert wrong.status_code == 422
        assert email in wrong.text  # what was typed stays
        assert COOKIE not in wrong.cookies
        right = await http.post(
            "/app/sign-in/password", data={"email": email, "password": PASSWORD}
        )
        assert right.status_code == 303
        statuses = [
            (
                await http.post("/app/sign-in/password", data={"email": email, "password": "y"})
            ).status_code
            for _ in range(6)
        ]
    assert 429 in statuses, statuses  # past the per-address limit of attempts a minute


async def test_a_coordinator_invites_a_coop_whose_person_accepts_and_orders(
    site: str, world: World, pool: Pool, mailbox: Mailbox
) -> None:
    invited = f"kassor-{world.network['id'][:8]}@example.org"
    cookies = await session_cookies(pool, world.coordinator)
    async with pages(site, **cookies) as http:
        sent = await http.post(
            "/app/people/invite",
            data={
                "form": "member",
                "email": invited,
                "organisation_kind": "coop",
                "organisation_name": "Matkassen Kungsgärdet",
                "network_id": world.network["id"],
                "language": "sv",
            },
        )
        assert sent.status_code == 303, sent.text
        listed = await http.get("/app/people")
    assert invited in listed.text
    received = await mail_to(mailbox, invited, "Inbjudan till Samlast")
    assert "Matkassen Kungsgärdet" in received.text
    code = code_of(received, "/app/invitations/accept")

    async with pages(site) as http:
        shown = await http.get("/app/invitations/accept", params={"code": code})
        assert shown.status_code == 200
        assert "Matkassen Kungsgärdet" in shown.text
        refused = await http.post(
            "/app/invitations/accept", data={"code": code, "name": "", "language": "sv"}
        )
        assert refused.status_code == 422  # the name is missing, said beside it
        assert re.search(r'id="e-name"', refused.text)
        accepted = await http.post(
            "/app/invitations/accept",
            data={"code": code, "name": "Karin", "language": "sv", "password": ""},
        )
        assert accepted.status_code == 303, accepted.text
        twice = await http.post(
            "/app/invitations/accept", data={"code": code, "name": "Karin", "language": "sv"}
        )
        assert twice.status_code == 410
    session = accepted.cookies[COOKIE]
    async with pages(site, **{COOKIE: session}) as http:
        coop_page = await http.get("/app/coop")
    assert coop_page.status_code == 200
    assert "Matkassen Kungsgärdet" in coop_page.text

    async with httpx.AsyncClient(base_url=site) as http:
        members = await ok(
            await http.get(
                "/v1/organisations",
                params={"network_id": world.network["id"]},
                headers=bearer(world.coordinator),
            )
        )
    assert "Matkassen Kungsgärdet" in {member["name"] for member in members}
    async with pages(site, **cookies) as http:
        assert "data-state" in (await http.get("/app/people")).text
    async with pool.acquire() as conn:
        state = await conn.fetchrow(
            "SELECT accepted_at IS NOT NULL AS accepted FROM invitation WHERE email = $1", invited
        )
        audited = await conn.fetchval(
            "SELECT count(*) FROM audit_log WHERE action IN ('invitation.create',"
            " 'invitation.accept') AND object_type = 'invitation'"
        )
    assert state is not None
    assert state["accepted"]
    assert audited >= 2


async def test_an_organisations_admin_makes_and_revokes_api_tokens_in_the_pages(
    site: str, world: World, pool: Pool
) -> None:
    cookies = await session_cookies(pool, world.producer)
    async with pages(site, **cookies) as http:
        made = await http.post("/app/tokens", data={"label": "packhuset"})
        assert made.status_code == 200
        assert made.headers["cache-control"] == "no-store"
        token = re.search(r"<code>(sl_\w+)</code>", made.text)
        assert token is not None
        listed = await http.get("/app/people")
        assert token[1] not in listed.text  # shown once
    async with httpx.AsyncClient(base_url=site) as http:
        assert (await http.get("/v1/offers", headers=bearer(token[1]))).status_code == 200
        (made_here,) = [
            t
            for t in await ok(
                await http.get(
                    f"/v1/organisations/{world.producer_id}/tokens", headers=bearer(token[1])
                )
            )
            if t["label"] == "packhuset"
        ]
    assert made_here["created_by_name"] == "Test Person"
    async with pages(site, **cookies) as http:
        revoked = await http.post(f"/app/tokens/{made_here['id']}/revoke")
        assert revoked.status_code == 303
    async with httpx.AsyncClient(base_url=site) as http:
        assert (await http.get("/v1/offers", headers=bearer(token[1]))).status_code == 401


async def test_invitations_into_organisations_that_exist_join_them(
    site: str, world: World, pool: Pool, mailbox: Mailbox
) -> None:
    """A coordinator invites someone at a producer already in the network; the
    producer's admin invites a colleague as a member, who may not manage its people."""
    farmer = f"farmer-{world.network['id'][:8]}@example.org"
    colleague = f"colleague-{world.network['id'][:8]}@example.org"
    async with pages(site, **await session_cookies(pool, world.coordinator)) as http:
        sent = await http.post(
            "/app/people/invite",
            data={
                "form": "member",
                "organisation_kind": "existing",
                "organisation_id": world.producer_id,
                "email": farmer,
                "language": "en",
            },
        )
        assert sent.status_code == 303, sent.text
    code = code_of(
        await mail_to(mailbox, farmer, "Invitation to Samlast"), "/app/invitations/accept"
    )
    async with pages(site) as http:
        accepted = await http.post(
            "/app/invitations/accept", data={"code": code, "name": "Anna", "language": "en"}
        )
    assert accepted.status_code == 303, accepted.text
    async with pages(site, **{COOKIE: accepted.cookies[COOKIE]}) as http:
        assert (await http.get("/app/producer")).status_code == 200
        sent = await http.post(
            "/app/people/invite",
            data={"form": "colleague", "email": colleague, "role": "member", "language": "sv"},
        )
        assert sent.status_code == 303, sent.text
    code = code_of(await mail_to(mailbox, colleague, "Inbjudan"), "/app/invitations/accept")
    async with pages(site) as http:
        accepted = await http.post(
            "/app/invitations/accept", data={"code": code, "name": "Olle", "language": "sv"}
        )
    async with pages(site, **{COOKIE: accepted.cookies[COOKIE]}) as http:
        assert (await http.get("/app/producer")).status_code == 200
        people = await http.get("/app/people")
        assert "Anna" in people.text  # a member sees the people...
        refused = await http.post("/app/tokens", data={"label": "mine"})
        assert "sl_" not in refused.text  # ...but manages neither tokens nor people
    async with httpx.AsyncClient(base_url=site) as http:
        listed = await ok(
            await http.get(
                f"/v1/organisations/{world.producer_id}/people", headers=bearer(world.producer)
            )
        )
    roles = {person["email"]: person["role"] for person in listed}
    assert (roles[farmer], roles[colleague]) == ("admin", "member")
