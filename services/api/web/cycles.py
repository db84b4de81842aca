"""The coordinators' cycle pages: open a cycle (or copy the last one into the coming
week), see who takes part in an open one and remind those who don't, close it early.

Dates and times are typed in the network's time zone (``local_time``) and become the
``CycleIn`` the API takes, so ``CycleService.create`` applies the same rules to both.
A form with a mistake comes back with what was typed and the error beside its field.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template

from services.api.auth.actor import Actor
from services.api.auth.guards import MANAGERS
from services.api.cycles.schemas import CycleIn, CycleOut
from services.api.cycles.service import CycleService
from services.api.deps import CurrentActor, Cycles, Networks
from services.api.networks.schemas import NetworkOut
from services.api.networks.service import NetworkService
from services.api.web.local_time import WEEK, NoSuchTimeError, instant, local, weeks_on
from services.api.web.pages import back, page, same_site, submit
from shared.errors import ConflictError, SamlastError, TenantDeniedError

FIELDS = ("opens_date", "opens_time", "closes_date", "closes_time", "delivery_date")


class CyclePages(Controller):
    path = "/app"
    include_in_schema = False
    guards = [MANAGERS]

    @get("/networks/{network_id:uuid}/cycles/new")
    async def new_cycle(
        self,
        request: Request[Any, Any, Any],
        network_id: FromPath[UUID],
        actor: CurrentActor,
        cycles: Cycles,
        networks: Networks,
        copy: FromQuery[str] = "",
    ) -> Template:
        network = await _coordinated(actor, networks, network_id)
        now = dt.datetime.now(dt.UTC)
        values = _fresh(now, network.timezone)
        copied = None
        if copy == "last":
            previous = await cycles.list_cycles(actor, network_id)
            if previous:
                copied = previous[0]
                values = moved_to_coming_week(copied, now, network.timezone)
        return page(
            request,
            "cycle_new",
            network=network,
            values=values,
            errors={},
            copied=copied,
            copy_asked=copy == "last",
            zone=network.timezone,
        )

    @post("/networks/{network_id:uuid}/cycles/new", status_code=303)
    async def open_cycle(
        self,
        request: Request[Any, Any, Any],
        network_id: FromPath[UUID],
        actor: CurrentActor,
        cycles: Cycles,
        networks: Networks,
    ) -> Response[Any]:
        same_site(request)
        network = await _coordinated(actor, networks, network_id)
        form = await request.form()
        values = {name: str(form.get(name, "")).strip()[:10] for name in FIELDS}
        data, twice, errors = cycle_in(values, network.timezone, dt.datetime.now(dt.UTC))
        if data is not None:
            try:
                cycle = await cycles.create(actor, network_id, data)
            except SamlastError as exc:
                errors = {"opens_date": exc.detail}
        if data is None or errors:
            return page(
                request,
                "cycle_new",
                network=network,
                values=values,
                errors=errors,
                copied=None,
                copy_asked=False,
                zone=network.timezone,
                status_code=422,
            )
        done = "cycle opened; a time that happens twice was taken as the first"
        return back(f"/app/cycles/{cycle.id}", done=done if twice else "cycle opened")

    @get("/cycles/{cycle_id:uuid}")
    async def cycle(
        self,
        request: Request[Any, Any, Any],
        cycle_id: FromPath[UUID],
        actor: CurrentActor,
        cycles: Cycles,
        networks: Networks,
    ) -> Template:
        return page(request, "cycle", **await _overview(actor, cycles, networks, cycle_id))

    @get("/cycles/{cycle_id:uuid}/close")
    async def confirm_close(
        self,
        request: Request[Any, Any, Any],
        cycle_id: FromPath[UUID],
        actor: CurrentActor,
        cycles: Cycles,
        networks: Networks,
    ) -> Template:
        """Closing early ends ordering for everyone: this page says who has not ordered
        and when it would close otherwise, and its button closes."""
        return page(request, "cycle_close", **await _overview(actor, cycles, networks, cycle_id))

    @post("/cycles/{cycle_id:uuid}/remind", status_code=303)
    async def remind(
        self,
        request: Request[Any, Any, Any],
        cycle_id: FromPath[UUID],
        actor: CurrentActor,
        cycles: Cycles,
    ) -> Redirect:
        same_site(request)
        to = f"/app/cycles/{cycle_id}"
        try:
            written = await cycles.remind(actor, cycle_id)
        except ConflictError as exc:  # closed meanwhile; another network's cycle is a 404
            return back(to, error=exc.detail)
        if not written:
            return back(to, done="no one new to remind: reminded already, or no e-mail address")
        return back(to, done="reminder sent")

    @post("/cycles/{cycle_id:uuid}/close", status_code=303)
    async def close_cycle(
        self,
        request: Request[Any, Any, Any],
        cycle_id: FromPath[UUID],
        actor: CurrentActor,
        cycles: Cycles,
    ) -> Redirect:
        same_site(request)
        await cycles.coordinated(actor, cycle_id)  # another network's cycle: 404, as the API
        return await submit(
            "/app/dashboard", "close", lambda: cycles.transition(actor, cycle_id, "close")
        )


async def _coordinated(actor: Actor, networks: NetworkService, network_id: UUID) -> NetworkOut:
    network = await networks.get(actor, network_id)
    if not actor.coordinates(network_id):
        raise TenantDeniedError("no such network")
    return network


async def _overview(
    actor: Actor, cycles: CycleService, networks: NetworkService, cycle_id: UUID
) -> dict[str, Any]:
    participants = await cycles.participation(actor, cycle_id)
    cycle = await cycles.get(actor, cycle_id)
    network = await networks.get(actor, cycle.network_id)
    coops = [p for p in participants if p.kind == "coop"]
    return {
        "cycle": cycle,
        "network": network,
        "zone": network.timezone,
        "coops": coops,
        "producers": [p for p in participants if p.kind == "producer"],
        "coops_ordered": sum(p.taking_part for p in coops),
        "missing": [p for p in participants if not p.taking_part],
    }


def cycle_in(
    values: dict[str, str], zone: str, now: dt.datetime
) -> tuple[CycleIn | None, bool, dict[str, str]]:
    """The typed days and times as the API's ``CycleIn``, whether a time was ambiguous
    (taken as the first), and each field's error (then no ``CycleIn``)."""
    delivery, moments, twice, errors = _read(values, zone)
    if errors or delivery is None:
        return None, twice, errors
    opens_at, closes_at = moments["opens"], moments["closes"]
    if closes_at <= now:
        return None, twice, {"closes_time": "that moment has passed"}
    if opens_at >= closes_at:
        return None, twice, {"closes_time": "ordering must close after it opens"}
    if closes_at.astimezone(ZoneInfo(zone)).date() > delivery:
        return None, twice, {"delivery_date": "delivery can't be before ordering closes"}
    try:
        data = CycleIn(opens_at=opens_at, closes_at=closes_at, delivery_date=delivery)
    except ValueError:  # the API's own rule, on the day in UTC
        return None, twice, {"delivery_date": "delivery can't be before ordering closes"}
    return data, twice, {}


