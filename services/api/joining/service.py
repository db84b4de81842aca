"""Joining a network by the link its coordinators share.

The link names the network by a public lookup id and carries a random secret, kept as
its hash (compared in constant time) and sealed for the coordinators to see again;
rotating it or turning it off kills the old one. Who opens it gives a name, an e-mail
address, a place and hours; a mailed link confirms the address (only its hash is kept).
Confirming makes the organisation and its person and signs them in, but no membership:
until a coordinator approves, the organisation is in no network, so it is never
matched, never mailed about cycles and can't order or offer. The coordinators are
notified; the person is mailed the decision (an approval with a sign-in link). Asking
is limited per client address, per network and per e-mail address.
"""

from __future__ import annotations

import datetime as dt
import hmac
import re
import secrets
from uuid import UUID

import asyncpg
import msgspec
from arq.connections import ArqRedis

from services.api.accounts.schemas import SignedIn
from services.api.accounts.service import AccountService, LinkError, sealing_for_mail
from services.api.auth.actor import Actor
from services.api.auth.sessions import hash_secret, is_plausible, new_secret
from services.api.core.audit import record
from services.api.joining.schemas import JoinIn, JoinLinkOut, JoinRequestOut, JoinWindow
from services.api.places import geocoder
from shared.db import joins as joins_db
from shared.db import networks as networks_db
from shared.db import organisations as organisations_db
from shared.db import persons as persons_db
from shared.db.audit import insert_audit
from shared.db.pool import Conn
from shared.db.rows import as_struct
from shared.errors import ConflictError, NotFoundError, TenantDeniedError
from shared.mail import public_link
from shared.notifications import Notifier
from shared.notifications import events as notify
from shared.queue import transaction_then_queue
from shared.security.sealing import Sealer, sealer_of
from shared.settings import Settings

LOOKUP_HEX = 12  # the link's public part, then its secret
SECRET_BYTES = 18
LINK_CODE = re.compile(r"[0-9a-f]{12}[A-Za-z0-9_-]{20,64}")


