"""Headers on every answer, and what health tells whom, against real API processes.

Every page under ``/app`` (each GET route of the pages, found in the app itself, so a new
page without a row here fails) and a sample of the API's answers carry ``nosniff``, a
``Referrer-Policy`` and a Content-Security-Policy that forbids framing; HTML carries the
pages' policy, which has no ``'unsafe-inline'`` and admits images only from us and the
map tile host, and the HTML itself has no inline script, event handler or style
attribute, and no ``<style>`` block the policy does not admit by hash.

Health: liveness is always ``ok``; readiness is 200 ``degraded`` without a matcher or
without Redis and 503 only when PostgreSQL cannot be reached. An anonymous caller gets
the status word and nothing else; an admin's token shows versions and errors.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import re
import secrets
import socket
import threading
import uuid
from collections import Counter
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any, cast
from urllib.parse import urlsplit, urlunsplit

import httpx
import pytest

from infra.devservers import embedded_redis, free_port
from infra.processes import api_and_workers, samlast_process, wait_for_health
from services.api.app import create_app
from shared.db.pool import Pool
from shared.settings import Settings
from tests.support.figures import Figures
from tests.support.http import Client, bearer, ok
from tests.support.people import session_cookies
from tests.support.world import World, add_van, build_world, close_cycle, offer_body, order

TILE_HOST = "https://tiles.example.org"
TILE_URL = TILE_HOST + "/{z}/{x}/{y}.png"
STATUS_WORDS = {"ok", "degraded", "unavailable"}
UNSAFE_SOURCES = {"'unsafe-inline'", "'unsafe-eval'", "'unsafe-hashes'", "*", "data:", "http:"}
# The pages' GET routes, as Litestar spells them, and who asks for each.
PAGE_CALLERS = {
    "/app": "coordinator",
    "/app/sign-in": None,
    "/app/sign-in/link": None,
    "/app/invitations/accept": None,
    "/app/unsubscribe": None,
    "/app/me": "coop",
    "/app/people": "coordinator",
    "/app/language/{language:str}": None,
    "/app/dashboard": "coordinator",
    "/app/runs/{run_id:uuid}": "coordinator",
    "/app/runs/{run_id:uuid}/events": "coordinator",
    "/app/runs/{run_id:uuid}/routes/{route_id:uuid}/sheet": "coordinator",
    "/app/runs/{run_id:uuid}/routes/{route_id:uuid}/sheet.pdf": "coordinator",
    "/app/runs/{run_id:uuid}/pick-list": "producer",
    "/app/runs/{run_id:uuid}/pick-list.pdf": "producer",
    "/app/runs/{run_id:uuid}/delivery-note": "coop",
    "/app/runs/{run_id:uuid}/delivery-note.pdf": "coop",
    "/app/producer": "producer",
    "/app/producer/peer-orders": "producer",
    "/app/coop": "coop",
    "/app/runs/{run_id:uuid}/pick-list.csv": "producer",
    "/app/runs/{run_id:uuid}/delivery-note.csv": "coop",
    "/app/networks/{network_id:uuid}/settings": "coordinator",
    "/app/networks/{network_id:uuid}/vehicles": "coordinator",
    "/app/networks/{network_id:uuid}/vehicles/{vehicle_id:uuid}": "coordinator",
    "/app/networks/{network_id:uuid}/products": "coordinator",
    "/app/networks/{network_id:uuid}/products/{product_id:uuid}": "coordinator",
    "/app/networks/{network_id:uuid}/cycles/new": "coordinator",
    "/app/cycles/{cycle_id:uuid}": "coordinator",
    "/app/cycles/{cycle_id:uuid}/close": "coordinator",
    "/app/cycles/{cycle_id:uuid}/demand/template.csv": "coop",
    "/app/networks/new": "admin",
    "/app/networks/{network_id:uuid}/cycles/schedule": "coordinator",
    "/app/networks/{network_id:uuid}/demand-signal": "coordinator",
    "/app/demand-signal": "producer",
    "/app/networks/{network_id:uuid}/members": "coordinator",
    "/app/networks/{network_id:uuid}/members/{organisation_id:uuid}/remove": "coordinator",
    "/app/networks/{network_id:uuid}/joins/{request_id:uuid}/refuse": "coordinator",
    "/app/join/{code:str}": None,
    "/app/join/confirm": None,
    "/app/profile": "producer",
    "/app/place": "coop",
    "/app/places/search": "coop",
    "/app/networks/{network_id:uuid}/producers": "coop",
    "/app/networks/{network_id:uuid}/producers.csv": "coop",
    "/app/invoicing": "coop",
    "/app/invoices": "coop",
    "/app/invoices.csv": "coop",
    "/app/invoices/{invoice_id:uuid}": "coop",
    "/app/invoices/{invoice_id:uuid}/invoice.pdf": "coop",
    "/app/invoices/{invoice_id:uuid}/payment": "coordinator",
    "/app/ledger": "coop",
    "/app/ledger.csv": "coop",
    "/app/sie": "coop",
    "/app/runs/{run_id:uuid}/receiving": "coop",
    "/app/runs/{run_id:uuid}/money": "coordinator",
    "/app/runs/{run_id:uuid}/money/{what:str}": "coordinator",
}


@pytest.fixture(scope="module")
def site(settings_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The API and a matcher as production runs them, with a map tile server set."""
    env = {**settings_env, "SAMLAST_MAP_TILE_URL": TILE_URL}
    with api_and_workers(env, tmp_path_factory.mktemp("headers")) as url:
        yield url


