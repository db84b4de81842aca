"""Mail through the outbox to the session's real SMTP server, read back from its mailbox
as a person's mail client would read it."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from pathlib import Path
from uuid import UUID

import asyncpg
import pytest
from arq.connections import ArqRedis

from infra.devservers import embedded_smtp, free_port
from shared.contracts.messages import Language, Mail, attachment
from shared.db import outbox as outbox_db
from shared.db.pool import Pool
from shared.mail import compose, public_link
from shared.queue import connect_queue, enqueue_message, transaction_then_queue
from shared.security.sealing import Sealer
from shared.settings import Settings
from tests.support.mailbox import Mailbox
from tests.support.receivers import eventually
from tests.support.security import tables_holding
from tests.support.workers import drain, forget_queue, own_queue_settings, serving


@pytest.fixture
async def own(settings: Settings) -> AsyncIterator[Settings]:
    """The session's settings on a queue of the test's own, with quick retries."""
    own = own_queue_settings(settings, **{"webhooks.retry_base_s": 0.2})
    yield own
    await forget_queue(own)


@pytest.fixture(scope="module")
def sealer(settings: Settings) -> Sealer:
    return Sealer(settings.secret_keys)


def address(who: str) -> str:
    return f"{who}-{secrets.token_hex(4)}@example.org"


def sign_in(to: str, language: Language = "sv", to_name: str = "") -> tuple[Mail, str]:
    link = public_link("http://127.0.0.1:8000", "/sign-in", token=secrets.token_urlsafe(24))
    mail = compose(
        "sign_in_link", language, to_address=to, link=link, valid_minutes=15, to_name=to_name
    )
    return mail, link


async def write(
    pool: Pool,
    settings: Settings,
    sealer: Sealer,
    mail: Mail,
    organisation_id: UUID | None = None,
) -> UUID | None:
    """Write the mail with its event and queue it after commit, as a service does."""
    queue = await connect_queue(settings)
    try:
        async with pool.acquire() as conn, transaction_then_queue(conn, queue) as after:
            message_id = await outbox_db.insert_mail(
                conn,
                mail,
                sealer=sealer,
                dedupe_key=f"test:{mail.to_address}",
                organisation_id=organisation_id,
            )
            if message_id is not None:
                after.message(message_id)
        return message_id
    finally:
        await queue.aclose()


async def row(pool: Pool, message_id: UUID) -> asyncpg.Record:
    async with pool.acquire() as conn:
        found = await conn.fetchrow("SELECT * FROM outbox_message WHERE id = $1", message_id)
    assert found is not None
    return found


async def test_a_mail_is_delivered_once_with_its_parts_headers_and_language(
    pool: Pool, own: Settings, sealer: Sealer, mailbox: Mailbox
) -> None:
    anna, ben = address("anna"), address("ben")
    to_anna, link = sign_in(anna, to_name="Anna Ödling")
    to_ben = compose(
        "sign_in_link",
        "en",
        to_address=ben,
        link="http://127.0.0.1:8000/x",
        valid_minutes=15,
        unsubscribe_url="http://127.0.0.1:8000/unsubscribe/abc",
        attachments=[attachment("pick list.csv", "text/csv", "vara;antal\nmorötter;10\n")],
    )
    async with pool.acquire() as conn:
        organisation_id = await conn.fetchval(
            "INSERT INTO organisation (kind, name) VALUES ('coop', 'Matkassen') RETURNING id"
        )
    first = await write(pool, own, sealer, to_anna, organisation_id=organisation_id)
    again = await write(pool, own, sealer, to_anna, organisation_id=organisation_id)
    second = await write(pool, own, sealer, to_ben)
    assert first is not None
    assert second is not None
    assert again is None  # the same event and recipient: not written twice

    await drain(own)

    (kept,) = mailbox.find(to=anna)
    assert kept.subject == "Logga in på Samlast"
    assert kept.message_id == f"<{first}@localhost>"
    assert kept.header("Content-Language") == "sv"
    assert kept.header("From") == "Samlast <noreply@localhost>"
    assert "Anna Ödling" in str(kept.header("To"))
    assert kept.header("Date") is not None
    assert kept.message.get_content_type() == "multipart/alternative"
    assert kept.links() == [link]
    assert "15 minuter" in kept.text
    assert "strunta i det här brevet" in kept.text
    assert f'href="{link}"' in kept.html
    assert '<html lang="sv">' in kept.html
    assert kept.header("List-Unsubscribe") is None  # transactional
    assert mailbox.transactions(anna) == [(kept.message_id, "new")]

    (for_ben,) = mailbox.find(to=ben, subject="Sign in to Samlast")
    assert for_ben.header("Content-Language") == "en"
    assert for_ben.header("List-Unsubscribe") == "<http://127.0.0.1:8000/unsubscribe/abc>"
    assert for_ben.header("List-Unsubscribe-Post") == "List-Unsubscribe=One-Click"
    assert for_ben.attachments() == [
        ("pick list.csv", "text/csv", "vara;antal\nmorötter;10\n".encode())
    ]

    delivered = await row(pool, first)
    assert (delivered["state"], delivered["attempts"]) == ("delivered", 1)
    async with pool.acquire() as conn:
        recent = await outbox_db.select_recent_mail(conn, organisation_id=organisation_id)
    assert [(r["id"], r["recipient"], r["state"]) for r in recent] == [(first, anna, "delivered")]


async def test_a_mail_whose_transaction_rolls_back_is_never_sent(
    pool: Pool, own: Settings, sealer: Sealer, mailbox: Mailbox
) -> None:
    rolled_back, committed = address("never"), address("after")
    queue = await connect_queue(own)
    try:
        with pytest.raises(RuntimeError, match="the event failed"):
            await _write_then_fail(pool, queue, sealer, sign_in(rolled_back)[0])
        async with pool.acquire() as conn:
            stray = await conn.fetchval(
                "SELECT count(*) FROM outbox_message WHERE recipient = $1", rolled_back
            )
    finally:
        await queue.aclose()
    sent = await write(pool, own, sealer, sign_in(committed)[0])
    assert sent is not None

    await drain(own)

    assert len(mailbox.find(to=committed)) == 1  # the worker did run
    assert stray == 0
    assert mailbox.find(to=rolled_back) == []
    assert mailbox.transactions(rolled_back) == []


async def _write_then_fail(pool: Pool, queue: ArqRedis, sealer: Sealer, mail: Mail) -> None:
    """The mail written and its job asked for, then the event's transaction fails; a
    stray job for the id (a queue that ran ahead) must find nothing to send either."""
    async with pool.acquire() as conn, transaction_then_queue(conn, queue) as after:
        message_id = await outbox_db.insert_mail(conn, mail, sealer=sealer, dedupe_key=None)
        assert message_id is not None
        after.message(message_id)
        await enqueue_message(queue, message_id, 0)
        raise RuntimeError("the event failed")


async def test_the_mail_is_stored_sealed(pool: Pool, own: Settings, sealer: Sealer) -> None:
    mail, link = sign_in(address("sealed"))
    message_id = await write(pool, own.replace(**{"mail.smtp_url": None}), sealer, mail)
    assert message_id is not None
    stored = await row(pool, message_id)
    token = link.rpartition("=")[2]
    async with pool.acquire() as conn:
        assert await tables_holding(conn, token, token.encode()) == []
        assert await tables_holding(conn, "Logga in på Samlast") == []
    assert stored["payload"] is None
    assert outbox_db.unseal_mail(sealer, stored["payload_sealed"]) == mail


async def test_a_permanent_refusal_fails_at_once(
    pool: Pool, own: Settings, sealer: Sealer, mailbox: Mailbox
) -> None:
    message_id = await write(pool, own, sealer, sign_in("nobody@refused.invalid")[0])
    assert message_id is not None

    await drain(own)

    failed = await row(pool, message_id)
    assert (failed["state"], failed["attempts"]) == ("failed", 1)
    assert (failed["last_status"], failed["last_error"]) == (550, "recipient refused (550)")
    assert mailbox.find(to="nobody@refused.invalid") == []


async def test_a_mail_waits_while_the_server_is_down_and_goes_out_when_it_is_back(
    pool: Pool, own: Settings, sealer: Sealer, tmp_path: Path
) -> None:
    port = free_port()  # nothing listens here yet
    down = own.replace(**{"mail.smtp_url": f"smtp://127.0.0.1:{port}"})
    to = address("patient")
    message_id = await write(pool, down, sealer, sign_in(to)[0])
    assert message_id is not None

    async def tried_twice() -> bool:
        return bool((await row(pool, message_id))["attempts"] >= 2)

    async with serving(down):
        await eventually(tried_twice, "two attempts while the server is down")
        waiting = await row(pool, message_id)
        with embedded_smtp(tmp_path / "mail", port=port) as server:

            async def delivered() -> bool:
                return bool((await row(pool, message_id))["state"] == "delivered")

            await eventually(delivered, "the mail delivered once the server is back")
            kept = Mailbox(server.directory).find(to=to)

    assert waiting["state"] == "pending"
    assert waiting["last_error"] == "cannot connect to the mail server"
    assert len(kept) == 1
    assert kept[0].message_id == f"<{message_id}@localhost>"


async def test_what_a_sent_mail_said_is_forgotten_after_a_month(
    pool: Pool, own: Settings, sealer: Sealer
) -> None:
    """Housekeeping empties the content of mail sent or given up long ago; a mail that
    may still be sent keeps it, and every row still says to whom and how it went."""
    old, recent, waiting = address("old"), address("recent"), address("waiting")
    ids = [await write(pool, own, sealer, sign_in(to)[0]) for to in (old, recent, waiting)]
    async with pool.acquire() as conn:
        await conn.execute(
            "UPDATE outbox_message SET state = 'delivered',"
            " delivered_at = now() - interval '31 days' WHERE id = $1",
            ids[0],
        )
        await conn.execute(
            "UPDATE outbox_message SET state = 'delivered', delivered_at = now() WHERE id = $1",
            ids[1],
        )
        forgotten = await outbox_db.forget_sent_mail(conn, 30)
        rows = {
            r["id"]: r
            for r in await conn.fetch(
                "SELECT id, recipient, payload_sealed IS NULL AS empty FROM outbox_message"
                " WHERE id = any($1::uuid[])",
                ids,
            )
        }
    assert forgotten >= 1
    assert [rows[i]["empty"] for i in ids] == [True, False, False]
    assert [rows[i]["recipient"] for i in ids] == [old, recent, waiting]
