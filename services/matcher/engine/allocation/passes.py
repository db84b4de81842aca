"""Steps 1 to 3 of ``allocate`` for one product group (firm targets, units per offer,
units per (offer, line)), and the same again after some offers' caps changed,
redoing only the price classes the change reaches.

Step 4 caps an offer whose last pack can't be completed and plans again. A cap moves
a few units (on the bench's 16x network: two offers' units and a few dozen of its
thousands of pairs change per re-plan), so redoing every price class made the passes,
not the network, what the time grew with. The re-plan is the same computation,
replayed:

Steps 2 and 3 each go through the price classes in a fixed order, every class taking
units from what the classes before it left (``left``). What a class takes depends only
on its lines' targets and on ``left`` at the offers it looked at: in step 2 the offers
it may use up to the last one it took from, in mean landed order; in step 3, per co-op,
the offers up to where that co-op's walk in landed order stopped. So with the targets
unchanged, the replay keeps ``delta``, how ``left`` differs from the previous pass's
at the same point, by offer; a class that looked at none of those offers takes
exactly what it took before (its record is reused), any other is redone, and the
difference in what it took goes into ``delta``. When the targets change the pass is
done whole. The result is the one a whole pass gives, equal to the unit:
``tests/unit/engine/test_allocate_replay.py`` compares the two on random networks
and random caps.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property
from heapq import heapify, heappop, heappush, heapreplace
from uuid import UUID

from services.matcher.engine.allocation.group import GroupIndex
from services.matcher.engine.allocation.landed import LandedCosts, Pairs, PriceClass, Walks
from services.matcher.engine.common.fair import NestedDemand

REPLAY = True  # False: every pass is done whole (the tests compare the two)


@dataclass(frozen=True)
class _Taken:
    """What one price class took in step 2, and how far it looked: the offer it
    took its last unit from (``None``: it looked at every offer it may use)."""

    takes: list[tuple[int, int]]  # (offer position, units)
    last: int | None

    @cached_property
    def positions(self) -> frozenset[int]:
        """The offers it took units from: made when a replay first asks."""
        return frozenset(position for position, _ in self.takes)


Event = tuple[int, int, int, int]  # (landed cost, offer position, co-op index, units)


@dataclass(frozen=True)
class _Received:
    """What one price class received in step 3: every (offer, co-op) take in the
    order made, how far each co-op's walk looked (the index in its landed order), and
    what the co-ops' lines got."""

    wanted: dict[int, int]  # co-op index → its lines' firm targets, where above 0
    members: dict[int, list[int]]  # co-op index → its lines in the class
    events: list[Event]  # in (landed cost, position, co-op) order
    stops: dict[int, int]  # co-op index → the last index its walk looked at
    flows: dict[int, Pairs]  # by co-op index: its lines' units
    positions: frozenset[int]  # the offers it took units from
    carriage_milli_ore: int  # of the units it took, at the estimate

    @cached_property
    def by_offer(self) -> list[tuple[int, int]]:
        """Its units by offer position: a class a replay leaves as it was takes them
        again, fewer items than its (offer, co-op) events."""
        units: dict[int, int] = defaultdict(int)
        for _, position, _, took in self.events:
            units[position] += took
        return list(units.items())


@dataclass(frozen=True)
class Pass:
    """Steps 1 to 3 for one set of caps, with what each price class did."""

    caps: dict[UUID, int]  # by offer
    cap_list: list[int]  # by offer position
    firm_targets: dict[int, int]  # by line index
    short: set[int]  # line indices short of supply
    offer_ids: list[UUID]  # by offer position
    amounts: list[int]  # by offer position
    wanted: list[int]  # by price class: its lines' firm targets
    taken: list[_Taken | None]  # by price class (``None``: it wanted nothing)
    received: list[_Received | None]

    @cached_property
    def firm_amounts(self) -> dict[UUID, int]:
        """Firm units by offer: made when first read, as ``firm_flows``; the passes
        themselves read ``amounts``, by position."""
        return dict(zip(self.offer_ids, self.amounts, strict=True))

    @cached_property
    def firm_flows(self) -> Pairs:
        """Firm units per (offer position, line index): gathered from the classes when
        first read, since only a plan's last pass is costed and most replays are not."""
        flows: Pairs = {}
        for received in self.received:
            if received is not None:
                for coop_flows in received.flows.values():
                    flows.update(coop_flows)
        return flows

    @cached_property
    def firm_carriage_milli_ore(self) -> int:
        """The carriage of the firm units, each class's."""
        return sum(received.carriage_milli_ore for received in self.received if received)

    def reach(self, price_classes: list[PriceClass], position: int) -> int:
        """The narrowest prefix among the lines the offer at ``position`` serves firm
        units, 0 if none: the first class, narrowest first, that took units from it
        (all of a class's lines have its prefix), rather than a walk over every
        (offer, line) pair of the pass."""
        for price_class, received in zip(price_classes, self.received, strict=True):
            if received is not None and position in received.positions:
                return price_class.k
        return 0


