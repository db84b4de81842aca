"""Rule 4 made exact: the most firm demand a group's whole packs can fill, proven by a
MILP (HiGHS), and a way to buy and split the packs that fills it.

Lines that may use the same offers (a price class: the first ``k`` of the price
order) are interchangeable for how much can be filled, and the classes' offers nest
(a wider class may use every offer a narrower one may). So by Hall's theorem a split
of the offers' units among the classes exists exactly when every class, with all the
narrower ones, wants no more than the offers they may use hold. The MILP needs
variables per offer and per class only, never per pair:

    n_o  packs of offer o              integer, 0 ≤ n_o ≤ the packs the engine may buy
    e_o  tolerance units of offer o    integer, 0 ≤ e_o ≤ pack_o - 1 (rule 2), ≤ pack_o n_o
    F_c  firm units to class c         integer, 0 ≤ F_c ≤ its lines' firm quantities
    E_c  tolerance units to class c    integer, 0 ≤ E_c ≤ its lines' tolerances
    Σ_o (pack_o n_o - e_o) = Σ_c F_c,  Σ_o e_o = Σ_c E_c     (rule 1: all handed out)
    for each class c of prefix k:                               (rule 3, by Hall)
        Σ_{c' ≤ c} F_c' ≤ Σ_{o < k} (pack_o n_o - e_o),  Σ_{c' ≤ c} E_c' ≤ Σ_{o < k} e_o
    (as a chain of running remainders, so each offer is in one row)
    maximise Σ F                                                 (rule 4)

then, with Σ F held at that maximum, minimise the packs' price plus carriage at each
offer's mean landed cost to the co-ops that may use it, then the tolerance (rule 6).
A class that takes tolerance has every firm unit (else relabelling tolerance as firm
would fill more). ``to_lines`` splits each class's units among its lines pro rata to
their firm quantities and tolerances (rule 5, largest remainders).

HiGHS is deterministic and bounded here by work: a node limit per solve. It also has
a clock cap, a last resort on a group far larger than seen so far; a group whose
solve the cap (or the node limit) stopped is not proven, and the run says so.
"""

from __future__ import annotations

from dataclasses import dataclass

import highspy

from services.matcher.engine.allocation.group import GroupIndex
from services.matcher.engine.allocation.landed import Pairs
from services.matcher.engine.allocation.model import Unproven
from services.matcher.engine.common.fair import largest_remainder

NODE_LIMIT = 20_000  # branch-and-bound nodes per solve: work, the same on any machine
CLOCK_CAP_S = 20.0  # per solve; only a group far beyond any seen network reaches it
SIZE_LIMIT = 200_000  # variables; beyond it a group keeps the heuristic's fill, unproven


@dataclass(frozen=True)
class ExactSplit:
    """The packs and class flows of the fullest fill, and whether it is proven."""

    firm_fill: int
    packs: list[int]  # by offer position
    firm: dict[tuple[int, int], int]  # (offer position, class number) → units
    tolerance: dict[tuple[int, int], int]
    unproven: Unproven | None


def fullest(group: GroupIndex, known_fill: int) -> ExactSplit | None:
    """The most firm units the group's packs can fill, and the cheapest way to fill
    them; ``None`` when the solver proves no more than ``known_fill`` (the greedy
    plan's). When it can't settle the question, the split says why, and fills more
    than ``known_fill`` only if the solver found such a split."""
    model = _Model(group)
    if model.size > SIZE_LIMIT:
        return ExactSplit(known_fill, [], {}, {}, "size")
    best, unproven = model.maximise_fill()
    if best <= known_fill:
        return None if unproven is None else ExactSplit(known_fill, [], {}, {}, unproven)
    fullest = model.split(unproven)
    if not model.minimise_cost(best):  # no split found within the limits: keep the first
        return fullest
    return model.split(unproven)


