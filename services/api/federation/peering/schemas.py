from __future__ import annotations

import datetime as dt
import ipaddress
from typing import Annotated, Literal
from urllib.parse import urlsplit
from uuid import UUID

import msgspec

from services.api.core.types import Input, Latitude, Longitude, Name
from shared.errors import rule
from shared.security.http_signatures import KEY_ID, from_b64url

KeyId = Annotated[
    str,
    msgspec.Meta(
        pattern=KEY_ID.pattern,
        description="the key id the peer's signatures name (`keyid`): letters, digits, . _ -",
    ),
]
PublicKey = Annotated[
    str,
    msgspec.Meta(
        min_length=43,
        max_length=44,
        description="the Ed25519 public key: 32 bytes in base64url (a JWK's `x`)",
    ),
]
MAX_PEER_KEYS = 4  # the key in use and the next one, with room for a slow rotation


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class PeerKeyIn(Input):
    key_id: KeyId
    public_key: PublicKey

    def __post_init__(self) -> None:
        try:
            raw = from_b64url(self.public_key)
        except ValueError:
            raw = b""
        if len(raw) != 32:
            raise ValueError("`public_key` must be an Ed25519 key: 32 bytes in base64url")


NOT_A_BASE_URL = rule("`base_url` is not a URL: {reason}")


class HandoverIn(Input):
    """Where this peer's producers' goods are handed over (a depot, a terminal): the
    mirrors of its offers are picked up there in place of each producer's own place."""

    address: Annotated[str, msgspec.Meta(min_length=1, max_length=500, pattern=r"\S")]
    lat: Latitude
    lon: Longitude


class HandoverOut(msgspec.Struct, kw_only=True):
    address: str
    lat: float
    lon: float


class PeerIn(Input):
    name: Name
    base_url: Annotated[
        str,
        msgspec.Meta(
            min_length=8,
            max_length=500,
            description="the peer's public address (its SAMLAST_PUBLIC_URL): https, or http "
            "to a loopback address for development",
        ),
    ]
    keys: Annotated[list[PeerKeyIn], msgspec.Meta(min_length=1, max_length=MAX_PEER_KEYS)]
    # the peering's hand-over point; none: each producer's own pickup place
    handover: HandoverIn | None = None

    def __post_init__(self) -> None:
        try:
            parts = urlsplit(self.base_url)
            parts.port  # noqa: B018 # raises on a port that is no number
        except ValueError as exc:
            raise ValueError(NOT_A_BASE_URL.format(reason=exc)) from exc
        if not parts.hostname or parts.scheme not in ("https", "http"):
            raise ValueError("`base_url` must be an https URL with a host")
        if parts.scheme == "http" and not is_loopback(parts.hostname):
            raise ValueError("`base_url` must be https (http only to a loopback address)")
        if parts.username or parts.password or parts.query or parts.fragment:
            raise ValueError("`base_url` must carry no credentials, query or fragment")
        self.base_url = self.base_url.rstrip("/")
        ids = [key.key_id for key in self.keys]
        if len(set(ids)) != len(ids):
            raise ValueError("`keys` names the same `key_id` twice")


class PeerKeyOut(msgspec.Struct, kw_only=True):
    key_id: str
    public_key: str  # base64url
    added_at: dt.datetime


class PeerOut(msgspec.Struct, kw_only=True):
    id: UUID
    name: str
    base_url: str
    keys: list[PeerKeyOut]
    handover: HandoverOut | None  # where its goods are picked up, if the peering names it
    created_at: dt.datetime
    updated_at: dt.datetime


class PeerChoiceOut(msgspec.Struct, kw_only=True):
    """A peer as a producer sees it: whether its offers are shared with it."""

    peer_id: UUID
    name: str
    base_url: str
    shared: bool


class JwkOut(msgspec.Struct, kw_only=True):
    kty: Literal["OKP"]
    crv: Literal["Ed25519"]
    kid: str
    alg: Literal["EdDSA"]
    x: str
    use: Literal["sig"] = "sig"


class KeySetOut(msgspec.Struct, kw_only=True):
    """A JSON Web Key Set (RFC 7517) of the keys our signatures may name; during a
    rotation, the old and the new."""

    algorithm: Literal["ed25519"]  # the RFC 9421 `alg` our signatures say
    keys: list[JwkOut]


class SharedProducerOut(msgspec.Struct, kw_only=True):
    id: UUID
    name: str


class HelloOut(msgspec.Struct, kw_only=True):
    """Who the signing peer is to us, and whose offers we share with it."""

    peer_id: UUID
    name: str
    base_url: str
    key_id: str  # the key that signed this request
    shared_producers: list[SharedProducerOut]


class PingIn(Input):
    message: Annotated[str, msgspec.Meta(max_length=500)]


class PingOut(msgspec.Struct, kw_only=True):
    peer_id: UUID
    message: str
