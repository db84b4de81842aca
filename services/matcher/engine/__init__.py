"""The matching engine: pure functions from a cycle's snapshot to a proposal.

No I/O, no clock, no randomness beyond an explicit seed: structs in, structs out.
Stage 1 is ``allocate`` (whole packs, fair splits); routing and cost shares follow.
"""

from services.matcher.engine.allocate import allocate
from services.matcher.engine.model import (
    Allocation,
    AllocationProblem,
    AllocationResult,
    DemandLine,
    Offer,
    Pin,
    PinError,
    Purchase,
    Shortfall,
    Summary,
    TransportEstimate,
)

__all__ = [
    "Allocation",
    "AllocationProblem",
    "AllocationResult",
    "DemandLine",
    "Offer",
    "Pin",
    "PinError",
    "Purchase",
    "Shortfall",
    "Summary",
    "TransportEstimate",
    "allocate",
]