class JoiningService:
    def __init__(
        self,
        conn: Conn,
        queue: ArqRedis,
        settings: Settings,
        accounts: AccountService,
        notifier: Notifier,
    ) -> None:
        self.conn = conn
        self.queue = queue
        self.settings = settings
        self.accounts = accounts
        self.notifier = notifier

    # -- the link, as its coordinators keep it ----------------------------------------------

    async def link(self, actor: Actor, network_id: UUID) -> JoinLinkOut | None:
        """The network's join link, or None while it is turned off."""
        await self._managed(actor, network_id)
        row = await joins_db.select_link(self.conn, network_id)
        if row is None:
            return None
        secret = row["secret"]  # plain only until `samlast migrate` seals it
        if row["secret_sealed"] is not None:
            secret = self._sealer().unseal(row["secret_sealed"])
        return JoinLinkOut(url=self._join_url(row["lookup"], secret), created_at=row["created_at"])

    async def new_link(self, actor: Actor, network_id: UUID) -> None:
        """Make the network's join link, or a new one: the old one stops working."""
        await self._managed(actor, network_id)
        sealer = self._sealer()
        secret = secrets.token_urlsafe(SECRET_BYTES)
        async with self.conn.transaction():
            await joins_db.upsert_link(
                self.conn,
                network_id,
                secrets.token_hex(LOOKUP_HEX // 2),
                hash_secret(secret),
                sealer.seal(secret),
                actor.person_id,
            )
            await record(
                self.conn, actor, "join_link.new", "network", network_id, network_id=network_id
            )

    async def turn_off(self, actor: Actor, network_id: UUID) -> None:
        await self._managed(actor, network_id)
        async with self.conn.transaction():
            if not await joins_db.delete_link(self.conn, network_id):
                raise ConflictError("the join link is off already")
            await record(
                self.conn, actor, "join_link.off", "network", network_id, network_id=network_id
            )

    def _sealer(self) -> Sealer:
        """The link's secret is kept sealed, like everything mailed: no keys, no link."""
        return sealing_for_mail(sealer_of(self.settings.secret_keys))

    # -- joining, by anyone holding the link ---------------------------------------------

    async def network_of(self, code: str) -> asyncpg.Record:
        """The network a join link names (its id and name); LinkError if the link is
        unknown, rotated or turned off. The secret is compared in constant time."""
        row = None
        if LINK_CODE.fullmatch(code):
            row = await joins_db.select_link_by_lookup(self.conn, code[:LOOKUP_HEX])
        if row is None or not hmac.compare_digest(
            row["secret_hash"], hash_secret(code[LOOKUP_HEX:])
        ):
            raise LinkError("this join link does not work: it was changed or turned off")
        return row

    async def may_search(self, code: str, address: str) -> None:
        """Count one address search from the join page, under the join's limits per client
        address and per network (its own counts, so searching doesn't use up asking):
        the geocoder is a shared service that anyone holding the link reaches through us."""
        network = await self.network_of(code)
        sessions = self.settings.sessions
        await self.accounts.hit_limits(
            {
                "join-search:address:" + address: sessions.joins_per_address_per_minute,
                f"join-search:network:{network['network_id']}": (
                    sessions.joins_per_network_per_minute
                ),
            },
            geocoder.LIMITED,
        )

    async def ask(self, code: str, data: JoinIn, address: str) -> None:
        """Record the request and mail its confirmation link to ``data.email``."""
        network = await self.network_of(code)
        email = data.email.strip()
        sessions = self.settings.sessions
        await self.accounts.hit_limits(
            {
                "join:address:" + address: sessions.joins_per_address_per_minute,
                f"join:network:{network['network_id']}": sessions.joins_per_network_per_minute,
                "join:email:" + email.lower()[:254]: sessions.per_email_per_minute,
            },
            "too many requests to join; wait a minute and try again",
        )
        secret = new_secret()
        expires = _now() + dt.timedelta(days=sessions.invitation_days)
        values = {
            **msgspec.structs.asdict(data),
            "email": email,
            "address": data.location.address,
            "lat": data.location.lat,
            "lon": data.location.lon,
            "windows": [
                {"weekday": w.weekday, "opens": w.opens.isoformat(), "closes": w.closes.isoformat()}
                for w in data.windows
            ],
        }
        async with transaction_then_queue(self.conn, self.queue) as after:
            request_id = await joins_db.insert_request(
                self.conn, network["network_id"], secret.hash, values, expires
            )
            # nothing the asker typed goes into the mail: the address may be anyone's
            await self.accounts.mail(
                after,
                "join_confirm",
                {"id": None, "email": email, "name": "", "language": data.language},
                dedupe_key=f"join:{request_id}",
                event="join_confirm",
                network_id=network["network_id"],
                link=public_link(
                    self.settings.mail.public_url, "/app/join/confirm", code=secret.value
                ),
                network=network["network"],
                kind=data.kind,
                valid_days=sessions.invitation_days,
            )
            await insert_audit(
                self.conn,
                action="join.ask",
                outcome="ok",
                network_id=network["network_id"],
                object_type="join_request",
                object_id=str(request_id),
                detail={"address": address, "kind": data.kind},
            )

    async def unconfirmed(self, code: str) -> JoinRequestOut:
        """The request a confirmation link names, not yet confirmed; LinkError if none."""
        row = (
            await joins_db.select_request_by_secret(self.conn, hash_secret(code))
            if is_plausible(code)
            else None
        )
        if row is None or row["confirmed_at"] is not None or row["expires_at"] <= _now():
            raise LinkError("this confirmation link has been used or has expired")
        return request_out(row)

    async def confirm(self, code: str, user_agent: str, address: str) -> SignedIn:
        """The address is the person's: make the organisation (its place and hours) and
        the person (new, or the address's own) its admin, tell the coordinators, and sign
        in. The organisation waits, in no network, for a coordinator's decision."""
        request = await self.unconfirmed(code)
        async with transaction_then_queue(self.conn, self.queue) as after:
            person = await persons_db.select_person_by_email(self.conn, request.email)
            if person is None:
                person_id = await persons_db.insert_person(
                    self.conn, request.email, request.person_name, request.language, request.phone
                )
            else:
                person_id = person["id"]
            organisation_id = await organisations_db.insert_organisation(
                self.conn,
                {
                    "kind": request.kind,
                    "name": request.organisation_name,
                    "contact_email": request.email,
                    "contact_phone": request.phone,
                    "address": request.address,
                    "lat": request.lat,
                    "lon": request.lon,
                },
            )
            await organisations_db.replace_windows(
                self.conn,
                organisation_id,
                [(w.weekday, w.opens, w.closes) for w in request.windows],
            )
            await persons_db.upsert_member(self.conn, person_id, organisation_id, "admin")
            if not await joins_db.confirm_request(
                self.conn, request.id, organisation_id, person_id
            ):
                raise LinkError("this confirmation link has been used or has expired")
            for message_id in await notify.join_requested(self.notifier, request.id):
                after.message(message_id)
            await insert_audit(
                self.conn,
                action="join.confirm",
                outcome="ok",
                user_id=person_id,
                organisation_id=organisation_id,
                network_id=request.network_id,
                object_type="join_request",
                object_id=str(request.id),
                detail={"address": address},
            )
            return await self.accounts.start_session(
                person_id, organisation_id, user_agent, address, via="join"
            )

    async def waiting_of(self, organisation_id: UUID) -> list[JoinRequestOut]:
        """The networks an organisation waits to be let into (its own pages say so)."""
        return [
            request_out(row) for row in await joins_db.select_waiting_of(self.conn, organisation_id)
        ]

    # -- deciding, by the network's coordinators ------------------------------------------

    async def waiting(self, actor: Actor, network_id: UUID) -> list[JoinRequestOut]:
        await self._managed(actor, network_id)
        return [request_out(row) for row in await joins_db.select_waiting(self.conn, network_id)]

    async def waiting_one(self, actor: Actor, network_id: UUID, request_id: UUID) -> JoinRequestOut:
        """A request of the network waiting for a decision; 404 for any other."""
        await self._managed(actor, network_id)
        row = await joins_db.select_request(self.conn, request_id)
        if row is None or row["network_id"] != network_id:
            if row is not None:
                raise TenantDeniedError("no such request to join")
            raise NotFoundError("no such request to join")
        found = request_out(row)
        if (
            found.confirmed_at is None
            or found.decision is not None
            or found.organisation_id is None
        ):
            raise NotFoundError("no such request waiting: decided already, or not confirmed")
        return found

    async def approve(self, actor: Actor, network_id: UUID, request_id: UUID) -> None:
        """Let the organisation in: its membership now, and a mail to its person with a
        link that signs in (valid as long as an invitation)."""
        request = await self.waiting_one(actor, network_id, request_id)
        assert request.organisation_id is not None
        async with transaction_then_queue(self.conn, self.queue) as after:
            if not await joins_db.decide(self.conn, request_id, "approved", actor.person_id):
                raise ConflictError("someone decided on this request meanwhile")
            await networks_db.insert_membership(self.conn, network_id, request.organisation_id)
            person = await self._person_of(request)
            if person is not None:
                await self.accounts.mail_sign_in_link(
                    after,
                    person,
                    "join_approved",
                    valid_days=self.settings.sessions.invitation_days,
                    dedupe_key=f"join-approved:{request_id}",
                    event="join_approved",
                    network_id=network_id,
                    organisation_id=request.organisation_id,
                    network=request.network,
                    applicant=request.organisation_name,
                    kind=request.kind,
                )
            await record(
                self.conn,
                actor,
                "join.approve",
                "organisation",
                request.organisation_id,
                network_id=network_id,
                detail={"join_request": str(request_id)},
            )

    async def refuse(self, actor: Actor, network_id: UUID, request_id: UUID) -> None:
        """Say no: the organisation, which never traded, is deleted; its person is told."""
        request = await self.waiting_one(actor, network_id, request_id)
        assert request.organisation_id is not None
        async with transaction_then_queue(self.conn, self.queue) as after:
            if not await joins_db.decide(self.conn, request_id, "refused", actor.person_id):
                raise ConflictError("someone decided on this request meanwhile")
            person = await self._person_of(request)
            await joins_db.delete_untraded_organisation(self.conn, request.organisation_id)
            if person is not None:
                await self.accounts.mail(
                    after,
                    "join_refused",
                    person,
                    dedupe_key=f"join-refused:{request_id}",
                    event="join_refused",
                    network_id=network_id,
                    network=request.network,
                    applicant=request.organisation_name,
                )
            await record(
                self.conn,
                actor,
                "join.refuse",
                "join_request",
                request_id,
                network_id=network_id,
                detail={"organisation": request.organisation_name},
            )

    # -- helpers ----------------------------------------------------------------------------

    async def _person_of(self, request: JoinRequestOut) -> asyncpg.Record | None:
        row = await joins_db.select_request(self.conn, request.id)
        if row is None or row["person_id"] is None:
            return None
        return await persons_db.select_person(self.conn, row["person_id"])

    async def _managed(self, actor: Actor, network_id: UUID) -> None:
        """The network, if the actor coordinates it; 404 otherwise (audited if it exists)."""
        if await networks_db.select_network(self.conn, network_id) is None:
            raise NotFoundError("no such network")
        if not actor.coordinates(network_id):
            raise TenantDeniedError("no such network")

    def _join_url(self, lookup: str, secret: str) -> str:
        return public_link(self.settings.mail.public_url, f"/app/join/{lookup}{secret}")


def request_out(row: asyncpg.Record) -> JoinRequestOut:
    windows = [msgspec.convert(w, JoinWindow, strict=False) for w in row["windows"]]
    return as_struct(row, JoinRequestOut, windows=windows)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)
