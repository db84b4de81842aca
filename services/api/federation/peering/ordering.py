"""Our published run's orders to peers' producers (docs/federation.md, "Orders").

Publishing a run that buys mirrored offers writes, in the publishing transaction, one
``run_remote_order`` per remote producer and one outbox message per order
(``FEDERATION_ORDER``): the DFC ``Order`` with its ``OrderLine``s
(``engine/federation/orders.py``) and the lines naming the origin's offer ids and our
confirmed holds. The matcher sends it (claim, commit, send, record), never this
transaction; the order's id makes a resend idempotent at the peer.
"""

from __future__ import annotations

import datetime as dt
from uuid import UUID

from services.matcher.engine.federation.orders import Buyer, Purchase, SupplierOrder, orders
from shared.contracts.messages import MessageKind, OrderMessage
from shared.db import federation as federation_db
from shared.db import orders_federation as orders_db
from shared.db.pool import Conn
from shared.federation import jsonld


async def queue_peer_orders(conn: Conn, run_id: UUID, public_url: str) -> list[UUID]:
    """The run's orders to remote producers and their messages; the messages' ids."""
    heading = await federation_db.select_run_heading(conn, run_id)
    if heading is None:
        return []
    messages = []
    for order in await orders_db.insert_run_orders(conn, run_id):
        lines = await orders_db.select_run_order_lines(conn, run_id, order["producer_id"])
        if not lines:
            continue
        base = f"{public_url}/v1/runs/{run_id}/dfc/orders"
        document = orders(
            Buyer(iri=f"{public_url}/v1/networks/{heading['network_id']}", name=heading["network"]),
            [
                SupplierOrder(
                    producer_id=lines[0]["remote_producer_id"],
                    producer_iri=f"urn:uuid:{lines[0]['remote_producer_id']}",
                    producer_name=lines[0]["producer"],
                    purchases=[
                        Purchase(
                            offer_iri=f"urn:uuid:{line['remote_offer_id']}",
                            product=line["product"],
                            unit=line["unit"],
                            pack_units=line["pack_units"],
                            packs=line["packs"],
                            price_per_pack_ore=line["price_per_pack_ore"],
                        )
                        for line in lines
                    ],
                )
            ],
            base=base,
            ordered_on=dt.datetime.now(dt.UTC).date(),
            currency=heading["currency"],
            context=jsonld.CONTEXT_URL,
        )
        body = {
            "id": str(order["id"]),
            "network": heading["network"],
            "delivery_date": heading["delivery_date"].isoformat(),
            "lines": [
                {
                    "hold_id": str(line["hold_id"]),
                    "offer_id": str(line["remote_offer_id"]),
                    "packs": line["packs"],
                }
                for line in lines
            ],
            "order": document,
        }
        payload = OrderMessage(
            order_id=order["id"], run_id=run_id, peer_id=order["peer_id"], body=body
        )
        message_id = await orders_db.insert_order_message(
            conn,
            MessageKind.FEDERATION_ORDER,
            order["id"],
            run_id,
            {
                "order_id": str(payload.order_id),
                "run_id": str(run_id),
                "peer_id": str(payload.peer_id),
                "body": body,
            },
        )
        if message_id is not None:
            messages.append(message_id)
    return messages