class Demand:
    """A group's targets for any caps (``NestedDemand`` keeps what depends on the
    demand alone)."""

    def __init__(self, group: GroupIndex) -> None:
        self.group = group
        self.nested = NestedDemand(group.firm_demand)
        self._room: tuple[dict[int, int], list[int], list[int]] | None = None

    def targets(self, caps: list[int]) -> tuple[dict[int, int], set[int]]:
        """Firm units per line index, and the lines short of supply."""
        supply_by_prefix = [0]
        for units in caps:
            supply_by_prefix.append(supply_by_prefix[-1] + units)
        return self.nested.shares(supply_by_prefix)

    def tolerance_room(self, targets: dict[int, int]) -> tuple[list[int], list[int]]:
        """The tolerance each line may give to complete packs, by line index, and its
        sum by prefix, for these targets: only lines that get their firm quantity give
        any, and only to offers within their prefix. The lines with neither stay at
        zero, unread by a loop: this reads the group's tolerant lines only. A replay
        keeps its pass's targets (the same dict), so it is worked out once for them;
        the caller copies what it changes."""
        if self._room is None or self._room[0] is not targets:
            group = self.group
            room = [0] * len(group.lines)
            by_prefix = [0] * (len(group.offers) + 1)
            target = targets.get
            for index, k, firm, tolerance in group.tolerant:
                if target(index, 0) == firm:
                    room[index] = tolerance
                    by_prefix[k] += tolerance
            self._room = (targets, room, by_prefix)
        return self._room[1], self._room[2]


def plan_pass(demand: Demand, caps: dict[UUID, int], previous: Pass | None = None) -> Pass:
    """Steps 1 to 3 for ``caps``; with a ``previous`` pass, replayed from it."""
    group = demand.group
    cap_list = [caps[offer_id] for offer_id in group.offer_ids]
    targets, short = demand.targets(cap_list)
    if (
        previous is not None
        and REPLAY
        and (targets is previous.firm_targets or targets == previous.firm_targets)
    ):
        targets, wanted = previous.firm_targets, previous.wanted
    else:
        previous = None
        wanted = [sum(targets.get(i, 0) for i in c.members) for c in group.price_classes]
    amounts, taken = _amounts(group, wanted, cap_list, previous)
    received = _flows(group, targets, amounts, previous)
    return Pass(
        caps=caps,
        cap_list=cap_list,
        firm_targets=targets,
        short=short,
        offer_ids=group.offer_ids,
        amounts=amounts,
        wanted=wanted,
        taken=taken,
        received=received,
    )


def _delta(new: list[int], old: list[int]) -> dict[int, int]:
    return {position: a - b for position, (a, b) in enumerate(zip(new, old, strict=True)) if a != b}


def _moved(delta: dict[int, int], new: list[tuple[int, int]], old: list[tuple[int, int]]) -> None:
    """``delta`` after a redone class took ``new`` where the previous pass took ``old``."""
    for position, units in old:
        delta[position] = delta.get(position, 0) + units
    for position, units in new:
        delta[position] = delta.get(position, 0) - units
    for position in [p for p, units in delta.items() if not units]:
        del delta[position]


def _amounts(
    group: GroupIndex, wanted: list[int], caps: list[int], previous: Pass | None
) -> tuple[list[int], list[_Taken | None]]:
    """Firm units bought per offer position: each price class, cheapest first, takes
    the lowest landed cost it may use, so partly used packs gather on few offers."""
    ids, landed = group.offer_ids, group.landed
    left = list(caps)
    by_floor = list(landed.by_floor)
    delta = {} if previous is None else _delta(caps, previous.cap_list)
    taken: list[_Taken | None] = []
    for number, price_class in enumerate(group.price_classes):
        if previous is not None and not delta:
            # every class from here finds what it found before and takes the same,
            # so what is left at the end is what was left before
            taken.extend(previous.taken[number:])
            before_caps, before_amounts = previous.cap_list, previous.amounts
            left = [cap - units for cap, units in zip(before_caps, before_amounts, strict=True)]
            break
        want = wanted[number]
        if want == 0:
            taken.append(None)
            continue
        before = None if previous is None else previous.taken[number]
        if before is not None and not _looked_at(landed, price_class, ids, before, delta):
            for position, units in before.takes:
                left[position] -= units
            taken.append(before)
            continue
        takes, last = [], None
        for position in landed.by_mean(price_class, left, by_floor, ids):
            take = min(want, left[position])
            takes.append((position, take))
            left[position] -= take
            want -= take
            if want == 0:
                last = position
                break
        taken.append(_Taken(takes, last))
        if previous is not None:
            _moved(delta, takes, before.takes if before else [])
    return [cap - rest for cap, rest in zip(caps, left, strict=True)], taken