# -- headers ------------------------------------------------------------------------


async def test_every_page_and_answer_carries_the_headers(
    site: str, settings: Settings, admin_token: str, figures: Figures, pool: Pool
) -> None:
    async with httpx.AsyncClient(base_url=site, timeout=30) as http:
        world, run_id, route_id = await _published_run(cast(Client, http), admin_token)
        tokens = {
            "coordinator": world.coordinator,
            "producer": world.producer,
            "coop": world.coop,
            "admin": admin_token,
        }
        network_id = world.network["id"]
        vans = f"/v1/networks/{network_id}/vehicles"
        (van, *_) = await ok(await http.get(vans, headers=bearer(world.coordinator)))
        ids = {
            "run_id": run_id,
            "route_id": route_id,
            "language": "en",
            "network_id": network_id,
            "vehicle_id": van["id"],
            "product_id": world.products["Morötter"]["id"],
            "cycle_id": world.cycle["id"],
            "organisation_id": world.producer_id,
            "request_id": str(uuid.uuid4()),  # no such request: its page says so
            "code": "0" * 12 + "x" * 24,  # no such link: its page says so
            "invoice_id": str(uuid.uuid4()),  # no invoices issued: its page says so
            "what": "invoices",
        }
        answers: dict[str, httpx.Response] = {}
        for template, caller in PAGE_CALLERS.items():
            path = re.sub(r"{(\w+):\w+}", lambda match: ids[match[1]], template)
            cookies = await session_cookies(pool, tokens[caller]) if caller else {}
            answers[path] = await _head_of(http, path, cookies=cookies)
        for path, token in [
            ("/v1/offers", world.producer),
            (f"/v1/runs/{run_id}", world.coordinator),
            (f"/v1/runs/{run_id}/routes/{route_id}/sheet.html", world.coordinator),
            (f"/v1/runs/{run_id}/routes/{route_id}/sheet.pdf", world.coordinator),
            (f"/v1/runs/{run_id}/pick-lists.html", world.producer),
            (f"/v1/runs/{run_id}/delivery-notes.pdf", world.coop),
            (f"/v1/runs/{run_id}/allocations.csv", world.coordinator),
            ("/v1/offers", None),  # 401
            ("/v1/no-such-thing", world.coop),  # 404
            ("/static/app.css", None),
            ("/static/app.js", None),
            ("/schema/openapi.json", None),
            ("/health/live", None),
            ("/health/ready", None),
            ("/health", None),
            ("/", None),
        ]:
            headers = bearer(token) if token else {}
            answers[f"{path} ({'token' if token else 'anonymous'})"] = await http.get(
                path, headers=headers
            )

    pages_routes = {
        route.path
        for route in create_app(settings).routes
        if route.path.startswith("/app") and "GET" in getattr(route, "methods", ())
    }
    assert pages_routes == set(PAGE_CALLERS), "a page route without a row in PAGE_CALLERS"
    statuses = Counter(response.status_code for response in answers.values())
    assert statuses[500] == 0, statuses
    html = {path: r for path, r in answers.items() if _media_type(r) == "text/html"}
    # sign-in, its link, the invitation and the unsubscribe link (all gone), my page,
    # people, dashboard, run, 2 sheets, producer, coop, a network's 5 setup pages, a
    # cycle's 3 (open one, follow one, close one), starting a network, and the printable
    # documents: a pick list and a delivery note on the pages, a pick list in the API;
    # a network's members, a member's removal, a join request's refusal (none such), its
    # cycle schedule, demand signal and producer directory, the join link and its
    # confirmation (both gone), and the profile; the money pages: invoicing details,
    # invoices, the ledger, a run's receiving, its money page and one of its steps, and
    # an invoice, its PDF and its payment (no such invoice: the error page, 3); the
    # orders from peer deployments
    assert len(html) == 43, sorted(html)
    for path, response in answers.items():
        assert response.headers.get("x-content-type-options") == "nosniff", path
        assert response.headers.get("referrer-policy") == "strict-origin-when-cross-origin", path
        assert "server" not in response.headers, path  # callers need not learn what serves
        if path.startswith("/schema"):
            continue  # Litestar's Redoc page starts with an inline script: no policy there
        policy = _policy(response)
        assert policy.get("frame-ancestors") == ["'none'"], path
        if path not in html:
            assert policy.get("default-src") == ["'none'"], path
    inline = Counter[str]()
    for path, response in html.items():
        inline.update(_check_page(path, response))
    codes = ", ".join(f"{n} x {code}" for code, n in sorted(statuses.items()))
    figures.record(
        "test_headers_and_health.py::test_every_page_and_answer_carries_the_headers",
        f"{len(PAGE_CALLERS)} page routes (all of them) and {len(answers) - len(PAGE_CALLERS)} "
        f"other answers of the API, static files, docs and health ({codes}): every one "
        f"with nosniff and a Referrer-Policy; {len(html)} HTML pages under the pages' "
        f"policy, 'unsafe-inline' in it: 0; inline scripts, handlers, style attributes: 0; "
        f"style blocks admitted by hash: {inline['style block']}; tile images, all from "
        f"the policy's img-src: {inline['tile']}",
    )


