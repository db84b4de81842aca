"""People: sign-in by e-mailed link or password, sessions, profiles, invitations.

Every secret handed out (a session cookie, a link in a mail) is random and shown once;
only its SHA-256 is stored (``auth/sessions.py``). Asking for a link says the same
whether or not the address has an account, and takes the same path up to the mail.
Sign-in attempts are limited per e-mail address and per client address. Every
sign-in, refused sign-in, invitation, acceptance and revocation is audited.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from uuid import UUID

import asyncpg
from arq.connections import ArqRedis

from services.api.accounts.schemas import (
    AcceptIn,
    ColleagueOut,
    InvitationIn,
    InvitationOut,
    Language,
    MembershipOut,
    PersonIn,
    PersonOut,
    ProfileIn,
    SessionOut,
    SignedIn,
)
from services.api.auth.actor import Actor
from services.api.auth.sessions import hash_secret, is_plausible, new_secret
from services.api.core.audit import record
from services.api.core.limits import Limiter
from services.api.organisations.service import check_manages
from shared.contracts.notifications import NotificationKind
from shared.db import networks as networks_db
from shared.db import organisations as organisations_db
from shared.db import outbox as outbox_db
from shared.db import persons as persons_db
from shared.db import sessions as sessions_db
from shared.db.audit import insert_audit
from shared.db.pool import Conn
from shared.db.rows import as_struct
from shared.errors import (
    ConflictError,
    ForbiddenError,
    NotFoundError,
    SamlastError,
    ServiceUnavailableError,
    TenantDeniedError,
    UnprocessableError,
)
from shared.mail import compose, public_link
from shared.notifications import read_unsubscribe_token
from shared.queue import AfterCommit, transaction_then_queue
from shared.security.passwords import check_strength, hash_password, verify_password
from shared.security.sealing import Sealer, sealer_of
from shared.settings import Settings


class TooManyAttemptsError(SamlastError):
    status_code = 429
    code = "too-many-requests"
    title = "Too many requests"


class LinkError(SamlastError):
    """A sign-in link or invitation that is unknown, used, withdrawn or expired."""

    status_code = 410
    code = "gone"
    title = "Gone"


class AccountService:
    def __init__(
        self,
        conn: Conn,
        queue: ArqRedis,
        settings: Settings,
        limiter: Limiter,
        sealer: Sealer | None,
    ) -> None:
        self.conn = conn
        self.sealer = sealer
        self.queue = queue
        self.settings = settings
        self.limiter = limiter

    # -- signing in ----------------------------------------------------------------------

    async def request_link(self, email: str, address: str, purpose: str = "sign_in") -> None:
        """Mail a sign-in (or password reset) link if ``email`` has an account; the
        caller hears the same either way."""
        await self._limit(email, address)
        person = await persons_db.select_person_by_email(self.conn, email.strip())
        if person is None:
            await insert_audit(
                self.conn,
                action=f"{purpose}.link",
                outcome="denied",
                detail={"reason": "no such address", "address": address},
            )
            return
        secret = new_secret()
        expires = _now() + dt.timedelta(minutes=self.settings.sessions.link_minutes)
        async with transaction_then_queue(self.conn, self.queue) as after:
            link_id = await sessions_db.insert_link(
                self.conn, secret.hash, person["id"], purpose, expires
            )
            await self._mail(
                after,
                "sign_in_link" if purpose == "sign_in" else "password_reset",
                person,
                dedupe_key=f"link:{link_id}",
                event=f"{purpose}_link",
                link=self._url("/app/sign-in/link", code=secret.value),
                valid_minutes=self.settings.sessions.link_minutes,
            )
            await insert_audit(
                self.conn,
                action=f"{purpose}.link",
                outcome="ok",
                user_id=person["id"],
                object_type="person",
                object_id=str(person["id"]),
                detail={"address": address},
            )

    async def link(self, code: str) -> asyncpg.Record:
        """The link ``code`` names, still usable; LinkError if not. Uses nothing up."""
        row = (
            await sessions_db.select_link(self.conn, hash_secret(code))
            if is_plausible(code)
            else None
        )
        if row is None or row["used_at"] is not None or row["expires_at"] <= _now():
            raise LinkError("this link has been used or has expired; ask for a new one")
        return row

    async def use_link(
        self, code: str, user_agent: str, address: str, new_password: str | None = None
    ) -> SignedIn:
        """Sign in with the link (once); a reset link sets ``new_password`` as well."""
        row = await self.link(code)
        if row["purpose"] == "reset":
            if new_password is None:
                raise UnprocessableError("choose a new password", field="password")
            if problem := check_strength(new_password):
                raise UnprocessableError(problem, field="password")
            password_hash = await hash_password(new_password)
        async with self.conn.transaction():
            if await sessions_db.use_link(self.conn, row["id"]) is None:
                raise LinkError("this link has been used or has expired; ask for a new one")
            if row["purpose"] == "reset":
                await persons_db.set_password(self.conn, row["person_id"], password_hash)
                await sessions_db.revoke_sessions(self.conn, row["person_id"])
            return await self._start_session(
                row["person_id"], user_agent, address, via=f"{row['purpose']} link"
            )

    async def password_sign_in(
        self, email: str, password: str, user_agent: str, address: str
    ) -> SignedIn:
        await self._limit(email, address)
        person = await persons_db.select_person_by_email(self.conn, email.strip())
        stored = await persons_db.select_password_hash(self.conn, person["id"]) if person else None
        if not await verify_password(stored, password) or person is None:
            await insert_audit(
                self.conn,
                action="sign_in.password",
                outcome="unauthenticated",
                user_id=person["id"] if person else None,
                detail={"address": address},
            )
            raise UnprocessableError(
                "that e-mail address and password do not match", field="password"
            )
        async with self.conn.transaction():
            return await self._start_session(person["id"], user_agent, address, via="password")

    async def _start_session(
        self,
        person_id: UUID,
        user_agent: str,
        address: str,
        *,
        via: str,
        organisation_id: Any = ...,
    ) -> SignedIn:
        """A new session for the person, acting for ``organisation_id`` or their first."""
        if organisation_id is ...:
            organisation_id = await self._first_organisation(person_id)
        secret = new_secret()
        lifetime = dt.timedelta(days=self.settings.sessions.absolute_days)
        session_id = await sessions_db.insert_session(
            self.conn,
            secret.hash,
            person_id,
            organisation_id,
            _now() + lifetime,
            user_agent,
            address,
        )
        await insert_audit(
            self.conn,
            action="sign_in",
            outcome="ok",
            user_id=person_id,
            organisation_id=organisation_id,
            object_type="session",
            object_id=str(session_id),
            detail={"via": via, "address": address},
        )
        return SignedIn(
            cookie=secret.value, max_age_s=int(lifetime.total_seconds()), person_id=person_id
        )

    async def start_session(
        self, person_id: UUID, organisation_id: UUID, user_agent: str, address: str, *, via: str
    ) -> SignedIn:
        """A session for the person acting for ``organisation_id``, in the caller's
        transaction: another service that proved who the person is (a confirmed join)."""
        return await self._start_session(
            person_id, user_agent, address, via=via, organisation_id=organisation_id
        )

    async def mail_sign_in_link(
        self,
        after: AfterCommit,
        person: Any,
        template: str,
        *,
        valid_days: int,
        dedupe_key: str,
        event: str,
        network_id: UUID | None = None,
        organisation_id: UUID | None = None,
        **context: Any,
    ) -> None:
        """Mail ``person`` the ``template`` message carrying a one-time sign-in link
        valid ``valid_days``, in the caller's transaction (an approval that must reach
        someone days later, as an invitation does)."""
        secret = new_secret()
        expires = _now() + dt.timedelta(days=valid_days)
        await sessions_db.insert_link(self.conn, secret.hash, person["id"], "sign_in", expires)
        await self._mail(
            after,
            template,
            person,
            dedupe_key=dedupe_key,
            event=event,
            network_id=network_id,
            organisation_id=organisation_id,
            link=self._url("/app/sign-in/link", code=secret.value),
            valid_days=valid_days,
            **context,
        )

    async def mail(
        self,
        after: AfterCommit,
        template: str,
        person: Any,
        *,
        dedupe_key: str,
        event: str,
        network_id: UUID | None = None,
        organisation_id: UUID | None = None,
        **context: Any,
    ) -> None:
        """A transactional mail (always sent, no unsubscribe) in the caller's transaction."""
        await self._mail(
            after,
            template,
            person,
            dedupe_key=dedupe_key,
            event=event,
            network_id=network_id,
            organisation_id=organisation_id,
            **context,
        )

    async def hit_limits(self, keys: dict[str, int], message: str) -> None:
        """Count one attempt under each key; past its limit (per minute), 429 ``message``."""
        windows = [(await self.limiter.hit(key), limit) for key, limit in keys.items()]
        if any(window.count > limit for window, limit in windows):
            raise TooManyAttemptsError(
                message, retry_after=max(window.reset_s for window, _ in windows)
            )

    async def _first_organisation(self, person_id: UUID) -> UUID | None:
        """Where a fresh session starts: the deployment admin's desk, else the first
        organisation; a person in none (and no admin) can't sign in to anything."""
        person = await persons_db.select_person(self.conn, person_id)
        assert person is not None
        if person["is_admin"]:
            return None
        organisations = await persons_db.select_organisations(self.conn, person_id)
        if not organisations:
            raise ForbiddenError("you are not a member of any organisation any more")
        organisation_id: UUID = organisations[0]["id"]
        return organisation_id

    async def sign_out(self, actor: Actor) -> None:
        person_id = self._person(actor)
        assert actor.session_id is not None
        async with self.conn.transaction():
            await sessions_db.revoke_session(self.conn, actor.session_id, person_id)
            await record(self.conn, actor, "sign_out", "session", actor.session_id)

    # -- the person's own page -------------------------------------------------------------

    async def me(self, actor: Actor) -> PersonOut:
        row = await persons_db.select_person(self.conn, self._person(actor))
        assert row is not None
        return as_struct(row, PersonOut)

    async def organisations(self, actor: Actor) -> list[MembershipOut]:
        rows = await persons_db.select_organisations(self.conn, self._person(actor))
        return [as_struct(row, MembershipOut) for row in rows]

    async def sessions(self, actor: Actor) -> list[SessionOut]:
        rows = await sessions_db.select_sessions(
            self.conn, self._person(actor), self.settings.sessions.idle_days * 86400
        )
        found = [as_struct(row, SessionOut) for row in rows]
        for session in found:
            session.current = session.id == actor.session_id
        return found

    async def revoke_session(self, actor: Actor, session_id: UUID) -> None:
        async with self.conn.transaction():
            if not await sessions_db.revoke_session(self.conn, session_id, self._person(actor)):
                raise NotFoundError("no such session")
            await record(self.conn, actor, "session.revoke", "session", session_id)

    async def sign_out_everywhere(self, actor: Actor) -> None:
        async with self.conn.transaction():
            await sessions_db.revoke_sessions(self.conn, self._person(actor))
            await record(self.conn, actor, "session.revoke_all", "person", self._person(actor))

    async def switch(self, actor: Actor, organisation_id: UUID | None) -> None:
        """Act for another of one's organisations (None: as the deployment's admin)."""
        person = await self.me(actor)
        if organisation_id is None:
            if not person.is_admin:
                raise ForbiddenError("only the deployment's admins act without an organisation")
        elif organisation_id not in {o.id for o in await self.organisations(actor)}:
            raise NotFoundError("you are not a member of that organisation")
        assert actor.session_id is not None
        async with self.conn.transaction():
            await sessions_db.switch_organisation(
                self.conn, actor.session_id, person.id, organisation_id
            )
            await record(self.conn, actor, "session.switch", "organisation", str(organisation_id))

    async def update_profile(self, actor: Actor, data: ProfileIn) -> None:
        async with self.conn.transaction():
            await persons_db.update_person(
                self.conn,
                self._person(actor),
                data.name,
                data.language,
                data.phone,
                list(data.muted),
            )
            await record(self.conn, actor, "person.update", "person", self._person(actor))

    async def set_password(self, actor: Actor, current: str, new: str | None) -> None:
        """Set, change (``current`` must match one already set) or remove (``new`` None)."""
        person_id = self._person(actor)
        stored = await persons_db.select_password_hash(self.conn, person_id)
        if stored is not None and not await verify_password(stored, current):
            raise UnprocessableError("the current password is not right", field="current")
        if new is not None and (problem := check_strength(new)):
            raise UnprocessableError(problem, field="password")
        password_hash = await hash_password(new) if new is not None else None
        async with self.conn.transaction():
            await persons_db.set_password(self.conn, person_id, password_hash)
            await sessions_db.revoke_sessions(self.conn, person_id, keep=actor.session_id)
            await record(self.conn, actor, "person.password", "person", person_id)

    # -- an organisation's people ------------------------------------------------------------

    async def colleagues(self, actor: Actor) -> list[ColleagueOut]:
        return await self.people(actor, self._organisation(actor), check=False)

    async def people(
        self, actor: Actor, organisation_id: UUID, *, check: bool = True
    ) -> list[ColleagueOut]:
        if check:
            await check_manages(self.conn, actor, organisation_id, "people")
        rows = await persons_db.select_people(self.conn, organisation_id)
        return [as_struct(row, ColleagueOut) for row in rows]

    async def add_person(self, actor: Actor, organisation_id: UUID, data: PersonIn) -> ColleagueOut:
        """Make the person with ``data.email`` (new, or found) one of the organisation's."""
        await check_manages(self.conn, actor, organisation_id, "people")
        async with self.conn.transaction():
            person = await persons_db.select_person_by_email(self.conn, data.email.strip())
            if person is None:
                person_id = await persons_db.insert_person(
                    self.conn, data.email.strip(), data.name, data.language, data.phone
                )
            else:
                person_id = person["id"]
            await persons_db.upsert_member(self.conn, person_id, organisation_id, data.role)
            await record(
                self.conn,
                actor,
                "person.add",
                "person",
                person_id,
                detail={"organisation_id": str(organisation_id), "role": data.role},
            )
        (added,) = [p for p in await self.people(actor, organisation_id) if p.id == person_id]
        return added

    async def remove_person(self, actor: Actor, organisation_id: UUID, person_id: UUID) -> None:
        await check_manages(self.conn, actor, organisation_id, "people")
        await self._remove(actor, organisation_id, person_id)

    async def remove_colleague(self, actor: Actor, person_id: UUID) -> None:
        await self._remove(actor, self._managed_organisation(actor), person_id)

    async def _remove(self, actor: Actor, organisation_id: UUID, person_id: UUID) -> None:
        async with self.conn.transaction():
            role = await persons_db.delete_member(self.conn, person_id, organisation_id)
            if role is None:
                raise NotFoundError("no such person in your organisation")
            if role == "admin" and await persons_db.count_admins(self.conn, organisation_id) == 0:
                raise ConflictError("an organisation keeps at least one admin")
            await record(self.conn, actor, "person.remove", "person", person_id)

    async def mail_sent(self, actor: Actor) -> list[asyncpg.Record]:
        """What the networks one coordinates sent by mail lately, and how it went (never
        the content): to whom, what, its state and last error."""
        rows: list[asyncpg.Record] = []
        for network_id in sorted(n for n in actor.network_ids if actor.coordinates(n)):
            rows += await outbox_db.select_recent_mail(self.conn, network_id=network_id)
        return sorted(rows, key=lambda row: row["created_at"], reverse=True)[:100]

    # -- invitations ------------------------------------------------------------------------

    async def members_in_care(self, actor: Actor) -> list[tuple[UUID, str, str]]:
        """The producers and co-ops of the networks one coordinates whose people one may
        invite (id, name, kind): those in no network one doesn't coordinate."""
        coordinated = [n for n in actor.network_ids if actor.coordinates(n)]
        if not coordinated or actor.is_admin:
            return []
        rows = await organisations_db.select_organisations(self.conn, coordinated, None, None, None)
        return [
            (row["id"], row["name"], row["kind"])
            for row in rows
            if row["kind"] != "coordinator"
            and all(actor.coordinates(network_id) for network_id in row["network_ids"])
        ]

    async def invitations(self, actor: Actor) -> list[InvitationOut]:
        coordinated = [n for n in actor.network_ids if actor.coordinates(n)]
        own = actor.organisation_id if actor.organisation_admin else None
        rows = await persons_db.select_invitations(self.conn, own, coordinated)
        return [as_struct(row, InvitationOut) for row in rows]

    async def invite(self, actor: Actor, data: InvitationIn) -> UUID:
        """Invite a colleague, or (a coordinator) a producer or co-op into a network."""
        email = data.email.strip()
        founding = data.organisation_id is None and (
            data.organisation_kind is not None or data.network_id is not None
        )
        network_id = data.network_id
        if data.organisation_id is not None:  # into one that exists, in one's care
            await check_manages(self.conn, actor, data.organisation_id, "people")
            organisation_id = data.organisation_id
            if network_id is not None and not actor.coordinates(network_id):
                network_id = None
        elif founding:
            if data.network_id is None or not actor.coordinates(data.network_id):
                raise UnprocessableError(
                    "choose one of the networks you coordinate", field="network_id"
                )
            if data.organisation_kind is None:
                raise UnprocessableError(
                    "say whether it is a producer or a co-op", field="organisation_kind"
                )
            if data.organisation_kind == "coordinator" and not actor.is_admin:
                raise UnprocessableError(
                    "only a deployment admin invites a network's coordinators",
                    field="organisation_kind",
                )
            if data.organisation_name is None:
                raise UnprocessableError("name the organisation", field="organisation_name")
            organisation_id = None
        else:
            organisation_id = self._managed_organisation(actor)
            network_id = None
        secret = new_secret()
        expires = _now() + dt.timedelta(days=self.settings.sessions.invitation_days)
        async with transaction_then_queue(self.conn, self.queue) as after:
            invitation_id = await persons_db.insert_invitation(
                self.conn,
                secret.hash,
                email,
                data.language,
                data.role,
                organisation_id=organisation_id,
                organisation_kind=data.organisation_kind if founding else None,
                organisation_name=data.organisation_name if founding else None,
                network_id=network_id,
                invited_by=actor.person_id,
                expires_at=expires,
            )
            await self._mail_invitation(after, invitation_id, secret.value, times_sent=1)
            await record(
                self.conn,
                actor,
                "invitation.create",
                "invitation",
                invitation_id,
                network_id=network_id,
                detail={"email": email, "kind": data.organisation_kind, "role": data.role},
            )
        return invitation_id

    async def resend(self, actor: Actor, invitation_id: UUID) -> None:
        invitation = await self._own_invitation(actor, invitation_id)
        secret = new_secret()
        expires = _now() + dt.timedelta(days=self.settings.sessions.invitation_days)
        async with transaction_then_queue(self.conn, self.queue) as after:
            if not await persons_db.resend_invitation(
                self.conn, invitation_id, secret.hash, expires
            ):
                raise ConflictError("the invitation was accepted or withdrawn")
            await self._mail_invitation(
                after, invitation_id, secret.value, times_sent=invitation.times_sent + 1
            )
            await record(self.conn, actor, "invitation.resend", "invitation", invitation_id)

    async def withdraw(self, actor: Actor, invitation_id: UUID) -> None:
        await self._own_invitation(actor, invitation_id)
        async with self.conn.transaction():
            if not await persons_db.withdraw_invitation(self.conn, invitation_id):
                raise ConflictError("the invitation was accepted or withdrawn already")
            await record(self.conn, actor, "invitation.withdraw", "invitation", invitation_id)

    async def invitation(self, code: str) -> InvitationOut:
        """The pending invitation ``code`` names; LinkError if there is none."""
        row = (
            await persons_db.select_invitation_by_secret(self.conn, hash_secret(code))
            if is_plausible(code)
            else None
        )
        found = as_struct(row, InvitationOut) if row is not None else None
        if found is None or found.state != "pending":
            raise LinkError("this invitation has been used, withdrawn or has expired")
        return found

    async def accept(self, code: str, data: AcceptIn, user_agent: str, address: str) -> SignedIn:
        """Accept: the person (new, or the address's own), the organisation (founded, or
        joined) and the membership, then a session acting for it."""
        invitation = await self.invitation(code)
        if data.password and (problem := check_strength(data.password)):
            raise UnprocessableError(problem, field="password")
        password_hash = await hash_password(data.password) if data.password else None
        async with self.conn.transaction():
            person = await persons_db.select_person_by_email(self.conn, invitation.email)
            if person is None:
                person_id = await persons_db.insert_person(
                    self.conn, invitation.email, data.name, data.language, data.phone
                )
                if password_hash is not None:
                    await persons_db.set_password(self.conn, person_id, password_hash)
            else:
                person_id = person["id"]
            if not await persons_db.accept_invitation(self.conn, invitation.id, person_id):
                raise LinkError("this invitation has been used, withdrawn or has expired")
            organisation_id = invitation.organisation_id
            if organisation_id is None:
                assert invitation.network_id is not None
                organisation_id = await organisations_db.insert_organisation(
                    self.conn,
                    {
                        "kind": invitation.organisation_kind,
                        "name": invitation.organisation_name,
                        "contact_email": invitation.email,
                        "contact_phone": data.phone,
                        "address": "",
                        "lat": None,
                        "lon": None,
                    },
                )
                await networks_db.insert_membership(
                    self.conn, invitation.network_id, organisation_id
                )
            await persons_db.upsert_member(self.conn, person_id, organisation_id, invitation.role)
            await insert_audit(
                self.conn,
                action="invitation.accept",
                outcome="ok",
                user_id=person_id,
                organisation_id=organisation_id,
                network_id=invitation.network_id,
                object_type="invitation",
                object_id=str(invitation.id),
            )
            return await self._start_session(
                person_id, user_agent, address, via="invitation", organisation_id=organisation_id
            )

    async def _own_invitation(self, actor: Actor, invitation_id: UUID) -> InvitationOut:
        row = await persons_db.select_invitation(self.conn, invitation_id)
        if row is None:
            raise NotFoundError("no such invitation")
        invitation = as_struct(row, InvitationOut)
        own = actor.organisation_admin and invitation.organisation_id == actor.organisation_id
        coordinated = invitation.network_id is not None and actor.coordinates(invitation.network_id)
        if not (own or coordinated):
            raise TenantDeniedError("no such invitation")
        return invitation

    async def _mail_invitation(
        self, after: AfterCommit, invitation_id: UUID, code: str, *, times_sent: int
    ) -> None:
        row = await persons_db.select_invitation(self.conn, invitation_id)
        assert row is not None
        await self._mail(
            after,
            "invitation",
            {"id": None, "email": row["email"], "name": "", "language": row["language"]},
            dedupe_key=f"invitation:{invitation_id}:{times_sent}",
            event="invitation",
            network_id=row["network_id"],
            organisation_id=row["organisation_id"],
            link=self._url("/app/invitations/accept", code=code),
            organisation=row["organisation_name"],
            kind=row["organisation_kind"],
            network=row["network_name"],
            inviter=row["invited_by_name"],
            valid_days=self.settings.sessions.invitation_days,
        )

    # -- one-click unsubscribe ----------------------------------------------------------

    def notification_of(self, token: str) -> tuple[UUID, NotificationKind]:
        """The person and the kind of notification an unsubscribe link names; LinkError
        if the token is not one this deployment sealed."""
        named = read_unsubscribe_token(self.sealer, token) if self.sealer else None
        if named is None:
            raise LinkError("this unsubscribe link does not work")
        return named

    async def unsubscribe(self, token: str, address: str) -> NotificationKind:
        """Turn off the kind of notification the link names, for its person: it only
        ever adds to ``muted`` (RFC 8058's one click, also from the mail provider)."""
        person_id, kind = self.notification_of(token)
        async with self.conn.transaction():
            if not await persons_db.mute(self.conn, person_id, kind):
                raise LinkError("this unsubscribe link does not work")
            await insert_audit(
                self.conn,
                action="notifications.unsubscribe",
                outcome="ok",
                user_id=person_id,
                object_type="person",
                object_id=str(person_id),
                detail={"kind": str(kind), "address": address},
            )
        return kind

    # -- helpers --------------------------------------------------------------------------

    async def _mail(
        self,
        after: AfterCommit,
        template: str,
        person: Any,
        *,
        dedupe_key: str,
        event: str,
        network_id: UUID | None = None,
        organisation_id: UUID | None = None,
        **context: Any,
    ) -> None:
        """Write a transactional mail to ``person`` on the outbox, queued after commit."""
        mail = compose(
            template,
            person["language"],
            to_address=person["email"],
            to_name=person["name"],
            **context,
        )
        message_id = await outbox_db.insert_mail(
            self.conn,
            mail,
            sealer=sealing_for_mail(self.sealer),
            dedupe_key=dedupe_key,
            person_id=person["id"],
            event=event,
            network_id=network_id,
            organisation_id=organisation_id,
        )
        if message_id is not None:
            after.message(message_id)

    def _url(self, path: str, **query: str) -> str:
        return public_link(self.settings.mail.public_url, path, **query)

    async def _limit(self, email: str, address: str) -> None:
        limits = self.settings.sessions
        by_email = await self.limiter.hit("sign-in:email:" + email.strip().lower()[:254])
        by_address = await self.limiter.hit("sign-in:address:" + address)
        if by_email.count > limits.per_email_per_minute or (
            by_address.count > limits.per_address_per_minute
        ):
            raise TooManyAttemptsError(
                "too many sign-in attempts; wait a minute and try again",
                retry_after=max(by_email.reset_s, by_address.reset_s),
            )

    @staticmethod
    def _person(actor: Actor) -> UUID:
        if actor.person_id is None or actor.session_id is None:
            raise ForbiddenError("this is a person's own page: sign in to the pages")
        return actor.person_id

    @staticmethod
    def _organisation(actor: Actor) -> UUID:
        if actor.organisation_id is None:
            raise ForbiddenError("act for an organisation to see its people")
        return actor.organisation_id

    def _managed_organisation(self, actor: Actor) -> UUID:
        organisation_id = self._organisation(actor)
        if not actor.organisation_admin:
            raise ForbiddenError("only the organisation's admins manage its people")
        return organisation_id


