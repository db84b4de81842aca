"""Which of the demand signal's sums may be shown: none that tells a single co-op's order.

A figure is shown only when it adds up the orders of at least ``MINIMUM_COOPS`` co-ops,
and no difference of shown figures adds up those of one or two: a product ordered by five
co-ops whose shortfall "price above the limits" covers four of them, all four getting
nothing, would tell the fifth co-op's order as the total less that shortfall, so that
shortfall is not shown. Zero co-ops is no one's order: a product nobody ordered shows its
offers. Pure: sums in, what to show out (``tests/unit/web/test_signal_disclosure.py``
checks it against every signed combination of the figures it shows).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import NamedTuple

MINIMUM_COOPS = 3


class ReasonSums(NamedTuple):
    """What a run left unfilled of a product for one reason."""

    reason: str
    coops: int
    coops_got_nothing: int  # of them, the co-ops that got none of their order
    units_short: int


def too_few(coops: int) -> bool:
    """One or two co-ops: their sum would tell one co-op's order to the other, or to
    anyone who knows there was one."""
    return 0 < coops < MINIMUM_COOPS


def shown_reasons(coops: int, reasons: Sequence[ReasonSums]) -> set[str]:
    """The reasons whose units short may be shown beside a product's firm units ordered by
    ``coops`` co-ops: each of at least the minimum of co-ops, and the firm units less any
    set of them adding up none or at least the minimum. The smallest are left out first."""
    if too_few(coops):
        return set()
    kept = sorted(
        (r for r in reasons if not too_few(r.coops) and r.coops > 0),
        key=lambda r: (r.units_short, r.coops, r.reason),
        reverse=True,
    )
    while kept and not _differences_safe(coops, kept):
        kept.pop()
    return {r.reason for r in kept}


def _differences_safe(coops: int, reasons: Sequence[ReasonSums]) -> bool:
    """Whether the firm units less the shortfalls of every subset of ``reasons`` adds up
    the orders of none or of at least the minimum of co-ops (a co-op that got part of its
    order still counts in it; one that got nothing drops out)."""
    for size in range(1, len(reasons) + 1):
        for subset in itertools.combinations(reasons, size):
            if too_few(coops - sum(r.coops_got_nothing for r in subset)):
                return False
    return True