async def _published_run(http: Client, admin_token: str) -> tuple[World, str, str]:
    """A network's cycle closed, its run proposed, approved and published; with a route."""
    world = await build_world(http, admin_token)
    await add_van(http, world)
    carrots = world.products["Morötter"]["id"]
    await ok(
        await http.post("/v1/offers", json=offer_body(world), headers=bearer(world.producer)),
        201,
    )
    await order(http, world.cycle["id"], world.coop, [{"product_id": carrots, "firm_quantity": 20}])
    run = await close_cycle(http, world)
    coordinator = bearer(world.coordinator)
    for _ in range(600):  # a bound, not a timing: the run finishes in seconds
        run = await ok(await http.get(f"/v1/runs/{run['id']}", headers=coordinator))
        if run["state"] == "proposed":
            break
        await asyncio.sleep(0.1)
    assert run["state"] == "proposed", run
    for step in ("approve", "publish"):
        await ok(await http.post(f"/v1/runs/{run['id']}/{step}", headers=coordinator))
    path = f"/v1/runs/{run['id']}/routes?plan=joint"
    (route, *_) = (await ok(await http.get(path, headers=coordinator)))["routes"]
    return world, run["id"], route["id"]


async def _head_of(http: httpx.AsyncClient, path: str, cookies: dict[str, str]) -> httpx.Response:
    """The answer; of an event stream only its head (it runs until the run finishes)."""
    http.cookies.clear()
    for name, value in cookies.items():
        http.cookies.set(name, value)
    async with http.stream("GET", path) as response:
        if _media_type(response) != "text/event-stream":
            await response.aread()
    http.cookies.clear()
    return response


def _media_type(response: httpx.Response) -> str:
    content_type: str = response.headers.get("content-type", "")
    return content_type.split(";")[0].strip()


def _policy(response: httpx.Response) -> dict[str, list[str]]:
    header = response.headers.get("content-security-policy", "")
    directives = (part.split() for part in header.split(";") if part.strip())
    return {words[0]: words[1:] for words in directives}


def _check_page(path: str, response: httpx.Response) -> Counter[str]:
    """The pages' policy on an HTML answer, and nothing in the HTML that it would block."""
    policy = _policy(response)
    assert policy["default-src"] == ["'none'"], path
    assert policy["base-uri"] == ["'none'"], path
    for directive in ("script-src", "style-src"):
        assert not UNSAFE_SOURCES & set(policy[directive]), f"{path}: {directive}"
    assert policy["script-src"] == ["'self'"], path
    assert set(policy["img-src"]) == {"'self'", TILE_HOST}, path
    page = _Inline()
    page.feed(response.text)
    assert page.scripts == [], f"{path}: inline or foreign scripts {page.scripts}"
    assert page.attributes == [], f"{path}: inline handlers or styles {page.attributes}"
    for block in page.style_blocks:
        digest = base64.b64encode(hashlib.sha256(block.encode()).digest()).decode()
        assert f"'sha256-{digest}'" in policy["style-src"], f"{path}: a <style> not admitted"
    for image in page.images:
        assert image.startswith(TILE_HOST + "/") or image.startswith("/"), f"{path}: {image}"
    return Counter({"style block": len(page.style_blocks), "tile": len(page.images)})


