"""Signed server-to-server requests: HTTP Message Signatures (RFC 9421) with Ed25519.

Every federation request covers its method, its whole target URI and its
``Content-Digest`` (RFC 9530, SHA-256 of the body, empty bodies included), and carries
``created``, ``expires``, a random ``nonce``, the signer's ``keyid``, ``alg="ed25519"``
and our application ``tag``. The signature base and the cryptography are the
``http-message-signatures`` library's; the policy (which components, how fresh, how long
a signature may live) is here. Pure: the clock comes in as ``now`` and the keys as bytes,
so the replay memory (a PostgreSQL table) and the key lookup stay with the caller.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import re
import secrets
from collections.abc import Iterable, Mapping
from typing import Any, Final, cast

import http_sf
import msgspec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
)
from http_message_signatures import (
    HTTPMessageSignaturesException,
    HTTPMessageSigner,
    HTTPMessageVerifier,
    MappingKeyResolver,
    algorithms,
)

ALGORITHM: Final = "ed25519"
TAG = "samlast-federation"
LABEL = "samlast"
COVERED = ("@method", "@target-uri", "content-digest")
MAX_LIFETIME_S = 300  # expires - created: bounds how long a nonce must be remembered
KEY_ID = re.compile(r"^[A-Za-z0-9._-]{1,100}$")
NONCE = re.compile(r"^[A-Za-z0-9_-]{16,200}$")


class SignatureRefusedError(ValueError):
    """The request is not signed as federation requires; the message says what is wrong."""


class Verified(msgspec.Struct, frozen=True, kw_only=True):
    key_id: str
    nonce: str
    created: int
    expires: int


class _Verifier(HTTPMessageVerifier):
    """The library's verifier, minus its own clock: ``verify_request`` checks ``created``
    and ``expires`` against the clock it is given, so the policy is testable."""

    def validate_created_and_expires(self, sig_input: Any, max_age: Any = None) -> None:
        return None


class _Message:
    """What the library reads of a request: method, URL and header field lines."""

    def __init__(self, method: str, url: str, headers: Any) -> None:
        self.method = method
        self.url = url
        self.headers = headers


class _FieldLines:
    """Read-only header fields kept as the (name, value) lines that arrived."""

    def __init__(self, lines: Iterable[tuple[str, str]]) -> None:
        self._lines = list(lines)

    def items(self) -> list[tuple[str, str]]:
        return self._lines

    def __iter__(self) -> Any:
        return iter(dict.fromkeys(name for name, _ in self._lines))

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and any(n.lower() == name.lower() for n, _ in self._lines)


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def from_b64url(text: str) -> bytes:
    """Bytes of unpadded (or padded) base64url; ValueError when it is not."""
    try:
        return base64.b64decode(text + "=" * (-len(text) % 4), altchars=b"-_", validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ValueError("not base64url") from exc


def new_key_pair() -> tuple[bytes, bytes]:
    """A fresh Ed25519 key pair as raw bytes: (private, public), 32 bytes each."""
    private = Ed25519PrivateKey.generate()
    return (
        private.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption()),
        private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw),
    )


def new_key_id(today: dt.date) -> str:
    return f"samlast-{today:%Y%m%d}-{secrets.token_hex(4)}"


def new_nonce() -> str:
    return secrets.token_urlsafe(24)


def public_jwk(key_id: str, public_key: bytes) -> dict[str, str]:
    """The public key as a JSON Web Key (RFC 8037): ``OKP`` / ``Ed25519``."""
    return {"kty": "OKP", "crv": "Ed25519", "kid": key_id, "alg": "EdDSA", "x": b64url(public_key)}


def sign_request(
    *,
    method: str,
    url: str,
    body: bytes,
    key_id: str,
    private_key: bytes,
    now: int,
    lifetime_s: int = 60,
    nonce: str | None = None,
) -> dict[str, str]:
    """The headers that sign this request: Content-Digest, Signature-Input, Signature."""
    if not 0 < lifetime_s <= MAX_LIFETIME_S:
        raise ValueError(f"a signature lives 1 to {MAX_LIFETIME_S} s")
    headers: dict[str, str] = {}
    signer = HTTPMessageSigner(
        signature_algorithm=algorithms.ED25519,
        key_resolver=MappingKeyResolver(
            public_keys={}, private_keys={key_id: Ed25519PrivateKey.from_private_bytes(private_key)}
        ),
    )
    signer.sign(
        _Message(method.upper(), url, headers),
        key_id=key_id,
        created=dt.datetime.fromtimestamp(now, dt.UTC),
        expires=dt.datetime.fromtimestamp(now + lifetime_s, dt.UTC),
        nonce=nonce or new_nonce(),
        label=LABEL,
        tag=TAG,
        covered_component_ids=COVERED[:2],
        body=body,
    )
    return headers


def signature_key_id(lines: Iterable[tuple[str, str]]) -> str:
    """The ``keyid`` a request's federation signature names (not yet verified)."""
    params = _our_signature(_FieldLines(lines))
    key_id = params.get("keyid")
    if not isinstance(key_id, str) or not KEY_ID.match(key_id):
        raise SignatureRefusedError("the signature names no valid keyid")
    return key_id


