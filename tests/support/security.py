"""What the security tests share: a real API process of their own, and raw sockets that
behave as an attacker's would (headers or bodies sent a byte at a time)."""

from __future__ import annotations

import asyncio
import contextlib
import subprocess
from collections.abc import Iterator, Mapping
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from infra.devservers import free_port
from infra.processes import samlast_process, wait_for_health
from shared.db.pool import Conn


@contextlib.contextmanager
def api_server(
    settings_env: Mapping[str, str], logs: Path, **env: str
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """``samlast api`` (one uvicorn process, as production runs it) with ``env`` added."""
    port = free_port()
    full_env = {**settings_env, **env, "SAMLAST_API_PORT": str(port)}
    with samlast_process(["api"], full_env, logs / f"api-{port}.log") as process:
        url = f"http://127.0.0.1:{port}"
        wait_for_health(url, {"api": process}, logs, need_worker=False)
        yield url, process


def api_logs(logs: Path) -> str:
    """What the API processes started by ``api_server`` in ``logs`` wrote."""
    return "".join(path.read_text() for path in sorted(logs.glob("api-*.log")))


def own_redis_db(redis_url: str, db: int) -> str:
    """The same Redis server, another database: counters no other test shares."""
    parts = urlsplit(redis_url)
    return urlunsplit(parts._replace(path=f"/{db}"))


class SlowClient:
    """One connection that sends a request's head, then drips its body."""

    def __init__(self, url: str, method: str, path: str, headers: Mapping[str, str]) -> None:
        self.parts = urlsplit(url)
        self.method, self.path, self.headers = method, path, dict(headers)
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def open(self, *, chunked: bool = True, head_only: bool = False) -> None:
        self.reader, self.writer = await asyncio.open_connection(
            self.parts.hostname, self.parts.port
        )
        lines = [f"{self.method} {self.path} HTTP/1.1", f"Host: {self.parts.netloc}"]
        lines += [f"{name}: {value}" for name, value in self.headers.items()]
        if chunked:
            lines.append("Transfer-Encoding: chunked")
        head = "\r\n".join(lines) + "\r\n"
        # a head without its closing blank line: the server is still waiting for headers
        self.writer.write(head.encode() if head_only else (head + "\r\n").encode())
        await self.writer.drain()

    async def drip(self, data: bytes) -> bool:
        """Send one more chunk; False once the server has closed the connection."""
        assert self.writer is not None
        if self.writer.is_closing():
            return False
        try:
            self.writer.write(b"%x\r\n%s\r\n" % (len(data), data))
            await self.writer.drain()
        except (ConnectionError, OSError):
            return False
        return True

    async def answer(self) -> bytes:
        """What the server sent until it closed the connection (at most 64 KiB); what
        arrived before a reset, if it reset it."""
        assert self.reader is not None
        received = b""
        while len(received) < 65536:
            try:
                chunk = await self.reader.read(4096)
            except (ConnectionError, OSError):
                break
            if not chunk:
                break
            received += chunk
        return received

    async def stream(self, chunk: bytes, total: int) -> tuple[int, bytes]:
        """Open, send ``chunk`` until ``total`` bytes went or the server answered or
        closed, reading all the while (as browsers do); (bytes sent, the answer)."""
        await self.open()
        answer = asyncio.create_task(self.answer())
        sent = 0
        while sent < total and not answer.done() and await self.drip(chunk):
            sent += len(chunk)
        received = await asyncio.wait_for(answer, 60)
        await self.close()
        return sent, received

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            with contextlib.suppress(ConnectionError, OSError):
                await self.writer.wait_closed()


async def tables_holding(conn: Conn, secret: str, *raw: bytes) -> list[str]:
    """Every table whose rows, as text, contain ``secret``, and every bytea column that
    holds it (or any of the ``raw`` bytes it encodes): a row's text shows bytea as hex,
    where a plain text search cannot see it."""
    tables = await conn.fetch(
        "SELECT quote_ident(tablename) AS name FROM pg_tables WHERE schemaname = 'public'"
    )
    found = [
        table["name"]
        for table in tables
        if await conn.fetchval(
            f"SELECT count(*) FROM {table['name']} t WHERE t::text LIKE '%' || $1 || '%'",
            secret,
        )
    ]
    columns = await conn.fetch(
        "SELECT quote_ident(table_name) AS t, quote_ident(column_name) AS c"
        " FROM information_schema.columns"
        " WHERE table_schema = 'public' AND data_type = 'bytea'"
    )
    for column in columns:
        for needle in (secret.encode(), *raw):
            where = f"position($1::bytea in {column['c']}) > 0"
            if await conn.fetchval(f"SELECT count(*) FROM {column['t']} WHERE {where}", needle):
                found.append(f"{column['t']}.{column['c']}")
    return found
