"""The matching engine: pure functions from a cycle's snapshot to a proposal.

No I/O, no clock, no randomness beyond an explicit seed: structs in, structs out.
Its folders are its stages: ``allocation`` (stage 1, ``allocate``: whole packs, fair
splits), then ``routing`` (joint runs, the each-producer-alone baseline, cost shares);
``common`` holds the integer helpers both use.
"""

from services.matcher.engine.allocation.allocate import allocate
from services.matcher.engine.allocation.model import (
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
