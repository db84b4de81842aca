"""Fetching a DFC catalog a member names by URL, so that it can't be turned against us.

As the geocoder (``places/geocoder.py``) and the webhooks' sender do: the host is
resolved once and every address it resolves to must be public (``shared.addresses``;
unless ``SAMLAST_DFC_ALLOW_PRIVATE`` is set), and the GET then goes to that checked
address (``Host`` and the TLS server name kept as the name), so a second lookup that
DNS rebinding would point at loopback never happens. Redirects are not followed,
proxies and netrc in the environment are ignored, the whole fetch has one deadline, at
most ``max_bytes`` are read, and what goes wrong is told in our words
(``CatalogFetchError``), never the server's body or an address.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from typing import Any

import httpx

from shared.addresses import is_public

MAX_FETCHES = 4  # per process
ACCEPT = 'application/ld+json; profile="dfc-v1", application/ld+json, application/json'


class CatalogFetchError(Exception):
    """The catalog could not be fetched; ``str()`` is safe to show the member, and
    ``message`` with ``values`` say it in the member's language."""

    def __init__(self, message: str, values: dict[str, object] | None = None) -> None:
        self.message = message
        self.values = dict(values or {})
        super().__init__(message.format(**self.values) if self.values else message)


MAX_READS = 2


class CatalogFetcher:
    """One per process: its slots bound the fetches it runs at once."""

    def __init__(
        self, *, timeout_s: float, max_bytes: int, allow_private: bool, user_agent: str
    ) -> None:
        self.timeout_s = timeout_s
        self.max_bytes = max_bytes
        self.allow_private = allow_private
        self.user_agent = user_agent
        self.slots = asyncio.Semaphore(MAX_FETCHES)
        self.reads = asyncio.Semaphore(MAX_READS)  # JSON-LD reads at once (CPU, in threads)

    async def fetch(self, url: str) -> bytes:
        target = httpx.URL(url)
        if target.scheme not in ("http", "https") or not target.raw_host:
            raise CatalogFetchError("the URL must be http:// or https:// with a host")
        try:
            async with asyncio.timeout(self.timeout_s), self.slots:
                address = await self._checked(target)
                return await self._get(target, address)
        except TimeoutError:
            raise CatalogFetchError(
                "the catalog did not arrive within {seconds} s",
                {"seconds": float(self.timeout_s)},
            ) from None

    async def _checked(self, target: httpx.URL) -> str:
        host = target.raw_host.decode("ascii")
        port = target.port or (443 if target.scheme == "https" else 80)
        try:
            infos = await asyncio.get_running_loop().getaddrinfo(
                host, port, type=socket.SOCK_STREAM
            )
        except OSError:
            raise CatalogFetchError("the catalog's host can't be resolved") from None
        addresses = [str(info[4][0]) for info in infos]
        if not addresses:
            raise CatalogFetchError("the catalog's host can't be resolved")
        if not self.allow_private and not all(
            is_public(ipaddress.ip_address(a.split("%", 1)[0])) for a in addresses
        ):
            raise CatalogFetchError("refused: the catalog's host is a private address")
        return addresses[0]

    async def _get(self, target: httpx.URL, address: str) -> bytes:
        extensions: dict[str, Any] = {"timeout": httpx.Timeout(self.timeout_s).as_dict()}
        if target.scheme == "https":
            extensions["sni_hostname"] = target.raw_host.decode("ascii")
        request = httpx.Request(
            "GET",
            target.copy_with(host=address),
            headers={
                "host": target.netloc.decode("ascii"),
                "accept": ACCEPT,
                "user-agent": self.user_agent,
                "accept-encoding": "identity",
            },
            extensions=extensions,
        )
        async with httpx.AsyncClient(
            follow_redirects=False,
            trust_env=False,
            limits=httpx.Limits(max_keepalive_connections=0),
        ) as client:
            try:
                response = await client.send(request, stream=True)
                try:
                    if response.status_code != 200:
                        raise CatalogFetchError(
                            "the catalog's server answered {status}, not 200",
                            {"status": str(response.status_code)},
                        )
                    body = bytearray()
                    async for chunk in response.aiter_raw():
                        body += chunk
                        if len(body) > self.max_bytes:
                            raise CatalogFetchError(
                                "the catalog is larger than {most} bytes",
                                {"most": self.max_bytes},
                            )
                    return bytes(body)
                finally:
                    await response.aclose()
            except httpx.TimeoutException:
                raise CatalogFetchError(
                    "the catalog did not arrive within {seconds} s",
                    {"seconds": float(self.timeout_s)},
                ) from None
            except httpx.HTTPError:
                raise CatalogFetchError("the catalog's server can't be reached") from None
