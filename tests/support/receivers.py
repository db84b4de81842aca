"""Real local HTTP(S) servers that receive webhooks, well or badly, and what they saw.

Each runs in its own thread, so a receiver that drips or floods its answer does so
against the real worker over a real socket. What a receiver observes (requests,
answers it could not finish because the sender hung up, bytes it got out) is what the
tests assert on.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import inspect
import socket
import ssl
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

DRIP_INTERVAL_S = 0.05
CHUNK = 64 * 1024


@dataclass
class Receiver:
    host: str
    port: int
    scheme: str = "http"
    received: list[tuple[dict[str, str], bytes]] = field(default_factory=list)
    answering: int = 0  # answers being written right now
    hung_up: int = 0  # answers the sender stopped reading before they were done
    bytes_sent: int = 0
    release: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def url(self, host: str | None = None, path: str = "/hooks/samlast") -> str:
        """This receiver's URL, optionally under another name (or IPv6 form) for its host."""
        shown = host or self.host
        if ":" in shown:
            shown = f"[{shown}]"
        return f"{self.scheme}://{shown}:{self.port}{path}"


Answer = Callable[[BaseHTTPRequestHandler, Receiver], None]


def no_content(handler: BaseHTTPRequestHandler, receiver: Receiver) -> None:
    handler.send_response(204)
    handler.end_headers()


def dripping(handler: BaseHTTPRequestHandler, receiver: Receiver) -> None:
    """A status line, then the headers a byte at a time until released; then 204."""
    handler.wfile.write(b"HTTP/1.1 204 No Content\r\nX-Drip: ")
    while not receiver.release.wait(DRIP_INTERVAL_S):
        handler.wfile.write(b"z")
    handler.wfile.write(b"\r\nContent-Length: 0\r\n\r\n")


def huge(status: int, reason: str, size: int, filler: bytes) -> Answer:
    """``status`` with the reason phrase ``reason`` and a body of ``size`` bytes of ``filler``."""

    def answer(handler: BaseHTTPRequestHandler, receiver: Receiver) -> None:
        head = f"HTTP/1.1 {status} {reason}\r\nContent-Type: text/plain\r\n"
        handler.wfile.write(f"{head}Content-Length: {size}\r\n\r\n".encode())
        chunk = (filler * (CHUNK // len(filler) + 1))[:CHUNK]
        left = size
        while left > 0:
            handler.wfile.write(chunk[:left])
            with receiver.lock:
                receiver.bytes_sent += min(left, CHUNK)
            left -= CHUNK

    return answer


@contextlib.contextmanager
def receiving(
    answer: Answer = no_content,
    host: str = "127.0.0.1",
    port: int = 0,
    tls: ssl.SSLContext | None = None,
) -> Iterator[Receiver]:
    """A receiver on ``host``:``port`` (0: a free one) answering every POST with ``answer``."""
    state: Receiver

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length", 0)))
            with state.lock:
                state.received.append((dict(self.headers.items()), body))
                state.answering += 1
            try:
                answer(self, state)
            except (BrokenPipeError, ConnectionResetError, ssl.SSLError):
                with state.lock:
                    state.hung_up += 1
            finally:
                with state.lock:
                    state.answering -= 1
            self.close_connection = True

        def log_message(self, *args: Any) -> None:
            pass

    class Server(ThreadingHTTPServer):
        def handle_error(self, request: Any, client_address: Any) -> None:
            pass  # a refused TLS handshake is a test's point, not noise

    server = Server((host, port), Handler)
    if tls is not None:
        server.socket = tls.wrap_socket(
            server.socket, server_side=True, do_handshake_on_connect=False
        )
    state = Receiver(host=host, port=server.server_port, scheme="https" if tls else "http")
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        state.release.set()
        server.shutdown()
        server.server_close()


def free_port_on(*hosts: str) -> int:
    """A port free on every one of ``hosts`` (two receivers on one port, two addresses)."""
    for _ in range(50):
        with socket.socket() as probe:
            probe.bind((hosts[0], 0))
            port = int(probe.getsockname()[1])
        try:
            for host in hosts:
                with socket.socket() as other:
                    other.bind((host, port))
        except OSError:
            continue
        return port
    raise RuntimeError(f"no port free on all of {hosts}")


def tls_for(name: str, folder: Path) -> tuple[ssl.SSLContext, ssl.SSLContext]:
    """A test CA and a certificate for ``name`` signed by it: (server context, client
    context that trusts only that CA)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = dt.datetime.now(dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Samlast test CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    pem = serialization.Encoding.PEM
    cert_file, key_file = folder / "cert.pem", folder / "key.pem"
    cert_file.write_bytes(cert.public_bytes(pem))
    key_file.write_bytes(
        key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server.load_cert_chain(cert_file, key_file)
    client = ssl.create_default_context(cadata=ca.public_bytes(pem).decode())
    return server, client


async def eventually(
    check: Callable[[], bool | Awaitable[bool]], what: str, timeout_s: float = 90.0
) -> None:
    """Wait until ``check`` holds; the bound only keeps a broken run from hanging."""
    deadline = time.monotonic() + timeout_s
    while True:
        result = check()
        if await result if inspect.isawaitable(result) else result:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what}")
        await asyncio.sleep(0.05)
