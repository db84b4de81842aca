"""The matching engine: pure functions from a cycle's snapshot to a proposal.

No I/O, no clock, no randomness beyond an explicit seed: structs in, structs out.
Its folders are its stages: ``allocation`` (stage 1, ``allocate``: whole packs, fair
splits), then ``routing`` (joint runs, the each-producer-alone baseline, cost shares);
``settlement`` turns a published run into money (invoices with VAT, credit notes,
netting, OCR references, SIE 4); ``common`` holds the integer helpers they use.
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
