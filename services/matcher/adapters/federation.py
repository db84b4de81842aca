"""Signed requests to peer deployments (RFC 9421, docs/federation-peering.md).

Each request is signed with this deployment's newest key over its method, full URL and
body digest, with a fresh nonce and a short life; peers verify it against the key they
were given. Like the other outbound calls (``outbound.py``): redirects are not
followed, nothing is taken from the environment, the whole call has one deadline, and at
most ``max_answer_bytes`` of the answer are read. Peers are set by the deployment's
admin, so their addresses are not screened as webhook receivers' are.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx
import msgspec

from shared.db.pool import Pool
from shared.security.federation_keys import SigningKey, signing_key
from shared.security.http_signatures import sign_request
from shared.security.sealing import sealer_of
from shared.settings import Settings

MAX_ANSWER_BYTES = 1024 * 1024
SIGNATURE_LIFETIME_S = 60


class PeerAnswer(msgspec.Struct, frozen=True, kw_only=True):
    """A peer's answer (status and body), or why there is none."""

    status: int | None = None
    body: bytes = b""
    error: str | None = None  # the English, filled in
    etag: str = ""  # the answer's ETag header, if any
    error_message: str = ""  # ``error``'s msgid, which ``error_values`` fill (for pages)
    error_values: dict[str, str] = msgspec.field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


def _failed(status: int | None, message: str, **values: str) -> PeerAnswer:
    return PeerAnswer(
        status=status,
        error=message.format(**values),
        error_message=message,
        error_values=values,
    )


class SignedClient:
    def __init__(
        self,
        client: httpx.AsyncClient,
        key: SigningKey,
        *,
        timeout_s: float,
        max_answer_bytes: int = MAX_ANSWER_BYTES,
    ) -> None:
        self.client = client
        self.key = key
        self.timeout_s = timeout_s
        self.max_answer_bytes = max_answer_bytes

    async def request(
        self,
        method: str,
        base_url: str,
        path: str,
        *,
        json: Any = None,
        headers: dict[str, str] | None = None,
    ) -> PeerAnswer:
        """Send one signed request to ``base_url`` + ``path`` (a JSON body if given)."""
        url = base_url.rstrip("/") + path
        body = b"" if json is None else msgspec.json.encode(json)
        signed = sign_request(
            method=method,
            url=url,
            body=body,
            key_id=self.key.key_id,
            private_key=self.key.private_key,
            now=int(time.time()),
            lifetime_s=SIGNATURE_LIFETIME_S,
        )
        if json is not None:
            signed["Content-Type"] = "application/json"
        request = httpx.Request(
            method.upper(), url, content=body, headers={**(headers or {}), **signed}
        )
        try:
            async with asyncio.timeout(self.timeout_s):
                response = await self.client.send(request, stream=True)
                try:
                    answer = await self._read(response)
                finally:
                    await response.aclose()
        except TimeoutError:
            return _failed(None, "no answer within {s} s", s=f"{self.timeout_s:g}")
        except httpx.HTTPError as exc:
            return _failed(None, "the request failed ({kind})", kind=type(exc).__name__)
        if answer is None:
            return _failed(
                response.status_code,
                "the answer is larger than {n} bytes",
                n=f"{self.max_answer_bytes:,}",
            )
        etag = response.headers.get("etag", "")[:200]
        return PeerAnswer(status=response.status_code, body=answer, etag=etag)

    async def _read(self, response: httpx.Response) -> bytes | None:
        chunks, size = [], 0
        async for chunk in response.aiter_bytes():
            size += len(chunk)
            if size > self.max_answer_bytes:
                return None
            chunks.append(chunk)
        return b"".join(chunks)


async def signed_client(
    pool: Pool,
    settings: Settings,
    client: httpx.AsyncClient,
    *,
    max_answer_bytes: int = MAX_ANSWER_BYTES,
) -> SignedClient | None:
    """A client signing with this deployment's newest key; None while it has none."""
    async with pool.acquire() as conn:
        key = await signing_key(conn, sealer_of(settings.secret_keys))
    if key is None:
        return None
    return SignedClient(
        client, key, timeout_s=settings.federation.timeout_s, max_answer_bytes=max_answer_bytes
    )