def _looked_at(
    landed: LandedCosts,
    price_class: PriceClass,
    ids: list[UUID],
    before: _Taken,
    delta: dict[int, int],
) -> bool:
    """Did the class, in the previous pass, look at an offer whose units left differ?
    It looked at the offers it may use up to its last, in (mean, id) order. For an
    offer with fewer left, only if the class took from it: the class took all it found
    of each offer before its last, and an offer with fewer left had some (one it looked
    at and took none of was used up, and it can't be below that now)."""
    last = before.last
    for position, units in delta.items():
        if position >= price_class.k:
            continue
        if units < 0:
            if position in before.positions:
                return True
            continue
        if last is None:
            return True
        mean = landed.means(price_class).item
        if (mean(position), ids[position]) <= (mean(last), ids[last]):
            return True
    return False


def _flows(
    group: GroupIndex, targets: dict[int, int], amounts: list[int], previous: Pass | None
) -> list[_Received | None]:
    """What each price class received, its firm units per (offer, line): price
    classes narrowest first; within a class the cheapest landed (offer, co-op) pairs
    first, whichever co-op they belong to.

    Landed cost depends on the co-op, not the line, so the pairs are per co-op (far
    fewer than per line) and a co-op's units are then split among its lines.
    """
    left = list(amounts)
    walks = Walks(group.landed, left)
    delta = {} if previous is None else _delta(amounts, previous.amounts)
    received_by_class: list[_Received | None] = []
    for number, price_class in enumerate(group.price_classes):
        if previous is not None and not delta:
            # every class from here finds what it found before: it takes the same
            received_by_class.extend(previous.received[number:])
            break
        before = None if previous is None else previous.received[number]
        if previous is None:
            received = _class_flows(group, price_class, targets, walks)
        elif before is None:  # the same targets: it wants nothing now either
            received = None
        elif _walked_past(group, price_class.k, before, delta):
            received, moved = _replayed(group, price_class.k, targets, before, delta, left)
            # the replay kept the difference at the offers the class may use
            delta = {p: units for p, units in delta.items() if p >= price_class.k}
            delta.update((p, units) for p, units in moved.items() if units)
        else:
            for position, units in before.by_offer:
                left[position] -= units
            received = before
        received_by_class.append(received)
    return received_by_class


def _walked_past(group: GroupIndex, k: int, before: _Received, delta: dict[int, int]) -> bool:
    """Did one of the class's co-ops, in the previous pass, walk past an offer whose
    units left differ? For an offer with fewer left, only if the class took from it
    (as ``_looked_at`` says of step 2: it had units at the class's start, so a co-op that
    walked to it either took from it or found it used up by the class)."""
    for position, units in delta.items():
        if position >= k:
            continue
        if units < 0:
            if position in before.positions:
                return True
            continue
        ranks = group.landed.ranks_of(position)
        for coop, stop in before.stops.items():
            if ranks[coop] <= stop:
                return True
    return False


def _class_flows(
    group: GroupIndex, price_class: PriceClass, targets: dict[int, int], walks: Walks
) -> _Received | None:
    line_coop = group.line_coop
    wanted: dict[int, int] = defaultdict(int)  # co-op index → units
    members: dict[int, list[int]] = defaultdict(list)
    for index in price_class.members:
        wanted[line_coop[index]] += targets.get(index, 0)
        members[line_coop[index]].append(index)
    wanted = {coop: units for coop, units in wanted.items() if units}
    if not wanted:
        return None
    events, stops = _receive(price_class.k, dict(wanted), walks)
    flows = _to_lines(events, wanted, members, targets)
    price = group.unit_price_milli_ore
    return _Received(
        wanted, members, events, stops, flows, _positions(events), _carriage(events, price)
    )


def _positions(events: list[Event]) -> frozenset[int]:
    return frozenset([position for _, position, _, _ in events])


def _carriage(events: list[Event], price: list[int]) -> int:
    """A take's lines share its units, so the carriage of theirs is the take's."""
    return sum(units * (cost - price[position]) for cost, position, _, units in events)


