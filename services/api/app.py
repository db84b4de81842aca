"""The Litestar application factory: one pool, one queue connection, one error mapping."""

from __future__ import annotations

import re
from collections.abc import AsyncGenerator
from contextlib import asynccontextmanager
from pathlib import Path

from litestar import Litestar, get
from litestar.datastructures import State
from litestar.di import NamedDependency, Provide
from litestar.middleware.base import DefineMiddleware
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import RedocRenderPlugin
from litestar.openapi.spec import Components, SecurityScheme, Server
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.response import Redirect
from litestar.static_files import create_static_files_router
from litestar.template.config import TemplateConfig
from litestar.types import ControllerRouterHandler, Message, Scope

from services.api.accounts.controller import PeopleController
from services.api.auth.guards import unguarded_routes
from services.api.auth.middleware import Gate, TokenAuthMiddleware, rate_limit_headers
from services.api.core.audit import audit_refusal
from services.api.core.body import BoundedBodyMiddleware
from services.api.core.idempotency import IdempotencyMiddleware
from services.api.core.limits import Limiter
from services.api.core.openapi import finish_openapi
from services.api.core.problems import EXCEPTION_HANDLERS
from services.api.core.security_headers import SecurityHeaders, page_policy
from services.api.core.strict_body import strict_json_body
from services.api.core.transient import TransientRetryMiddleware
from services.api.cycles.controller import CycleController
from services.api.cycles.schedule_controller import ScheduleController
from services.api.demand.controller import DemandController
from services.api.deps import DEPENDENCIES
from services.api.documents.controller import DocumentController
from services.api.documents.html import DOCUMENT_STYLE
from services.api.federation.controller import FederationController
from services.api.federation.fetch import CatalogFetcher
from services.api.federation.peering.controller import (
    PeerController,
    ShareController,
    SignedController,
    federation_keys,
)
from services.api.federation.peering.feed import FeedController
from services.api.federation.peering.holds import HoldController
from services.api.federation.peering.networks import NetworkPeerController
from services.api.federation.peering.orders import OrderController
from services.api.federation.peering.run_holds import RunHoldController, RunOrderController
from services.api.health.controller import HealthController
from services.api.health.service import HealthService
from services.api.invoices.controller import InvoiceController
from services.api.invoices.printable import INVOICE_STYLE
from services.api.networks.controller import NetworkController
from services.api.offers.controller import OfferController
from services.api.organisations.controller import OrganisationController
from services.api.places.geocoder import Geocoder
from services.api.products.controller import ProductController
from services.api.runs.controller import RunController
from services.api.runs.review_controller import ReviewController
from services.api.signal.controller import SignalController
from services.api.tokens.controller import TokenController
from services.api.web.accounts import AccountPages
from services.api.web.controller import WebController
from services.api.web.cycles import CyclePages
from services.api.web.directory import DirectoryPages
from services.api.web.documents import DocumentPages
from services.api.web.errors import for_pages
from services.api.web.joining import JoinPages
from services.api.web.members import MemberPages
from services.api.web.money import MoneyPages
from services.api.web.network_members import NetworkMemberPages
from services.api.web.network_peers import NetworkPeerPages
from services.api.web.networks import NewNetworkPages
from services.api.web.peer_orders import PeerOrderPages
from services.api.web.places import PlaceSearchPages
from services.api.web.profile import ProfilePages, old_place
from services.api.web.receiving import ReceivingPages
from services.api.web.setup import SetupPages
from services.api.web.signal import SignalPages
from services.api.webhooks.controller import WebhookController
from shared.db.pool import create_pool
from shared.queue import queue_client
from shared.settings import Settings, load_settings

API_VERSION = "0.1.0"
MAX_BODY_BYTES = 5 * 1024 * 1024  # a 10,000-row CSV upload fits comfortably
PUBLIC_PATHS = [
    "^/health(/live|/ready)?$",
    "^/schema(/|$)",
    "^/$",
    "^/static/",
    "^/app/sign-in(/|$)",
    "^/app/invitations/accept$",
    "^/app/join/",
    "^/app/unsubscribe$",
    "^/app/language/",
    # peers sign their requests instead (federation/peering/signed.py)
    "^/federation/",
]
TEMPLATES = Path(__file__).with_name("templates")
STATIC = Path(__file__).with_name("static")

