"""Dependencies every handler may ask for by name: the caller, the request's connection,
the queue, and each domain's service, built here and nowhere else.

Pages and the JSON API take their services the same way (``runs: Runs``); a service that
uses another gets it here, not by building it; and a service that queues jobs always has
the queue (a Redis outage is handled where jobs are queued:
``shared.queue.transaction_then_queue``).
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from functools import cache
from typing import Any

from arq.connections import ArqRedis
from litestar import Request
from litestar.datastructures import State
from litestar.di import NamedDependency, Provide
from litestar.exceptions import NotAuthorizedException

from services.api.accounts.service import AccountService
from services.api.auth.actor import Actor
from services.api.cycles.schedule_service import ScheduleService
from services.api.cycles.service import CycleService
from services.api.demand.service import DemandService
from services.api.directory.service import DirectoryService
from services.api.documents.service import DocumentService
from services.api.federation.peering.service import PeerService
from services.api.federation.service import FederationService
from services.api.invoices.books import BooksService
from services.api.invoices.details import InvoicingDetailsService
from services.api.invoices.receiving import ReceivingService
from services.api.invoices.service import InvoiceService
from services.api.joining.service import JoiningService
from services.api.networks.members import MemberService
from services.api.networks.service import NetworkService
from services.api.offers.service import OfferService
from services.api.organisations.service import OrganisationService
from services.api.products.service import ProductService
from services.api.runs.review_service import ReviewService
from services.api.runs.service import RunService
from services.api.signal.service import SignalService
from services.api.tokens.service import TokenService
from services.api.webhooks.service import WebhookService
from shared.db.pool import Conn
from shared.notifications import Notifier
from shared.security.sealing import Sealer, sealer_of
from shared.settings import Settings

Accounts = NamedDependency[AccountService]
Books = NamedDependency[BooksService]
CurrentActor = NamedDependency[Actor]
Db = NamedDependency[Conn]
Cycles = NamedDependency[CycleService]
Demand = NamedDependency[DemandService]
Documents = NamedDependency[DocumentService]
Federation = NamedDependency[FederationService]
InvoiceDetails = NamedDependency[InvoicingDetailsService]
Invoices = NamedDependency[InvoiceService]
Joining = NamedDependency[JoiningService]
Members = NamedDependency[MemberService]
Directories = NamedDependency[DirectoryService]
Networks = NamedDependency[NetworkService]
Offers = NamedDependency[OfferService]
Organisations = NamedDependency[OrganisationService]
Products = NamedDependency[ProductService]
Receiving = NamedDependency[ReceivingService]
Reviews = NamedDependency[ReviewService]
Runs = NamedDependency[RunService]
Schedules = NamedDependency[ScheduleService]
Signals = NamedDependency[SignalService]
Tokens = NamedDependency[TokenService]
Webhooks = NamedDependency[WebhookService]


async def provide_conn(state: State) -> AsyncGenerator[Conn, None]:
    """A connection per request, returned to the pool when the response is sent."""
    async with state.pool.acquire() as conn:
        yield conn


def provide_actor(request: Request[Any, Any, Any]) -> Actor:
    if not isinstance(request.user, Actor):  # only reachable on a route marked public
        raise NotAuthorizedException("send `Authorization: Bearer <token>`")
    return request.user


def provide_queue(state: State) -> ArqRedis:
    queue: ArqRedis = state.queue
    return queue


def provide_notifier(conn: Db, settings: NamedDependency[Settings]) -> Notifier:
    """Notifications written on the request's connection, in the service's transaction."""
    return Notifier(conn, _sealer(settings.secret_keys), settings.mail.public_url)


def provide_cycles(
    conn: Db, queue: NamedDependency[ArqRedis], notifier: NamedDependency[Notifier]
) -> CycleService:
    return CycleService(conn, queue, notifier)


def provide_runs(
    conn: Db, queue: NamedDependency[ArqRedis], cycles: Cycles, notifier: NamedDependency[Notifier]
) -> RunService:
    return RunService(conn, queue, cycles, notifier)


def provide_documents(conn: Db, runs: Runs) -> DocumentService:
    return DocumentService(conn, runs)


def provide_federation(
    conn: Db, state: State, runs: Runs, offers: Offers, settings: NamedDependency[Settings]
) -> FederationService:
    """The DFC service with the process's catalog fetcher (it bounds the fetches)."""
    return FederationService(conn, offers, runs, state.dfc_fetcher, settings.mail.public_url)


def provide_reviews(
    conn: Db, queue: NamedDependency[ArqRedis], runs: Runs, notifier: NamedDependency[Notifier]
) -> ReviewService:
    return ReviewService(conn, queue, runs, notifier)


def provide_accounts(
    conn: Db, queue: NamedDependency[ArqRedis], settings: NamedDependency[Settings], state: State
) -> AccountService:
    return AccountService(conn, queue, settings, state.gate.limiter, _sealer(settings.secret_keys))


def provide_joining(
    conn: Db,
    queue: NamedDependency[ArqRedis],
    settings: NamedDependency[Settings],
    accounts: Accounts,
    notifier: NamedDependency[Notifier],
) -> JoiningService:
    return JoiningService(conn, queue, settings, accounts, notifier)


def provide_members(conn: Db, networks: Networks, cycles: Cycles) -> MemberService:
    return MemberService(conn, networks, cycles)


def provide_demand(conn: Db, cycles: Cycles) -> DemandService:
    return DemandService(conn, cycles)


def provide_webhooks(conn: Db, settings: NamedDependency[Settings]) -> WebhookService:
    """The service with the sealer of the configured keys (built once per key list)."""
    return WebhookService(conn, _sealer(settings.secret_keys))


@cache
def _sealer(keys: str) -> Sealer | None:
    return sealer_of(keys)


def _plain(cls: type[Any]) -> Provide:
    """``cls(conn)``, for services that need nothing but the request's connection."""

    def build(conn: Db) -> Any:
        return cls(conn)

    return Provide(build, sync_to_thread=False)


# Registered on the app: every handler, API or page, asks for these by name.
DEPENDENCIES: dict[str, Provide] = {
    "accounts": Provide(provide_accounts, sync_to_thread=False),
    "conn": Provide(provide_conn),
    "actor": Provide(provide_actor, sync_to_thread=False),
    "books": _plain(BooksService),
    "queue": Provide(provide_queue, sync_to_thread=False),
    "notifier": Provide(provide_notifier, sync_to_thread=False),
    "cycles": Provide(provide_cycles, sync_to_thread=False),
    "demand": Provide(provide_demand, sync_to_thread=False),
    "documents": Provide(provide_documents, sync_to_thread=False),
    "federation": Provide(provide_federation, sync_to_thread=False),
    "invoice_details": _plain(InvoicingDetailsService),
    "invoices": _plain(InvoiceService),
    "joining": Provide(provide_joining, sync_to_thread=False),
    "members": Provide(provide_members, sync_to_thread=False),
    "directories": _plain(DirectoryService),
    "networks": _plain(NetworkService),
    "offers": _plain(OfferService),
    "organisations": _plain(OrganisationService),
    "peers": _plain(PeerService),
    "products": _plain(ProductService),
    "receiving": _plain(ReceivingService),
    "reviews": Provide(provide_reviews, sync_to_thread=False),
    "runs": Provide(provide_runs, sync_to_thread=False),
    "schedules": _plain(ScheduleService),
    "signals": _plain(SignalService),
    "tokens": _plain(TokenService),
    "webhooks": Provide(provide_webhooks, sync_to_thread=False),
}