def _to_lines(
    events: list[Event],
    coops: Iterable[int],
    members: dict[int, list[int]],
    targets: dict[int, int],
) -> dict[int, Pairs]:
    """Each co-op's lines, by index, take what it received, in the order received."""
    batches: dict[int, list[list[int]]] = {coop: [] for coop in coops}
    for _, position, coop, units in events:
        if coop in batches:
            batches[coop].append([position, units])
    by_coop: dict[int, Pairs] = {}
    for coop, received in batches.items():
        flows: Pairs = {}
        by_coop[coop] = flows
        at = 0
        for index in members[coop]:
            need = targets.get(index, 0)
            while need and at < len(received):
                position, units = received[at]
                take = min(need, units)
                key = (position, index)
                flows[key] = flows.get(key, 0) + take
                received[at][1] = units - take
                need -= take
                if take == units:
                    at += 1
    return by_coop


def _receive(k: int, wanted: dict[int, int], walks: Walks) -> tuple[list[Event], dict[int, int]]:
    """Every (offer, co-op) take: the pairs of the first ``k`` offers by (landed cost,
    offer position, co-op), each taking what it can; and how far each co-op's walk
    looked.

    A merge of each co-op's offers in landed order: the same sequence as sorting every
    pair, but it stops looking at a co-op once it has what it wants.
    """
    left = walks.left
    end = len(left)  # past every index: a walk that found nothing looked at all
    upcoming = []  # (landed cost, position, co-op, index in its order)
    stops: dict[int, int] = {}
    for coop, units in wanted.items():
        if units:
            entry = walks.next_usable(coop, 0, k)
            stops[coop] = end if entry is None else entry[3]
            if entry is not None:
                upcoming.append(entry)
    heapify(upcoming)
    events: list[Event] = []
    remaining = sum(wanted.values())
    next_usable = walks.next_usable
    while upcoming:
        cost, position, coop, index = upcoming[0]
        take = min(wanted[coop], left[position])
        if take:
            events.append((cost, position, coop, take))
            left[position] -= take
            wanted[coop] -= take
            remaining -= take
            if remaining == 0:
                break
        if wanted[coop]:  # so this offer is used up: the walk goes on past it
            entry = next_usable(coop, index, k)
            if entry is not None:
                stops[coop] = entry[3]
                heapreplace(upcoming, entry)  # the pair taken, and the co-op's next
                continue
            stops[coop] = end
        heappop(upcoming)
    return events, stops


def _replayed(
    group: GroupIndex,
    k: int,
    targets: dict[int, int],
    before: _Received,
    delta: dict[int, int],
    left: list[int],
) -> tuple[_Received, dict[int, int]]:
    """``_receive`` of a class again, from what it did in the previous pass, and
    ``delta`` after it at the offers the class may use (some of them zero).

    ``_receive`` is a greedy over the (offer, co-op) pairs in (landed cost, position,
    co-op) order, each pair taking the least of what its co-op still wants and its
    offer has left. A pair can take what it did not before only where its offer has
    more left than before (a cursor over the offer's co-ops, in that order) or its
    co-op wants more than before (a cursor over the co-op's offers); every other pair
    takes what it took, which is nothing unless it is one of ``before.events``. So the
    replay merges those events with the cursors' pairs, and takes for each pair
    ``min(wanted, left)``: the same takes, in the same order, as ``_receive``.
    """
    replay = _Replay(group.landed, k, before, delta, left)
    old = before.events
    at = replay.unchanged_prefix(old)
    last = old[at - 1][:3] if at else None
    cursors = replay.cursors
    while at < len(old) or cursors:
        if cursors and (at == len(old) or cursors[0][:3] < old[at][:3]):
            cost, position, coop = replay.next_from_cursor()
            if (cost, position, coop) == last:  # one of ``old``, or on both cursors
                continue
            took = 0
        else:
            cost, position, coop, took = old[at]
            at += 1
        last = (cost, position, coop)
        replay.take(last, took)
    if not replay.changed:
        return before, replay.more_left
    stops = dict(before.stops)
    for coop in replay.changed:
        stops[coop] = len(left)
    for _, position, coop, _ in replay.events:  # a co-op that got all it wants stopped there
        if coop in replay.changed and not replay.wanted[coop]:
            stops[coop] = group.landed.ranks_of(position)[coop]
    flows = dict(before.flows)
    flows.update(_to_lines(replay.events, replay.changed, before.members, targets))
    received = _Received(
        before.wanted,
        before.members,
        replay.events,
        stops,
        flows,
        _positions(replay.events),
        _carriage(replay.events, group.unit_price_milli_ore),
    )
    return received, replay.more_left


