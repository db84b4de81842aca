"""Integer arithmetic the engine repeats: rounding up, and the way to a whole multiple.

Quantities and money are integers everywhere in the engine; these say in a word what
``-(-a // b)`` and ``-a % b`` say in symbols.
"""

from __future__ import annotations


def ceil_div(numerator: int, denominator: int) -> int:
    """``numerator / denominator`` rounded up; ``denominator`` is positive."""
    return -(-numerator // denominator)


def to_next_multiple(units: int, step: int) -> int:
    """How many more units make ``units`` a multiple of ``step`` (0 when it is one):
    what completes the last pack of ``step`` units."""
    return -units % step