class _Inline(HTMLParser):
    """What a strict policy would block in a page: inline scripts, handlers, styles."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.scripts: list[str] = []
        self.attributes: list[str] = []
        self.style_blocks: list[str] = []
        self.images: list[str] = []
        self._in: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        for name, value in attrs:
            if name == "style" or name.startswith("on"):
                self.attributes.append(f"<{tag} {name}={value!r}>")
            if name in ("href", "src", "action") and (value or "").startswith("javascript:"):
                self.attributes.append(f"<{tag} {name}={value!r}>")
        if tag == "script":
            source = values.get("src") or ""
            if not source.startswith("/"):
                self.scripts.append(source or "inline")
        if tag == "image":
            self.images.append(values.get("href") or "")
        self._in = tag if tag in ("script", "style") else None

    def handle_data(self, data: str) -> None:
        if self._in == "style":
            self.style_blocks.append(data)
        elif self._in == "script" and data.strip():
            self.scripts.append("inline")

    def handle_endtag(self, tag: str) -> None:
        self._in = None


# -- health -------------------------------------------------------------------------


async def test_anonymous_callers_learn_the_status_word_and_admins_the_details(
    site: str, admin_token: str
) -> None:
    async with httpx.AsyncClient(base_url=site, timeout=10) as http:
        world = await build_world(cast(Client, http), admin_token)
        assert _words(await http.get("/health/live")) == (200, "ok")
        assert _words(await http.get("/health/ready")) == (200, "ok")  # a matcher runs here
        assert _words(await http.get("/health")) == (200, "ok")
        for token in (world.coordinator, world.producer, world.coop):
            assert _words(await http.get("/health", headers=bearer(token))) == (200, "ok")
        details = (await http.get("/health", headers=bearer(admin_token))).json()
        refused = await http.get("/health", headers=bearer("sl_" + "x" * 38))
    assert details["status"] == "ok"
    assert int(details["postgres"]["version"].split(".")[0]) >= 15
    assert details["redis"]["ok"] is True
    assert details["redis"]["version"]
    assert details["worker"]["ok"] is True
    assert details["worker"]["heartbeat"]
    assert refused.status_code == 401
    assert refused.headers["content-type"].startswith("application/problem+json")


def test_without_a_matcher_or_redis_the_api_is_degraded_not_down(
    settings_env: dict[str, str], admin_token: str, tmp_path: Path, figures: Figures
) -> None:
    redis = contextlib.ExitStack()
    redis_url = redis.enter_context(embedded_redis())
    port = free_port()
    env = {
        **settings_env,
        "REDIS_URL": redis_url,
        "SAMLAST_QUEUE_NAME": f"samlast-lonely-{secrets.token_hex(4)}",  # no matcher
        "SAMLAST_API_PORT": str(port),
    }
    base = f"http://127.0.0.1:{port}"
    seen: Counter[str] = Counter()
    try:
        with samlast_process(["api"], env, tmp_path / "api.log") as api:
            wait_for_health(base, {"api": api}, tmp_path, need_worker=False)
            no_matcher = _health_views(base, admin_token, seen)
            redis.close()  # the Redis server stops here
            no_redis = _health_views(base, admin_token, seen)
    finally:
        redis.close()
    assert no_matcher["worker"] == {"ok": False, "heartbeat": None}
    assert no_matcher["redis"]["ok"] is True
    assert no_redis["redis"]["ok"] is False
    assert no_redis["redis"]["error"]  # what went wrong, for the admin
    assert no_redis["postgres"]["ok"] is True
    # two outages x ROUNDS: liveness `ok`, readiness and /health `degraded`
    assert seen == {"200 ok": 2 * ROUNDS, "200 degraded": 2 * 2 * ROUNDS}, seen
    figures.record(
        "test_headers_and_health.py::test_without_a_matcher_or_redis_the_api_is_degraded_not_down",
        f"no matcher, then Redis stopped: readiness and /health {ROUNDS} times each way, "
        f"all 200 `degraded`, liveness 200 `ok`; 5xx: 0; anonymous bodies other than "
        f"the status word: 0",
    )


def test_only_postgres_out_of_reach_makes_readiness_503(
    settings_env: dict[str, str],
    settings: Settings,
    pool: Pool,
    admin_token: str,
    tmp_path: Path,
    figures: Figures,
) -> None:
    port = free_port()
    with _cuttable_proxy(settings.db.url) as (database_url, cut):
        env = {
            **settings_env,
            "DATABASE_URL": database_url,
            "SAMLAST_QUEUE_NAME": f"samlast-lonely-{secrets.token_hex(4)}",
            "SAMLAST_API_PORT": str(port),
        }
        base = f"http://127.0.0.1:{port}"
        with samlast_process(["api"], env, tmp_path / "api.log") as api:
            wait_for_health(base, {"api": api}, tmp_path, need_worker=False)
            with httpx.Client(base_url=base, timeout=10) as http:
                assert _words(http.get("/health/ready")) == (200, "degraded")
                cut()  # PostgreSQL is out of reach from here on
                for _ in range(ROUNDS):
                    assert _words(http.get("/health/live")) == (200, "ok")
                    assert _words(http.get("/health/ready")) == (503, "unavailable")
                    assert _words(http.get("/health")) == (503, "unavailable")
                    # the admin's token cannot be checked without the database: words only
                    admin = http.get("/health", headers=bearer(admin_token))
                    assert _words(admin) == (503, "unavailable")
    log = (tmp_path / "api.log").read_text()
    assert "unhandled error" not in log, log[-2000:]  # what a 500 would have logged
    figures.record(
        "test_headers_and_health.py::test_only_postgres_out_of_reach_makes_readiness_503",
        f"PostgreSQL's connections cut and refused: {ROUNDS} rounds of liveness 200 `ok`, "
        f"readiness and /health 503 `unavailable` (an admin's token too: words only, "
        f"it cannot be checked); 500s: 0",
    )


ROUNDS = 3


def _health_views(base: str, admin_token: str, seen: Counter[str]) -> dict[str, Any]:
    """Every health route, anonymous and as admin, ``ROUNDS`` times; the admin's view."""
    with httpx.Client(base_url=base, timeout=10) as http:
        for _ in range(ROUNDS):
            for path in ("/health/live", "/health/ready", "/health"):
                code, word = _words(http.get(path))
                seen[f"{code} {word}"] += 1
            details = http.get("/health", headers=bearer(admin_token))
            assert details.status_code == 200, details.text
            assert details.json()["status"] == "degraded"
    return cast(dict[str, Any], details.json())


