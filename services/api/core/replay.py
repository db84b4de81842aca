"""Holding a request's body so an inner layer can be handed it again.

The outermost layer (``body.py``) has already bounded the body; the layers behind it
(idempotency, the transient retry) read it whole with ``read_body`` and give the app
``replay_body``, which hands the body over once and then the client's own receive
(its disconnect, if any).
"""

from __future__ import annotations

from litestar.types import HTTPRequestEvent, Receive, ReceiveMessage


async def read_body(receive: Receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def replay_body(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replay() -> ReceiveMessage:
        nonlocal sent
        if sent:
            return await receive()
        sent = True
        event: HTTPRequestEvent = {"type": "http.request", "body": body, "more_body": False}
        return event

    return replay