API_DESCRIPTION = """\
Pool co-op demand into whole producer packs and shared delivery runs.

**Tokens and roles.** Send `Authorization: Bearer sl_…`. API tokens are for programs:
a token belongs to one organisation (it records the person who made it and outlives
them), and the organisation's kind is the role: `coordinator` organisations
manage their networks (products, vehicles, members, cycles, tokens of their producers
and co-ops), `producer` organisations post offers, `coop` organisations submit demand.
Deployment admins (tokens from `samlast admin-token`) create networks and coordinating
organisations. People sign in to the web pages by e-mail, not with tokens; an
organisation's people are listed and added at `/v1/organisations/{id}/people`.
Objects of networks you are not in answer 404, as if they did not exist.

**Writes.** Send an `Idempotency-Key` on every POST so retries are safe. Edits need
`If-Match` carrying the `ETag` you read (missing: 428, stale: 412). Creates answer 201
with `Location` and `ETag`.

**Errors** are RFC 9457 problem details (`application/problem+json`); `field` and
`errors[].field` name what to fix (JSON paths such as `listings[0].product_id`). A body
field the API does not know is refused, never ignored.

**Limits.** Requests per organisation per minute, with `RateLimit-*` headers and 429.
Bodies up to 5 MB (413), sent within a minute (408). A busy service answers 503 with
`Retry-After`.
"""


@get("/", opt={"public": True}, include_in_schema=False)
async def root() -> Redirect:
    """The web pages start at /app; the API at /v1 (documented at /schema)."""
    return Redirect(path="/app", status_code=303)


CONTROLLERS: list[ControllerRouterHandler] = [
    HealthController,
    NetworkController,
    OrganisationController,
    TokenController,
    PeopleController,
    ProductController,
    OfferController,
    FederationController,
    CycleController,
    ScheduleController,
    DemandController,
    RunController,
    DocumentController,
    ReviewController,
    WebhookController,
    SignalController,
    InvoiceController,
    PeerController,
    ShareController,
    SignedController,
    HoldController,
    OrderController,
    FeedController,
    NetworkPeerController,
    RunHoldController,
    RunOrderController,
    federation_keys,
    AccountPages,
    WebController,
    CyclePages,
    JoinPages,
    MemberPages,
    PeerOrderPages,
    DocumentPages,
    NetworkMemberPages,
    old_place,
    SetupPages,
    NetworkPeerPages,
    NewNetworkPages,
    SignalPages,
    PlaceSearchPages,
    ProfilePages,
    DirectoryPages,
    MoneyPages,
    ReceivingPages,
    create_static_files_router(path="/static", directories=[STATIC], opt={"public": True}),
    root,
]


