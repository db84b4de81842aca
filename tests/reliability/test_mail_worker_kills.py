"""A worker SIGKILLed in the middle of sending a mail: the mail still goes out, and the
reader gets one message (SMTP delivers at least once; the stable Message-ID makes the
repeat the same message, which the mailbox keeps once)."""

from __future__ import annotations

import os
import secrets
import signal
from pathlib import Path
from uuid import UUID

import pytest

from infra.devservers import embedded_smtp
from infra.processes import samlast_process
from shared.db import outbox as outbox_db
from shared.db.pool import Pool
from shared.mail import compose
from shared.queue import connect_queue, transaction_then_queue
from shared.security.sealing import Sealer
from shared.settings import Settings, load_settings
from tests.support.figures import Figures
from tests.support.mailbox import Mailbox
from tests.support.receivers import eventually
from tests.support.workers import forget_queue

STALL_S = 2  # the server keeps the message, then holds its 250 this long
# One attempt's bound: a dead worker's lease runs out this plus 30 s after its claim,
# and arq runs its job again 10 s later.
TIMEOUT_S = 5


@pytest.mark.timeout(240)
async def test_a_mail_survives_its_worker_being_killed_mid_delivery(
    pool: Pool, settings_env: dict[str, str], tmp_path: Path, figures: Figures
) -> None:
    to = f"kill-{secrets.token_hex(4)}@example.org"
    with embedded_smtp(tmp_path / "mail", stall_s=STALL_S) as server:
        env = {
            **settings_env,
            "SAMLAST_SMTP_URL": server.url,
            "SAMLAST_MAIL_TIMEOUT_S": str(TIMEOUT_S),
            "SAMLAST_WEBHOOK_TIMEOUT_S": str(TIMEOUT_S),
            "SAMLAST_QUEUE_NAME": f"{settings_env['SAMLAST_QUEUE_NAME']}-{secrets.token_hex(3)}",
        }
        settings = load_settings(env)
        mailbox = Mailbox(server.directory)
        message_id = await _write(pool, settings, to)
        try:
            with samlast_process(["worker"], env, tmp_path / "worker1.log") as first:
                # the server has the message and is holding its answer: kill the sender
                await eventually(lambda: len(mailbox.transactions(to)) == 1, "the first send")
                os.kill(first.pid, signal.SIGKILL)
                first.wait(timeout=10)
            killed = await _state(pool, message_id)
            with samlast_process(["worker"], env, tmp_path / "worker2.log"):

                async def delivered() -> bool:
                    return await _state(pool, message_id) == ("delivered", 1)

                await eventually(delivered, "delivery by the second worker", timeout_s=150)
        finally:
            await forget_queue(settings)
        kept = mailbox.find(to=to)
        sends = mailbox.transactions(to)

    assert killed == ("pending", 0)  # the first attempt was never recorded
    assert len(kept) == 1
    assert kept[0].message_id == f"<{message_id}@localhost>"
    assert [seen for _, seen in sends] == ["new"] + ["repeat"] * (len(sends) - 1)
    assert {mid for mid, _ in sends} == {kept[0].message_id}
    assert len(sends) >= 2  # the server did take it twice: at least once, not once
    figures.record(
        "test_mail_worker_kills.py::test_a_mail_survives_its_worker_being_killed_mid_delivery",
        f"the sending worker SIGKILLed after the server kept the mail: sent {len(sends)} "
        "times under one Message-ID, 1 message in the mailbox, recorded delivered once",
    )


async def _write(pool: Pool, settings: Settings, to: str) -> UUID:
    mail = compose(
        "sign_in_link", "en", to_address=to, link="http://127.0.0.1:8000/s", valid_minutes=15
    )
    queue = await connect_queue(settings)
    try:
        async with pool.acquire() as conn, transaction_then_queue(conn, queue) as after:
            message_id = await outbox_db.insert_mail(
                conn, mail, sealer=Sealer(settings.secret_keys), dedupe_key=None
            )
            assert message_id is not None
            after.message(message_id)
    finally:
        await queue.aclose()
    return message_id


async def _state(pool: Pool, message_id: UUID) -> tuple[str, int]:
    async with pool.acquire() as conn:
        found = await conn.fetchrow(
            "SELECT state, attempts FROM outbox_message WHERE id = $1", message_id
        )
    assert found is not None
    return found["state"], found["attempts"]