def _read(
    values: dict[str, str], zone: str
) -> tuple[dt.date | None, dict[str, dt.datetime], bool, dict[str, str]]:
    """The delivery day, the opening and closing instants, whether one was ambiguous,
    and the errors of the fields that could not be read."""
    errors: dict[str, str] = {}
    moments: dict[str, dt.datetime] = {}
    twice = False
    for end in ("opens", "closes"):
        day = _day(values, f"{end}_date", errors)
        try:
            time = dt.time.fromisoformat(values.get(f"{end}_time", ""))
        except ValueError:
            errors[f"{end}_time"] = "write a time, like 18:00"
            continue
        if day is None:
            continue
        try:
            moments[end], ambiguous = instant(day, time, zone)
        except NoSuchTimeError:
            errors[f"{end}_time"] = "that time does not exist that day: the clocks skip it"
            continue
        twice = twice or ambiguous
    return _day(values, "delivery_date", errors), moments, twice, errors


def _day(values: dict[str, str], name: str, errors: dict[str, str]) -> dt.date | None:
    try:
        return dt.date.fromisoformat(values.get(name, ""))
    except ValueError:
        errors[name] = "write a date, like 2027-06-30"
        return None


def _fresh(now: dt.datetime, zone: str) -> dict[str, str]:
    """A new cycle's form: opening now, the rest to fill in."""
    day, time = local(now, zone)
    return {"opens_date": day.isoformat(), "opens_time": f"{time:%H:%M}"}


def moved_to_coming_week(previous: CycleOut, now: dt.datetime, zone: str) -> dict[str, str]:
    """The last cycle's weekdays and clock times (in the network's zone), moved by whole
    weeks into the coming one; times are kept as clocks show them, across DST too."""
    opens_day, opens_time = local(previous.opens_at, zone)
    closes_day, closes_time = local(previous.closes_at, zone)
    shift = WEEK * weeks_on(opens_day, local(now, zone)[0])
    return {
        "opens_date": (opens_day + shift).isoformat(),
        "opens_time": f"{opens_time:%H:%M}",
        "closes_date": (closes_day + shift).isoformat(),
        "closes_time": f"{closes_time:%H:%M}",
        "delivery_date": (previous.delivery_date + shift).isoformat(),
    }
