"""Fair integer splits: largest remainder, and pro-rata shares under nested supply."""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import TypeVar

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
    by_prefix: dict[int, list[tuple[K, int]]] = {}
    for line, k, quantity in demand:
        by_prefix.setdefault(k, []).append((line, quantity))
    prefixes = sorted(by_prefix)
    wanted_at = {k: sum(q for _, q in by_prefix[k]) for k in prefixes}
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