def _words(response: httpx.Response) -> tuple[int, str]:
    """(status code, status word), after checking the body is the word and nothing else."""
    body = response.json()
    assert set(body) == {"status"}, body
    assert body["status"] in STATUS_WORDS, body
    assert response.status_code != 500
    return response.status_code, str(body["status"])


@contextlib.contextmanager
def _cuttable_proxy(database_url: str) -> Iterator[tuple[str, Any]]:
    """``database_url`` through a local TCP forwarder; calling ``cut`` drops its
    connections and stops listening, so PostgreSQL is out of reach for whoever used it."""
    parts = urlsplit(database_url)
    target = (parts.hostname or "127.0.0.1", parts.port or 5432)
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.1)
    open_sockets: list[socket.socket] = []
    stop = threading.Event()

    def pump(source: socket.socket, sink: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while data := source.recv(65536):
                sink.sendall(data)
        with contextlib.suppress(OSError):
            sink.shutdown(socket.SHUT_WR)

    def accept() -> None:
        while not stop.is_set():
            try:
                client, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            upstream = socket.create_connection(target)
            open_sockets.extend([client, upstream])
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=pump, args=(source, sink), daemon=True).start()

    def cut() -> None:
        stop.set()
        accepting.join()
        listener.close()
        for sock in open_sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()

    accepting = threading.Thread(target=accept, daemon=True)
    accepting.start()
    userinfo = parts.netloc.rpartition("@")[0]
    netloc = f"{userinfo}@127.0.0.1:{listener.getsockname()[1]}" if userinfo else None
    proxied = parts._replace(netloc=netloc or f"127.0.0.1:{listener.getsockname()[1]}")
    try:
        yield urlunsplit(proxied), cut
    finally:
        if not stop.is_set():
            cut()
