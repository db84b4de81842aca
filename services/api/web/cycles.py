"""The coordinators' cycle pages: open a cycle (or copy the last one into the coming
week), see who takes part in an open one and remind those who don't, close it early;
set the weekly schedule by which the matcher opens cycles by itself.

Dates and times are typed in the network's time zone (``local_time``) and become the
``CycleIn`` the API takes, so ``CycleService.create`` applies the same rules to both.
A form with a mistake comes back with what was typed and the error beside its field.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

from babel.dates import get_day_names
from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template

from services.api.auth.actor import Actor
from services.api.auth.guards import MANAGERS
from services.api.cycles.schedule_service import UNSAVED
from services.api.cycles.schemas import CycleIn, CycleOut, ScheduleIn, ScheduleOut
from services.api.cycles.service import CycleService
from services.api.deps import CurrentActor, Cycles, Networks, Schedules
from services.api.networks.schemas import NetworkOut
from services.api.networks.service import NetworkService
from services.api.web import i18n
from services.api.web.local_time import WEEK, NoSuchTimeError, instant, local, weeks_on
from services.api.web.pages import LANG_COOKIE, back, page, said, same_site, submit
from shared.errors import ConflictError, PreconditionFailedError, SamlastError, TenantDeniedError

FIELDS = ("opens_date", "opens_time", "closes_date", "closes_time", "delivery_date")
SCHEDULE_FIELDS = (
    "version",
    "enabled",
    "opens_weekday",
    "opens_time",
    "closes_weekday",
    "closes_time",
    "delivery_weekday",
)


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
                errors = {"opens_date": said(request, exc)}
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

    @get("/networks/{network_id:uuid}/cycles/schedule")
    async def schedule(
        self,
        request: Request[Any, Any, Any],
        network_id: FromPath[UUID],
        actor: CurrentActor,
        cycles: Cycles,
        networks: Networks,
        schedules: Schedules,
    ) -> Template:
        network = await _coordinated(actor, networks, network_id)
        saved = await schedules.get(actor, network_id)
        if saved is not None:
            values = shown_schedule(saved)
        else:
            previous = await cycles.list_cycles(actor, network_id)
            values = like_cycle(previous[0], network.timezone) if previous else DEFAULT_SCHEDULE
        return _schedule_page(request, network, saved, values, {})

    @post("/networks/{network_id:uuid}/cycles/schedule", status_code=303)
    async def save_schedule(
        self,
        request: Request[Any, Any, Any],
        network_id: FromPath[UUID],
        actor: CurrentActor,
        networks: Networks,
        schedules: Schedules,
    ) -> Response[Any]:
        same_site(request)
        network = await _coordinated(actor, networks, network_id)
        form = await request.form()
        values = {name: str(form.get(name, "")).strip()[:10] for name in SCHEDULE_FIELDS}
        data, version, errors = schedule_in(values)
        if data is None:
            saved = await schedules.get(actor, network_id)
            return _schedule_page(request, network, saved, values, errors, status_code=422)
        try:
            await schedules.save(actor, network_id, data, f'"{version}"')
        except PreconditionFailedError:
            # what was typed stays; saving again saves it over the newer version
            saved = await schedules.get(actor, network_id)
            values["version"] = str(saved.version) if saved else ""
            stale = "someone saved the schedule meanwhile; check it and save again"
            return _schedule_page(request, network, saved, values, {}, error=stale, status_code=412)
        done = "schedule saved" if data.enabled else "schedule saved; it is off"
        return back(f"/app/networks/{network_id}/cycles/schedule", done=done)

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
            return back(to, error=said(request, exc))
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
            "/app/dashboard",
            "close",
            lambda: cycles.transition(actor, cycle_id, "close"),
            request=request,
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


# A schedule never set yet, with no cycle to take it from: a common co-op week.
DEFAULT_SCHEDULE = {
    "enabled": "",
    "opens_weekday": str(UNSAVED.opens_weekday),
    "opens_time": f"{UNSAVED.opens_time:%H:%M}",
    "closes_weekday": str(UNSAVED.closes_weekday),
    "closes_time": f"{UNSAVED.closes_time:%H:%M}",
    "delivery_weekday": str(UNSAVED.delivery_weekday),
}


def _schedule_page(
    request: Request[Any, Any, Any],
    network: NetworkOut,
    saved: ScheduleOut | None,
    values: dict[str, str],
    errors: dict[str, str],
    *,
    error: str | None = None,
    status_code: int = 200,
) -> Template:
    language = i18n.choose(request.cookies.get(LANG_COOKIE), request.headers.get("accept-language"))
    context: dict[str, Any] = {"error": error} if error else {}
    return page(
        request,
        "cycle_schedule",
        network=network,
        saved=saved,
        values=values,
        errors=errors,
        weekdays=weekday_names(language),
        zone=network.timezone,
        status_code=status_code,
        **context,
    )


def weekday_names(language: str) -> list[tuple[int, str]]:
    """ISO weekdays with their names in ``language``, Monday first."""
    names = get_day_names("wide", locale=language)
    return [(index + 1, names[index]) for index in range(7)]


def shown_schedule(saved: ScheduleOut) -> dict[str, str]:
    return {
        "version": str(saved.version),
        "enabled": "on" if saved.enabled else "",
        "opens_weekday": str(saved.opens_weekday),
        "opens_time": f"{saved.opens_time:%H:%M}",
        "closes_weekday": str(saved.closes_weekday),
        "closes_time": f"{saved.closes_time:%H:%M}",
        "delivery_weekday": str(saved.delivery_weekday),
    }


def like_cycle(cycle: CycleOut, zone: str) -> dict[str, str]:
    """A first schedule taken from a cycle's weekdays and clock times (off until saved on)."""
    opens_day, opens_time = local(cycle.opens_at, zone)
    closes_day, closes_time = local(cycle.closes_at, zone)
    return {
        "enabled": "",
        "opens_weekday": str(opens_day.isoweekday()),
        "opens_time": f"{opens_time:%H:%M}",
        "closes_weekday": str(closes_day.isoweekday()),
        "closes_time": f"{closes_time:%H:%M}",
        "delivery_weekday": str(cycle.delivery_date.isoweekday()),
    }


def schedule_in(values: dict[str, str]) -> tuple[ScheduleIn | None, int, dict[str, str]]:
    """The form as the ``ScheduleIn`` to save and the version it was read at (0: never
    saved), or each field's error."""
    errors: dict[str, str] = {}
    days: dict[str, int] = {}
    times: dict[str, dt.time] = {}
    for name in ("opens_weekday", "closes_weekday", "delivery_weekday"):
        text = values.get(name, "")
        if text.isascii() and text.isdigit() and 1 <= int(text) <= 7:
            days[name] = int(text)
        else:
            errors[name] = "choose a day of the week"
    for name in ("opens_time", "closes_time"):
        try:
            times[name] = dt.time.fromisoformat(values.get(name, ""))
        except ValueError:
            errors[name] = "write a time, like 18:00"
    version_text = values.get("version", "")
    if version_text and not (version_text.isascii() and version_text.isdigit()):
        errors["version"] = "reload the page and try again"
    if errors:
        return None, 0, errors
    data = ScheduleIn(
        enabled=values.get("enabled") == "on",
        opens_weekday=days["opens_weekday"],
        opens_time=times["opens_time"].replace(second=0, microsecond=0),
        closes_weekday=days["closes_weekday"],
        closes_time=times["closes_time"].replace(second=0, microsecond=0),
        delivery_weekday=days["delivery_weekday"],
    )
    return data, int(version_text) if version_text else 0, {}