def create_app(settings: Settings | None = None) -> Litestar:
    """Build the app; servers are connected in the lifespan, not at import."""
    settings = settings or load_settings()

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncGenerator[None, None]:
        # Redis is connected on first use: the API starts, and serves, without it
        app.state.queue = queue_client(settings)
        app.state.pool = await create_pool(
            settings, server_settings={"application_name": "samlast-api"}
        )
        app.state.gate = Gate(
            app.state.pool,
            Limiter(app.state.queue, "samlast:limits:"),
            per_minute=settings.api.rate_limit_per_minute,
            failures_per_minute=settings.api.auth_failures_per_minute,
            session_idle_s=settings.sessions.idle_days * 86400,
        )
        app.state.geocoder = (
            Geocoder(
                settings.pages.geocoder_url,
                timeout_s=settings.pages.geocoder_timeout_s,
                user_agent=f"Samlast/{API_VERSION} (+{settings.mail.public_url})",
                limiter=app.state.gate.limiter,
                per_caller_per_minute=settings.pages.geocoder_per_person_per_minute,
            )
            if settings.pages.geocoder_url
            else None
        )
        app.state.dfc_fetcher = CatalogFetcher(
            timeout_s=settings.federation.fetch_timeout_s,
            max_bytes=settings.federation.max_catalog_bytes,
            allow_private=settings.federation.allow_private,
            user_agent=f"Samlast/{API_VERSION} (+{settings.mail.public_url})",
        )
        try:
            yield
        finally:
            await app.state.queue.aclose()
            await app.state.pool.close()

    app = Litestar(
        route_handlers=CONTROLLERS,
        lifespan=[lifespan],
        # outermost first: take the whole body (bounded, on time) before anything
        # else; run again what a serialization failure or deadlock rolled back;
        # authenticate and count the caller; then de-duplicate retried POSTs
        middleware=[
            DefineMiddleware(
                BoundedBodyMiddleware,
                max_bytes=MAX_BODY_BYTES,
                timeout_s=settings.api.request_body_timeout_s,
            ),
            TransientRetryMiddleware,
            DefineMiddleware(TokenAuthMiddleware, exclude=PUBLIC_PATHS),
            IdempotencyMiddleware(),
        ],
        dependencies={
            "settings": Provide(lambda: settings, sync_to_thread=False),
            **DEPENDENCIES,
            "health": Provide(provide_health, sync_to_thread=False),
        },
        exception_handlers=for_pages(EXCEPTION_HANDLERS),
        after_exception=[audit_refusal],
        before_send=[
            allow_header,
            rate_limit_headers,
            SecurityHeaders(
                page_policy(settings.pages.map_tile_url, [DOCUMENT_STYLE, INVOICE_STYLE])
            ),
        ],
        before_request=strict_json_body,
        request_max_body_size=MAX_BODY_BYTES,
        template_config=TemplateConfig(directory=TEMPLATES, engine=JinjaTemplateEngine),
        openapi_config=OpenAPIConfig(
            title="Samlast API",
            version=API_VERSION,
            description=API_DESCRIPTION,
            servers=[Server(url="/")],
            path="/schema",
            # served from our own static files, so the documentation works offline
            render_plugins=[
                RedocRenderPlugin(
                    js_url="/static/vendor/redoc/redoc.standalone.js",
                    google_fonts=False,
                    favicon="",
                    path=["/", "/redoc"],
                )
            ],
            components=Components(
                security_schemes={
                    "BearerToken": SecurityScheme(
                        type="http", scheme="bearer", description="An `sl_…` API token"
                    ),
                    # not an Authorization scheme: RFC 9421's own headers, named here so
                    # that the 401's `WWW-Authenticate: Signature` has a scheme to match
                    "HttpSignature": SecurityScheme(
                        type="http",
                        scheme="signature",
                        description="A peer deployment's RFC 9421 signature in "
                        "`Signature-Input`, `Signature` and `Content-Digest` "
                        "(docs/federation-peering.md); no `Authorization` header",
                    ),
                }
            ),
            security=[{"BearerToken": []}],
        ),
        debug=False,
    )
    app.state.settings = settings  # the peers' signature check reads the public URL
    if missing := unguarded_routes(app):
        raise RuntimeError(f"routes without guards (deny by default): {missing}")
    finish_openapi(app)
    app.state.route_methods = {  # keyed like scope["path_template"]: "{id}", not "{id:uuid}"
        re.sub(r"{(\w+):\w+}", r"{\1}", route.path): frozenset(getattr(route, "methods", ()))
        for route in app.routes
    }
    return app


async def allow_header(message: Message, scope: Scope) -> None:
    """Answer OPTIONS with every method the path supports.

    Litestar's automatic OPTIONS lists only the methods of the first handler
    registered for a path when a controller declares several.
    """
    if scope.get("method") != "OPTIONS" or message["type"] != "http.response.start":
        return
    methods = scope["litestar_app"].state.route_methods.get(scope.get("path_template", ""))
    if methods:
        headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != b"allow"]
        headers.append((b"allow", ", ".join(sorted(methods)).encode()))
        message["headers"] = headers


def provide_health(state: State, settings: NamedDependency[Settings]) -> HealthService:
    return HealthService(state.pool, state.queue, settings.redis.queue_name)
