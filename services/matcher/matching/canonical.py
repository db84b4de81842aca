"""The same network gets the same allocation whatever its ids.

The engine breaks ties (equal prices, equal landed costs, the last unit of a
largest-remainder split) by id, so the same data under other ids could be allocated
otherwise, and then routed otherwise. Before the engine sees a problem, its offers,
lines, producers and co-ops are renamed in an order of what they are: producers and
co-ops by where they are, offers and lines by their producer or co-op, then their
figures; the real id decides only between things alike in all of that. The result
is named back. Products are left as they are: the engine matches each product on its
own, whatever their order.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from uuid import UUID

import msgspec

from services.matcher.engine import AllocationProblem, AllocationResult, PinError, allocate

Place = tuple[float, float] | None


@dataclass(frozen=True)
class Labels:
    """Canonical ids for a problem's things, and the way back."""

    forward: dict[UUID, UUID]
    back: dict[UUID, UUID]

    @classmethod
    def of(
        cls,
        problem: AllocationProblem,
        farms: Mapping[UUID, Place],
        coops: Mapping[UUID, Place],
    ) -> Labels:
        """``farms`` and ``coops``: where each producer and co-op is, if known."""

        def where(place: Place) -> tuple[int, float, float]:
            return (0, *place) if place is not None else (1, 0.0, 0.0)

        producers = sorted(
            {o.producer_id for o in problem.offers} | {t.producer_id for t in problem.transport},
            key=lambda p: (where(farms.get(p)), p),
        )
        co_ops = sorted(
            {line.coop_id for line in problem.lines} | {t.coop_id for t in problem.transport},
            key=lambda c: (where(coops.get(c)), c),
        )
        producer_rank = {p: n for n, p in enumerate(producers)}
        coop_rank = {c: n for n, c in enumerate(co_ops)}
        offers = sorted(
            problem.offers,
            key=lambda o: (
                producer_rank[o.producer_id],
                o.product_id,
                o.temperature,
                o.price_per_pack_ore,
                o.pack_units,
                o.packs_available,
                o.valid_from,
                o.valid_until,
                o.grams_per_unit,
                o.id,
            ),
        )
        lines = sorted(
            problem.lines,
            key=lambda line: (
                coop_rank[line.coop_id],
                line.product_id,
                line.temperature,
                line.firm_quantity,
                line.tolerance,
                -1 if line.max_unit_price_ore is None else line.max_unit_price_ore,
                line.id,
            ),
        )
        forward: dict[UUID, UUID] = {}
        # each kind in its own range, so no two things share a canonical id
        for kind, things in enumerate(
            (producers, co_ops, [o.id for o in offers], [line.id for line in lines])
        ):
            for rank, real in enumerate(things):
                forward[real] = UUID(int=(kind + 1) << 64 | rank)
        return cls(forward, {canonical: real for real, canonical in forward.items()})

    def problem(self, problem: AllocationProblem) -> AllocationProblem:
        """The problem under canonical ids (products keep theirs)."""
        to = self.forward
        replace = msgspec.structs.replace
        return replace(
            problem,
            offers=[replace(o, id=to[o.id], producer_id=to[o.producer_id]) for o in problem.offers],
            lines=[
                replace(line, id=to[line.id], coop_id=to[line.coop_id]) for line in problem.lines
            ],
            transport=[
                replace(t, producer_id=to[t.producer_id], coop_id=to[t.coop_id])
                for t in problem.transport
            ],
            pins=[
                replace(
                    pin,
                    offer_id=to.get(pin.offer_id, pin.offer_id),
                    line_id=to.get(pin.line_id, pin.line_id),
                )
                for pin in problem.pins
            ],
        )

    def result(self, result: AllocationResult) -> AllocationResult:
        """A result under canonical ids named back."""
        back = self.back
        replace = msgspec.structs.replace
        return replace(
            result,
            purchases=[replace(p, offer_id=back[p.offer_id]) for p in result.purchases],
            allocations=[
                replace(a, offer_id=back[a.offer_id], line_id=back[a.line_id])
                for a in result.allocations
            ],
            shortfalls=[replace(s, line_id=back[s.line_id]) for s in result.shortfalls],
        )

    def error(self, error: PinError) -> PinError:
        """A pin error's message, naming the real ids."""
        text = str(error)
        for canonical in set(_UUID.findall(text)):
            real = self.back.get(UUID(canonical))
            if real is not None:
                text = text.replace(canonical, str(real))
        return PinError(text)


def allocate_alike(problem: AllocationProblem, labels: Labels) -> AllocationResult:
    """``allocate``, under canonical ids: the same network, the same result."""
    try:
        return labels.result(allocate(labels.problem(problem)))
    except PinError as error:
        raise labels.error(error) from None


_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
