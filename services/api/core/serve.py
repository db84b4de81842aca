"""Serving the app with uvicorn, plus the one deadline uvicorn lacks.

uvicorn closes idle keep-alive connections but gives a client unlimited time to send
its request headers, so a few thousand sockets that drip a header byte now and then
(slowloris) are held for ever. ``HeaderDeadlineProtocol`` is uvicorn's own httptools
protocol with a deadline from the moment a request may begin until its headers are
complete; the body has its deadline in the app (``services/api/core/body.py``). We keep
uvicorn (Granian and Hypercorn have such timeouts, but would change how the API is
run, its workers and its proxy handling, for this alone). In production a reverse
proxy in front does the same for every client (README: "Behind a reverse proxy").

Proxy headers: uvicorn trusts ``X-Forwarded-For`` from loopback by default; here it is
trusted from the proxies ``SAMLAST_TRUSTED_PROXIES`` names and from nobody else.
"""

from __future__ import annotations

import asyncio
import functools

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from shared.settings import Settings, load_settings


@functools.cache
def _header_timeout_s() -> float:
    """Read in each server process (uvicorn's workers are spawned, not forked)."""
    return load_settings().api.request_header_timeout_s


class HeaderDeadlineProtocol(HttpToolsProtocol):
    _header_deadline: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._arm()

    def on_headers_complete(self) -> None:
        self._disarm()
        super().on_headers_complete()

    def _arm(self) -> None:
        if self._header_deadline is None:
            self._header_deadline = self.loop.call_later(_header_timeout_s(), self._too_slow)

    def _disarm(self) -> None:
        if self._header_deadline is not None:
            self._header_deadline.cancel()
            self._header_deadline = None

    def _too_slow(self) -> None:
        self._header_deadline = None
        if not self.transport.is_closing():
            self.transport.close()


def serve(settings: Settings, *, host: str, port: int, workers: int) -> None:
    import uvicorn

    proxies = [entry.strip() for entry in settings.api.trusted_proxies.split(",") if entry.strip()]
    uvicorn.run(
        "services.api.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        http=HeaderDeadlineProtocol,
        log_level=settings.log_level.lower(),
        access_log=settings.log_level == "DEBUG",
        proxy_headers=bool(proxies),
        forwarded_allow_ips=proxies or None,
        server_header=False,  # callers need not learn what serves them
    )