def verify_request(
    *,
    method: str,
    url: str,
    lines: Iterable[tuple[str, str]],
    body: bytes,
    public_key: bytes,
    now: int,
    window_s: int,
) -> Verified:
    """Check the federation signature of a request; SignatureRefusedError saying why not.

    ``created`` must lie within ``window_s`` of ``now``, ``expires`` not passed and at
    most ``MAX_LIFETIME_S`` after ``created``; the nonce must be present (its novelty is
    the caller's to check); the body must match the signed Content-Digest.
    """
    fields = _FieldLines(lines)
    params = _our_signature(fields)
    key_id, nonce = params.get("keyid"), params.get("nonce")
    created, expires = params.get("created"), params.get("expires")
    if not isinstance(key_id, str):
        raise SignatureRefusedError("the signature names no keyid")
    if params.get("alg") != ALGORITHM:
        raise SignatureRefusedError(f'the signature must say alg="{ALGORITHM}"')
    if not isinstance(nonce, str) or not NONCE.match(nonce):
        raise SignatureRefusedError("the signature needs a nonce of 16 to 200 url-safe characters")
    if type(created) is not int or type(expires) is not int:
        raise SignatureRefusedError("the signature needs integer created and expires")
    if abs(now - created) > window_s:
        raise SignatureRefusedError(f"the signature was not created within {window_s} s of now")
    if expires < now:
        raise SignatureRefusedError("the signature has expired")
    if not created < expires <= created + MAX_LIFETIME_S:
        raise SignatureRefusedError(f"a signature may live at most {MAX_LIFETIME_S} s")
    verifier = _Verifier(
        signature_algorithm=algorithms.ED25519,
        key_resolver=MappingKeyResolver(
            public_keys={key_id: Ed25519PublicKey.from_public_bytes(public_key)}, private_keys={}
        ),
    )
    try:
        verifier.verify(
            _Message(method.upper(), url, fields),
            max_age=None,
            expect_tag=TAG,
            require_components=COVERED,
            body=body,
        )
    except HTTPMessageSignaturesException as exc:
        reason = str(exc) or "it was not made over this request with this key"
        raise SignatureRefusedError(f"the signature does not verify: {reason}") from None
    return Verified(key_id=key_id, nonce=nonce, created=created, expires=expires)


def _our_signature(fields: _FieldLines) -> Mapping[str, Any]:
    """The parameters of the one signature tagged ours in ``Signature-Input``."""
    values = [value for name, value in fields.items() if name.lower() == "signature-input"]
    if not values:
        raise SignatureRefusedError("the request is not signed (no Signature-Input)")
    try:
        parsed = cast(
            dict[str, Any],
            http_sf.parse(", ".join(values).encode("latin-1"), tltype="dictionary"),
        )
    except (ValueError, UnicodeEncodeError):
        raise SignatureRefusedError("Signature-Input is not a structured dictionary") from None
    ours = [
        params
        for member, params in parsed.values()
        if isinstance(member, list) and isinstance(params, dict) and params.get("tag") == TAG
    ]
    if len(ours) != 1:
        raise SignatureRefusedError(f'the request needs exactly one signature with tag="{TAG}"')
    return ours[0]