class _Model:
    def __init__(self, group: GroupIndex) -> None:
        self.group = group
        classes = group.price_classes  # narrowest first
        firm, tolerance = group.firm_quantities, group.tolerances
        self.class_firm = [sum(map(firm.__getitem__, c.members)) for c in classes]
        self.class_tolerance = [sum(map(tolerance.__getitem__, c.members)) for c in classes]
        widest = classes[-1].k if classes else 0
        self.usable = group.offers[:widest]  # no line may use an offer beyond
        self.size = 2 * (len(self.usable) + len(classes))
        self.highs: highspy.Highs | None = None

    def _build(self) -> None:
        group, offers, classes = self.group, self.usable, self.group.price_classes
        h = highspy.Highs()  # type: ignore[no-untyped-call]
        h.silent()
        h.setOptionValue("mip_max_nodes", NODE_LIMIT)
        h.setOptionValue("time_limit", CLOCK_CAP_S)
        h.setOptionValue("mip_rel_gap", 0.0)
        h.setOptionValue("mip_abs_gap", 0.5)  # the fill is whole units
        self.n = [h.addIntegral(lb=0, ub=group.full_caps[o.id] // o.pack_units) for o in offers]
        self.e = [h.addIntegral(lb=0, ub=o.pack_units - 1) for o in offers]
        self.f_class = [h.addIntegral(lb=0, ub=q) for q in self.class_firm]
        self.e_class = [h.addIntegral(lb=0, ub=t) for t in self.class_tolerance]
        firm_units = [o.pack_units * n - e for o, n, e in zip(offers, self.n, self.e, strict=True)]
        for o, n, e in zip(offers, self.n, self.e, strict=True):
            if o.pack_units > 1:
                h.addConstr(e - o.pack_units * n <= 0)  # no tolerance without a pack
        # Hall's condition as a chain, so that each offer is in one row, not in every
        # wider class's: r_c, the units the classes up to c leave of the offers they
        # may use, is never negative, and the widest class leaves none
        firm_left = extra_left = None
        last = len(classes) - 1
        start = 0
        for number, price_class in enumerate(classes):
            block = range(start, price_class.k)
            start = price_class.k
            firm_row = h.qsum([firm_units[p] for p in block]) - self.f_class[number]
            extra_row = h.qsum([self.e[p] for p in block]) - self.e_class[number]
            if firm_left is not None and extra_left is not None:
                firm_row = firm_row + firm_left
                extra_row = extra_row + extra_left
            if number == last:
                h.addConstr(firm_row == 0)
                h.addConstr(extra_row == 0)
            else:
                firm_left, extra_left = h.addVariable(lb=0), h.addVariable(lb=0)
                h.addConstr(firm_row - firm_left == 0)
                h.addConstr(extra_row - extra_left == 0)
        self.highs = h
        self.total_firm = h.qsum(self.f_class)

    def maximise_fill(self) -> tuple[int, Unproven | None]:
        if not self.usable:
            return 0, None
        self._build()
        assert self.highs is not None
        self.highs.maximize(self.total_firm)
        unproven = self._unproven()
        found = round(self.highs.getObjectiveValue()) if self._has_solution() else 0
        return found, unproven

    def minimise_cost(self, fill: int) -> bool:
        """The cheapest packs that fill ``fill`` firm units; whether the solver found
        a split (not necessarily proven cheapest)."""
        group, h = self.group, self.highs
        assert h is not None
        h.addConstr(self.total_firm >= fill)
        carriage = _mean_carriage(group, len(self.usable))
        # landed cost first, in öre (HiGHS's tolerances suit that scale), then the
        # least tolerance (rule 6): a thousandth of an öre a unit, a tie-break
        h.minimize(
            h.qsum(
                [
                    (o.price_per_pack_ore + o.pack_units * carriage[p] / 1000) * self.n[p]
                    for p, o in enumerate(self.usable)
                ]
            )
            + h.qsum(self.e) / 1000
        )
        return self._has_solution()

    def split(self, unproven: Unproven | None) -> ExactSplit:
        """The solution's units per (offer, class): narrowest class first, each taking
        the offers it may use at its lowest mean landed cost; by Hall's condition
        every class gets its units."""
        h, group, landed = self.highs, self.group, self.group.landed
        assert h is not None
        packs = [round(h.val(v)) for v in self.n]
        spare = [round(h.val(v)) for v in self.e]
        firm_left = [
            o.pack_units * n - e for o, n, e in zip(self.usable, packs, spare, strict=True)
        ]
        wanted_firm = [round(h.val(v)) for v in self.f_class]
        wanted_extra = [round(h.val(v)) for v in self.e_class]
        firm: dict[tuple[int, int], int] = {}
        tolerance: dict[tuple[int, int], int] = {}
        for number, price_class in enumerate(group.price_classes):
            if not wanted_firm[number] and not wanted_extra[number]:
                continue
            # by mean landed cost over the class's firm units; a class whose pins left
            # it none (it takes tolerance only) by unit price, its offers' order
            order = (
                sorted(range(price_class.k), key=landed.means(price_class).item)
                if price_class.total
                else list(range(price_class.k))
            )
            _take(order, firm_left, wanted_firm[number], number, firm)
            _take(order, spare, wanted_extra[number], number, tolerance)
        # an unproven solution may give a class tolerance while it is short of firm
        # units: those units count as firm (it only fills more)
        for (position, number), units in sorted(tolerance.items()):
            moved = min(units, self.class_firm[number] - wanted_firm[number])
            if moved:
                firm[(position, number)] = firm.get((position, number), 0) + moved
                tolerance[(position, number)] -= moved
                wanted_firm[number] += moved
        return ExactSplit(
            firm_fill=sum(wanted_firm),
            packs=packs + [0] * (len(group.offers) - len(packs)),
            firm=firm,
            tolerance={pair: units for pair, units in tolerance.items() if units},
            unproven=unproven,
        )

    def _has_solution(self) -> bool:
        assert self.highs is not None
        return bool(self.highs.getInfo().primal_solution_status == 2)  # feasible

    def _unproven(self) -> Unproven | None:
        assert self.highs is not None
        status = self.highs.getModelStatus()
        if status == highspy.HighsModelStatus.kOptimal:
            return None
        if status == highspy.HighsModelStatus.kTimeLimit:
            return "clock"
        if status in (
            highspy.HighsModelStatus.kSolutionLimit,
            highspy.HighsModelStatus.kIterationLimit,
        ):
            return "node_limit"
        return "error"


def _take(
    order: list[int], left: list[int], wanted: int, number: int, into: dict[tuple[int, int], int]
) -> None:
    for position in order:
        if wanted == 0:
            return
        take = min(wanted, left[position])
        if take:
            into[(position, number)] = take
            left[position] -= take
            wanted -= take


def _mean_carriage(group: GroupIndex, usable: int) -> list[int]:
    """Per offer, the carriage (milli-öre a unit) to the co-ops whose lines may use
    it, averaged weighted by their firm units."""
    weights: dict[int, int] = {}
    means = [0] * usable
    classes = group.price_classes
    wider = len(classes)
    for position in range(usable - 1, -1, -1):  # classes of prefix above the position
        while wider > 0 and classes[wider - 1].k > position:
            wider -= 1
            for coop, weight in zip(classes[wider].coops, classes[wider].weights, strict=True):
                weights[coop] = weights.get(coop, 0) + weight
        row, price = group.landed.row(position), group.unit_price_milli_ore[position]
        total = sum(weights.values()) or 1
        means[position] = sum((row[c] - price) * w for c, w in weights.items()) // total
    return means


@dataclass(frozen=True)
class LineFlows:
    """An exact split, down to lines: what ``packing`` keeps as a plan."""

    firm_targets: dict[int, int]  # by line index
    firm_flows: Pairs
    tolerance_flows: Pairs


def to_lines(group: GroupIndex, split: ExactSplit) -> LineFlows:
    """Each class's units split among its lines pro rata (rule 5), each line taking
    the offers nearest its co-op first."""
    targets: dict[int, int] = {}
    firm_flows: Pairs = {}
    tolerance_flows: Pairs = {}
    for number, price_class in enumerate(group.price_classes):
        members = price_class.members
        firm_from = {p: u for (p, c), u in split.firm.items() if c == number}
        extra_from = {p: u for (p, c), u in split.tolerance.items() if c == number}
        shares = largest_remainder(
            sum(firm_from.values()), [(i, group.firm_quantities[i]) for i in members]
        )
        extras = largest_remainder(
            sum(extra_from.values()), [(i, group.tolerances[i]) for i in members]
        )
        targets.update(shares)
        _hand_out(group, firm_from, shares, firm_flows)
        _hand_out(group, extra_from, extras, tolerance_flows)
    return LineFlows(targets, firm_flows, tolerance_flows)


def _hand_out(
    group: GroupIndex, supply: dict[int, int], wants: dict[int, int], into: Pairs
) -> None:
    """Give each line what it wants of the offers' units: cheapest landed (offer,
    line) pairs first, ties by offer position and line index."""
    left = dict(supply)
    need = {index: units for index, units in wants.items() if units}
    pairs = sorted(
        (group.landed.row(position)[group.line_coop[index]], position, index)
        for position in left
        for index in need
    )
    for _, position, index in pairs:
        take = min(left[position], need[index])
        if take:
            into[(position, index)] = into.get((position, index), 0) + take
            left[position] -= take
            need[index] -= take