def sealing_for_mail(sealer: Sealer | None) -> Sealer:
    """Mail is sealed at rest (a sign-in link is a secret): no keys, no mail."""
    if sealer is None:
        raise ServiceUnavailableError(
            "e-mail needs SAMLAST_SECRET_KEYS (make a key with `samlast new-secret-key`)"
        )
    return sealer


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


async def make_admin(
    conn: Conn, settings: Settings, email: str, name: str, language: Language
) -> tuple[str, UUID]:
    """Make the person with ``email`` (new, or found) a deployment admin and write them a
    sign-in link on the outbox: the link, and the mail's id to queue.

    How a deployment gets its first person (``samlast admin``); from there everything
    happens in the pages.
    """
    secret = new_secret()
    expires = _now() + dt.timedelta(minutes=settings.sessions.link_minutes)
    async with conn.transaction():
        person = await persons_db.select_person_by_email(conn, email.strip())
        if person is None:
            person_id = await persons_db.insert_person(
                conn, email.strip(), name, language, is_admin=True
            )
        else:
            person_id = person["id"]
            await persons_db.make_admin(conn, person_id)
        await sessions_db.insert_link(conn, secret.hash, person_id, "sign_in", expires)
        link = public_link(settings.mail.public_url, "/app/sign-in/link", code=secret.value)
        mail = compose(
            "sign_in_link",
            language,
            to_address=email.strip(),
            to_name=name,
            link=link,
            valid_minutes=settings.sessions.link_minutes,
        )
        message_id = await outbox_db.insert_mail(
            conn,
            mail,
            sealer=sealing_for_mail(sealer_of(settings.secret_keys)),
            dedupe_key=None,
            person_id=person_id,
        )
        await insert_audit(
            conn,
            action="admin.create",
            outcome="ok",
            user_id=person_id,
            object_type="person",
            object_id=str(person_id),
            detail={"via": "cli"},
        )
    assert message_id is not None
    return link, message_id
