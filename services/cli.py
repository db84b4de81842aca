"""The ``samlast`` command: api, worker, migrate, rotate-secrets, federation-key, servers, demo."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
import sys
from collections.abc import Sequence

from shared.db import server as server_db
from shared.db.migrate import MigrationError, load_migrations, migrate
from shared.db.pool import connect
from shared.errors import ServiceUnavailableError
from shared.queue import connect_queue, enqueue_message
from shared.security.sealing import SealingError, new_key, sealer_of
from shared.settings import Settings, SettingsError, load_settings

log = logging.getLogger("samlast")


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        settings = load_settings()
    except SettingsError as exc:
        print(f"samlast: bad configuration: {exc}", file=sys.stderr)
        return 2
    logging.basicConfig(
        level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per request is noise
    try:
        code: int = args.run(settings, args)
    except (ServiceUnavailableError, MigrationError, SealingError) as exc:
        print(f"samlast {args.command}: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    return code


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="samlast", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    api = commands.add_parser("api", help="serve the HTTP API (uvicorn)")
    api.add_argument("--host", help="default: SAMLAST_API_HOST")
    api.add_argument("--port", type=int, help="default: SAMLAST_API_PORT")
    api.add_argument("--workers", type=int, help="processes; default: SAMLAST_API_WORKERS")
    api.set_defaults(run=run_api)

    worker = commands.add_parser("worker", help="run the matcher (arq worker)")
    worker.add_argument("--burst", action="store_true", help="drain the queue, then exit")
    worker.add_argument(
        "--check",
        action="store_true",
        help="exit 0 if a worker on this queue has a fresh heartbeat",
    )
    worker.set_defaults(run=run_worker)

    migrate_cmd = commands.add_parser(
        "migrate",
        help="apply pending database migrations, then seal any webhook secret left in plain text",
    )
    migrate_cmd.set_defaults(run=run_migrate)

    rotate = commands.add_parser(
        "rotate-secrets",
        help="re-seal every webhook secret under the first of SAMLAST_SECRET_KEYS",
    )
    rotate.set_defaults(run=run_rotate_secrets)

    new_secret_key = commands.add_parser(
        "new-secret-key", help="print a new key for SAMLAST_SECRET_KEYS"
    )
    new_secret_key.set_defaults(run=run_new_secret_key)

    fed_key = commands.add_parser(
        "federation-key",
        help="this deployment's federation signing keys: list, make a new one, retire one",
    )
    fed_actions = fed_key.add_subparsers(dest="action", required=True)
    fed_actions.add_parser("list", help="the keys, published and retired")
    fed_actions.add_parser(
        "new", help="make a key; it signs from now on, published beside the older ones"
    )
    fed_retire = fed_actions.add_parser(
        "retire", help="stop publishing a key once every peer has the newer one"
    )
    fed_retire.add_argument("key_id")
    fed_key.set_defaults(run=run_federation_key)

    first = commands.add_parser(
        "admin",
        help="make a person the deployment's admin and print (and mail) a sign-in link",
    )
    first.add_argument("--email", required=True, help="the person's e-mail address")
    first.add_argument("--name", required=True, help="the person's name")
    first.add_argument("--language", choices=["sv", "en"], default="sv")
    first.set_defaults(run=run_admin)

    admin = commands.add_parser(
        "admin-token", help="print a new admin API token for an integration (shown once)"
    )
    admin.add_argument("--label", default="created by samlast admin-token")
    admin.set_defaults(run=run_admin_token)

    servers = commands.add_parser(
        "servers", help="run embedded PostgreSQL and Redis in the foreground for development"
    )
    servers.set_defaults(run=run_servers)

    demo = commands.add_parser("demo", help="bring the whole stack up and show it working")
    demo.add_argument("--once", action="store_true", help="run through once and exit")
    demo.set_defaults(run=run_demo)
    return parser


def run_api(settings: Settings, args: argparse.Namespace) -> int:
    from services.api.core.serve import serve

    asyncio.run(preflight(settings, need_schema=True, need_redis=False))
    serve(
        settings,
        host=args.host or settings.api.host,
        port=args.port or settings.api.port,
        workers=args.workers or settings.api.workers,
    )
    return 0


def run_worker(settings: Settings, args: argparse.Namespace) -> int:
    from services.matcher.worker import build_worker, heartbeat

    if args.check:
        beat = asyncio.run(heartbeat(settings))
        print(beat or "no worker heartbeat on this queue")
        return 0 if beat else 1
    asyncio.run(preflight(settings, need_schema=True))
    build_worker(settings, burst=args.burst).run()
    return 0


def run_migrate(settings: Settings, args: argparse.Namespace) -> int:
    from services.api.core.secrets_at_rest import seal_secrets

    async def apply() -> tuple[list[str], int]:
        conn = await connect(settings)
        try:
            applied = await migrate(conn)
            return applied, await seal_secrets(conn, sealer_of(settings.secret_keys), rotate=False)
        finally:
            await conn.close()

    applied, sealed = asyncio.run(apply())
    print(
        f"applied {len(applied)} migration(s): {', '.join(applied)}"
        if applied
        else "database schema is up to date"
    )
    if sealed:
        print(f"sealed {sealed} secret(s) kept in plain text until now (webhooks, join links)")
    return 0


def run_rotate_secrets(settings: Settings, args: argparse.Namespace) -> int:
    """After putting a new key first in SAMLAST_SECRET_KEYS everywhere: seal every secret
    under it, so the old key can be dropped."""
    from services.api.core.secrets_at_rest import seal_secrets

    async def rotate() -> int:
        conn = await connect(settings)
        try:
            return await seal_secrets(conn, sealer_of(settings.secret_keys), rotate=True)
        finally:
            await conn.close()

    print(f"re-sealed {asyncio.run(rotate())} secret(s) under the first key")
    return 0


def run_new_secret_key(settings: Settings, args: argparse.Namespace) -> int:
    print(new_key())
    return 0


def run_federation_key(settings: Settings, args: argparse.Namespace) -> int:
    """Rotation: ``new``, give peers the new key id and public key, then ``retire`` the old."""
    import datetime as dt

    from shared.security import federation_keys
    from shared.security.http_signatures import b64url

    async def act() -> int:
        conn = await connect(settings)
        try:
            if args.action == "new":
                today = dt.datetime.now(dt.UTC).date()
                key = await federation_keys.make_key(conn, sealer_of(settings.secret_keys), today)
                print(f"made {key.key_id}: it signs from now on; give peers this public key:")
                print(f"{key.key_id} {b64url(key.public_key)}")
            elif args.action == "retire":
                if not await federation_keys.retire_key(conn, args.key_id):
                    print(f"no key {args.key_id!r} in use", file=sys.stderr)
                    return 1
                print(f"retired {args.key_id}: no longer published nor used to sign")
            else:
                keys = await federation_keys.published_keys(conn, with_retired=True)
                for key in keys:
                    state = f"retired {key.retired_at:%Y-%m-%d}" if key.retired_at else "published"
                    print(f"{key.key_id} {b64url(key.public_key)} {state}")
                if not keys:
                    print("no keys yet: make one with `samlast federation-key new`")
            return 0
        finally:
            await conn.close()

    return asyncio.run(act())


def run_admin(settings: Settings, args: argparse.Namespace) -> int:
    from services.api.accounts.service import make_admin

    async def create() -> str:
        conn = await connect(settings)
        try:
            link, message_id = await make_admin(
                conn, settings, args.email, args.name, args.language
            )
        finally:
            await conn.close()
        with contextlib.suppress(Exception):  # else the worker's sweep sends it
            queue = await connect_queue(settings)
            await enqueue_message(queue, message_id, 0)
            await queue.aclose()
        return link

    link = asyncio.run(create())
    print(f"{args.email} is an admin of this deployment. Sign in within the next minutes at:")
    print(link)
    return 0


def run_admin_token(settings: Settings, args: argparse.Namespace) -> int:
    from services.api.tokens.service import create_admin_token

    async def create() -> str:
        conn = await connect(settings)
        try:
            return await create_admin_token(conn, args.label)
        finally:
            await conn.close()

    print(asyncio.run(create()))
    return 0


def run_servers(settings: Settings, args: argparse.Namespace) -> int:
    from infra.devservers import servers_from_env

    with servers_from_env() as urls:
        for name, value in urls.as_env().items():
            print(f"export {name}={value}", flush=True)
        print("# Ctrl-C stops the servers", flush=True)
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
        with contextlib.suppress(KeyboardInterrupt):
            signal.pause()
    return 0


def run_demo(settings: Settings, args: argparse.Namespace) -> int:
    from services.demo.run import run

    return run(once=args.once)


async def preflight(settings: Settings, *, need_schema: bool, need_redis: bool = True) -> None:
    """Fail fast, naming the server, when PostgreSQL or (if needed) Redis can't be
    reached; the API serves without Redis, so for it an absent Redis is a warning."""
    if not settings.secret_keys:
        log.warning("SAMLAST_SECRET_KEYS is unset: webhooks can't be set up or signed")
    conn = await connect(settings)
    try:
        if need_schema and await server_db.schema_version(conn) < load_migrations()[-1].version:
            log.warning("the database schema is behind: run `samlast migrate`")
    finally:
        await conn.close()
    try:
        queue = await connect_queue(settings)
    except ServiceUnavailableError as exc:
        if need_redis:
            raise
        log.warning("%s; serving without it until it answers", exc)
        return
    await queue.aclose()


if __name__ == "__main__":
    sys.exit(main())