Cursor = tuple[int, int, int, int, int, Sequence[int]]
# (landed cost, position, co-op, kind: 0 an offer's co-ops, 1 a co-op's offers,
#  index in the list, the list)


class _Replay:
    """The state of ``_replayed``: what each co-op still wants and each offer has
    left, now, and by how much more than in the previous pass at the same pair."""

    def __init__(
        self,
        landed: LandedCosts,
        k: int,
        before: _Received,
        delta: dict[int, int],
        left: list[int],
    ) -> None:
        self.landed, self.k, self.left = landed, k, left
        self.wanted = dict(before.wanted)
        self.more_left = {position: units for position, units in delta.items() if position < k}
        self.more_wanted: dict[int, int] = {}
        self.cursors: list[Cursor] = []
        self.open_offers: set[int] = set()
        self.open_coops: set[int] = set()
        self.events: list[Event] = []
        self.changed: set[int] = set()  # co-ops whose takes differ
        for position, units in list(self.more_left.items()):
            if units > 0:
                self.open_offer(position, None)

    def unchanged_prefix(self, old: list[Event]) -> int:
        """Takes the previous pass's events up to the first that may differ, and says
        how many: those before the first cursor's pair (no offer has more left there
        and no co-op wants more) whose offer has no fewer units left than before.
        Each takes what it took, as ``take`` would find, without a call per event."""
        end = bisect_left(old, self.cursors[0][:3]) if self.cursors else len(old)
        fewer = {position for position, units in self.more_left.items() if units < 0}
        left, wanted = self.left, self.wanted
        for at in range(end):
            _, position, coop, took = old[at]
            if position in fewer:
                end = at
                break
            left[position] -= took
            wanted[coop] -= took
        self.events.extend(old[:end])
        return end

    def take(self, pair: tuple[int, int, int], took: int) -> None:
        """The pair's take now, where it took ``took`` before."""
        cost, position, coop = pair
        take = min(self.wanted.get(coop, 0), self.left[position])
        if take:
            self.events.append((cost, position, coop, take))
            self.left[position] -= take
            self.wanted[coop] -= take
        if take == took:
            return
        self.changed.add(coop)
        more_left = self.more_left[position] = self.more_left.get(position, 0) + took - take
        more_wanted = self.more_wanted[coop] = self.more_wanted.get(coop, 0) + took - take
        if more_left > 0 and position not in self.open_offers:
            self.open_offer(position, pair)
        if more_wanted > 0 and coop not in self.open_coops:
            self.open_coop(coop, pair)

    def next_from_cursor(self) -> tuple[int, int, int]:
        """The first cursor's pair; the cursor moves on while its offer still has more
        left (or its co-op wants more) than before, else it closes."""
        cost, position, coop, kind, index, items = heappop(self.cursors)
        if kind == 0:
            if self.more_left.get(position, 0) > 0 and index + 1 < len(items):
                row = self.landed.row(position)
                after = items[index + 1]
                heappush(self.cursors, (row[after], position, after, 0, index + 1, items))
            else:
                self.open_offers.discard(position)
        elif self.more_wanted.get(coop, 0) <= 0 or not self._push_offer(coop, index + 1, items):
            self.open_coops.discard(coop)
        return cost, position, coop

    def open_offer(self, position: int, after: tuple[int, int, int] | None) -> None:
        """A cursor over the offer's co-ops that want units, from past ``after``."""
        row = self.landed.row(position)
        coops = [coop for coop in self.landed.coops_by_cost(position) if coop in self.wanted]
        start = 0
        if after is not None:
            start = bisect_right(coops, after, key=lambda c: (row[c], position, c))
        if start < len(coops):
            self.open_offers.add(position)
            heappush(self.cursors, (row[coops[start]], position, coops[start], 0, start, coops))

    def open_coop(self, coop: int, after: tuple[int, int, int]) -> None:
        """A cursor over the co-op's offers the class may use, from past ``after``."""
        order, column = self.landed.order_for(coop), self.landed.column(coop)
        start = bisect_right(order, after, key=lambda p: (column[p], p, coop))
        if self._push_offer(coop, start, order):
            self.open_coops.add(coop)

    def _push_offer(self, coop: int, start: int, order: Sequence[int]) -> bool:
        column = self.landed.column(coop)
        for index in range(start, len(order)):
            position = order[index]
            if position < self.k:
                heappush(self.cursors, (column[position], position, coop, 1, index, order))
                return True
        return False
