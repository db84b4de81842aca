"""Fair integer splits: largest remainder, and pro-rata shares under nested supply."""

from __future__ import annotations

from collections.abc import Hashable, Iterator, Sequence
from operator import le
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)


def largest_remainder(total: int, weights: Sequence[tuple[K, int]]) -> dict[K, int]:
    """Split ``total`` in proportion to the weights, in integers that add up exactly.

    Each key gets the floor of its exact share; the units left over go one each to
    the largest remainders, ties broken by the order of ``weights`` (callers sort it
    by a stable key, so the split is deterministic).
    """
    weight_sum = sum(weight for _, weight in weights)
    if weight_sum <= 0 or total <= 0:
        return {key: 0 for key, _ in weights}
    shares = {key: total * weight // weight_sum for key, weight in weights}
    left = total - sum(shares.values())
    by_remainder = sorted(range(len(weights)), key=lambda i: -(total * weights[i][1] % weight_sum))
    for index in by_remainder[:left]:
        shares[weights[index][0]] += 1
    return shares


def nested_pro_rata(
    supply_by_prefix: Sequence[int], demand: Sequence[tuple[K, int, int]]
) -> tuple[dict[K, int], set[K]]:
    """Firm units per line when line ``i`` may use only the first ``k_i`` supply pools.

    ``supply_by_prefix[k]`` is the supply usable by a line of prefix ``k`` (cumulative,
    non-decreasing); ``demand`` holds (line, prefix k, firm quantity), sorted by a
    stable key. The answer fills as much as the pools allow and, where they can't
    fill everyone, shares pro rata to firm quantities among the lines that compete
    for the same scarce pools (the bottleneck prefix first). It also names the lines
    that got less than their firm quantity.
    """
    return NestedDemand(demand).shares(supply_by_prefix)


class NestedDemand(Generic[K]):
    """``nested_pro_rata`` for one demand and many supplies: what depends on the
    demand alone is worked out once. When no prefix is short (every prefix reaches at
    least the demand of the lines limited to it and the narrower ones) each line's
    share is its firm quantity: ``shares`` then answers in time by prefixes, not by
    lines, and gives the same dict each time (callers must not change it)."""

    def __init__(self, demand: Sequence[tuple[K, int, int]]) -> None:
        self.by_prefix: dict[int, list[tuple[K, int]]] = {}
        for line, k, quantity in demand:
            self.by_prefix.setdefault(k, []).append((line, quantity))
        self.prefixes = sorted(self.by_prefix)
        self.wanted_at = {k: sum(q for _, q in self.by_prefix[k]) for k in self.prefixes}
        self.running: list[int] = []  # by prefix in ``prefixes``: wanted up to it
        for k in self.prefixes:
            self.running.append((self.running[-1] if self.running else 0) + self.wanted_at[k])
        self._all_firm: dict[K, int] | None = None

    def shares(self, supply_by_prefix: Sequence[int]) -> tuple[dict[K, int], set[K]]:
        if all(map(le, self.running, map(supply_by_prefix.__getitem__, self.prefixes))):
            # the scarcest prefix then has enough too: everyone gets the firm quantity
            if self._all_firm is None:
                self._all_firm = {item[0]: item[1] for items in self._in_order(0) for item in items}
            return self._all_firm, set()
        return self._shares(supply_by_prefix)

    def _in_order(self, start: int) -> Iterator[list[tuple[K, int]]]:
        return (self.by_prefix[k] for k in self.prefixes[start:])

    def _shares(self, supply_by_prefix: Sequence[int]) -> tuple[dict[K, int], set[K]]:
        by_prefix, prefixes, wanted_at = self.by_prefix, self.prefixes, self.wanted_at
        targets: dict[K, int] = {}
        short: set[K] = set()
        consumed = start = 0
        while start < len(prefixes):
            # the scarcest prefix: lowest supply per unit wanted (ties: the wider group)
            best, best_end, running = (0, 0), start, 0
            for end in range(start, len(prefixes)):
                running += wanted_at[prefixes[end]]
                supply = supply_by_prefix[prefixes[end]] - consumed
                if end == start or supply * best[1] <= best[0] * running:
                    best, best_end = (supply, running), end
            supply, wanted = best
            if supply >= wanted:  # even the scarcest prefix suffices: all get their firm units
                targets.update(item for k in prefixes[start:] for item in by_prefix[k])
                break
            members = [item for k in prefixes[start : best_end + 1] for item in by_prefix[k]]
            shares = largest_remainder(supply, members)
            targets.update(shares)
            short.update(line for line, q in members if shares[line] < q)
            consumed = supply_by_prefix[prefixes[best_end]]
            start = best_end + 1
        return targets, short
