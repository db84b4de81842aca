"""One outbound HTTP POST that can't be turned against us.

The host is resolved once and every address it resolves to is checked; the request
then goes to the checked address itself (the URL's host swapped for it, ``Host`` and,
for https, the TLS server name kept as the name, so the certificate is verified for
the name). A second lookup by the HTTP client, which DNS rebinding would point at
loopback, never happens. The whole attempt has one deadline, at most
``MAX_ANSWER_BYTES`` of the answer are read, and what goes wrong is told in our own
words: never the receiver's body, its reason phrase, or an address.
"""

from __future__ import annotations

import asyncio
import contextlib
import http
import ipaddress
import socket
import ssl
from collections.abc import Mapping
from typing import Any

import httpx
import msgspec

from shared.addresses import is_public

MAX_ANSWER_BYTES = 4096
CLOSE_S = 1.0  # hanging up on a receiver waits for nothing it sends
PRIVATE = "refused: the host resolves to a private address"
UNRESOLVED = "refused: cannot resolve the host"


class Answer(msgspec.Struct, frozen=True, kw_only=True):
    """What one attempt came to: a status, or why there is none; ``refused`` if the
    URL may not be posted to at all (no point retrying)."""

    status: int | None = None
    error: str | None = None
    refused: bool = False


class RefusedError(Exception):
    """The URL's host may not be reached (not retried); the message is safe to store."""


def new_client(verify: ssl.SSLContext | bool = True) -> httpx.AsyncClient:
    """For outbound calls: no redirects, no proxies or netrc from the environment, and a
    fresh connection per call (a pooled one could carry another name's TLS session)."""
    return httpx.AsyncClient(
        verify=verify,
        follow_redirects=False,
        trust_env=False,
        limits=httpx.Limits(max_keepalive_connections=0),
    )


async def resolve(host: str, port: int) -> list[str]:
    """Every address ``host`` resolves to, in the resolver's order (tests replace it)."""
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


async def checked_address(host: str, port: int, *, allow_private: bool) -> str:
    """The one address to connect to: resolved once, every answer checked. A host that
    does not resolve is refused like a private one, as it always was."""
    try:
        addresses = await resolve(host, port)
    except OSError as exc:
        raise RefusedError(UNRESOLVED) from exc
    if not addresses:
        raise RefusedError(UNRESOLVED)
    if not allow_private and not all(is_public(ipaddress.ip_address(a)) for a in addresses):
        raise RefusedError(PRIVATE)
    return addresses[0]


async def post(
    client: httpx.AsyncClient,
    url: str,
    body: bytes,
    headers: Mapping[str, str],
    *,
    timeout_s: float,
    allow_private: bool,
) -> Answer:
    """POST ``body`` to ``url`` at the address checked for it, within ``timeout_s`` in all."""
    target = httpx.URL(url)
    deadline = asyncio.get_running_loop().time() + timeout_s
    try:
        async with asyncio.timeout_at(deadline):
            address = await checked_address(
                target.raw_host.decode("ascii"),
                target.port or _default_port(target),
                allow_private=allow_private,
            )
            response = await client.send(
                _pinned(target, address, body, headers, timeout_s), stream=True
            )
    except RefusedError as exc:
        return Answer(error=str(exc), refused=True)
    except TimeoutError:
        return Answer(error=f"no answer within {timeout_s:g} s")
    except httpx.HTTPError as exc:
        return Answer(error=_failure(exc, timeout_s))
    try:
        async with asyncio.timeout_at(deadline):
            await _read_some(response)
    except (TimeoutError, httpx.HTTPError):
        pass  # the status line is the answer; the rest of the body is not ours to wait for
    finally:
        with contextlib.suppress(TimeoutError, httpx.HTTPError):
            async with asyncio.timeout(CLOSE_S):
                await response.aclose()
    status = response.status_code
    return Answer(status=status, error=None if 200 <= status < 300 else _answered(status))


def _pinned(
    target: httpx.URL, address: str, body: bytes, headers: Mapping[str, str], timeout_s: float
) -> httpx.Request:
    extensions: dict[str, Any] = {"timeout": httpx.Timeout(timeout_s).as_dict()}
    if target.scheme == "https":
        extensions["sni_hostname"] = target.raw_host.decode("ascii")
    return httpx.Request(
        "POST",
        target.copy_with(host=address),
        content=body,
        headers={**headers, "host": target.netloc.decode("ascii"), "accept-encoding": "identity"},
        extensions=extensions,
    )


async def _read_some(response: httpx.Response) -> None:
    """Read at most ``MAX_ANSWER_BYTES`` of the answer, raw (no decompression), and drop it."""
    read = 0
    async for chunk in response.aiter_raw():
        read += len(chunk)
        if read >= MAX_ANSWER_BYTES:
            return


def _default_port(url: httpx.URL) -> int:
    return 443 if url.scheme == "https" else 80


def _answered(status: int) -> str:
    """The status and its standard phrase; the receiver's own reason phrase is its text."""
    try:
        return f"answered {status} ({http.HTTPStatus(status).phrase})"
    except ValueError:
        return f"answered {status}"


def _failure(exc: httpx.HTTPError, timeout_s: float) -> str:
    """Why there is no answer, in our words: httpx's messages name addresses."""
    if isinstance(exc, httpx.TimeoutException):
        return f"no answer within {timeout_s:g} s"
    if isinstance(exc, httpx.ConnectError):
        if _caused_by_tls(exc):
            return "could not connect: TLS failed (is the certificate valid for the host?)"
        return "could not connect"
    if isinstance(exc, httpx.ProtocolError):
        return "the answer was not valid HTTP"
    if isinstance(exc, httpx.NetworkError):
        return "the connection broke"
    return f"delivery failed ({type(exc).__name__})"


def _caused_by_tls(exc: BaseException) -> bool:
    cause: BaseException | None = exc
    while cause is not None:
        if isinstance(cause, ssl.SSLError):
            return True
        cause = cause.__cause__ or cause.__context__
    return False
