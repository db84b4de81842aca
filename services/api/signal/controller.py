from __future__ import annotations

from uuid import UUID

from litestar import Controller, get
from litestar.params import FromPath

from services.api.auth.guards import requires
from services.api.deps import CurrentActor, Signals
from services.api.signal.schemas import DemandSignal
from services.api.signal.service import READERS

SIGNAL_READERS = requires(*READERS)


class SignalController(Controller):
    path = "/v1"
    tags = ["demand signal"]

    @get(
        "/networks/{network_id:uuid}/demand-signal",
        guards=[SIGNAL_READERS],
        summary="The network's demand per product, as its producers may see it",
        description=(
            "For the cycle open for demand now: per product, the firm units ordered, by how "
            "many co-ops, and how much of it the offers valid on its delivery day cover. For "
            "the last published cycle: per product, what was ordered and what was not "
            "filled, per reason. A product's figures appear only when at least "
            "`minimum_coops` co-ops ordered it (else `disclosed` is false and they are "
            "null), and no figure shown, nor any difference of them, adds up fewer co-ops' "
            "orders. Producers and coordinators of the network; co-ops are refused (a co-op "
            "knowing its own order could take it from a sum)."
        ),
    )
    async def signal(
        self, network_id: FromPath[UUID], actor: CurrentActor, signals: Signals
    ) -> DemandSignal:
        return await signals.signal(actor, network_id)
