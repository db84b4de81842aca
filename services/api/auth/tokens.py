"""Opaque bearer tokens: ``sl_`` + 32 random base62 characters + a 6-character checksum.

The checksum (CRC32 of the random part) lets us refuse a mistyped or forged token
without touching the database, and lets secret scanners recognise ours. Only a
SHA-256 of the whole token is stored; the first 8 random characters are kept in
the clear as a display prefix (``sl_AbCd1234``) so people can tell tokens apart.
"""

from __future__ import annotations

import hashlib
import secrets
import string
import zlib
from typing import NamedTuple

TOKEN_PREFIX = "sl_"  # noqa: S105 - a public marker, not a secret
BODY_LENGTH = 32
CHECKSUM_LENGTH = 6
DISPLAY_LENGTH = len(TOKEN_PREFIX) + 8
TOKEN_LENGTH = len(TOKEN_PREFIX) + BODY_LENGTH + CHECKSUM_LENGTH
BASE62 = string.digits + string.ascii_letters


class NewToken(NamedTuple):
    token: str  # shown to its owner once, never stored
    display_prefix: str
    secret_hash: bytes


def new_token() -> NewToken:
    body = "".join(secrets.choice(BASE62) for _ in range(BODY_LENGTH))
    token = f"{TOKEN_PREFIX}{body}{_checksum(body)}"
    return NewToken(token, token[:DISPLAY_LENGTH], hash_token(token))


def is_well_formed(token: str) -> bool:
    """Shape and checksum only: no database needed to turn away garbage."""
    if len(token) != TOKEN_LENGTH or not token.startswith(TOKEN_PREFIX):
        return False
    body = token[len(TOKEN_PREFIX) : len(TOKEN_PREFIX) + BODY_LENGTH]
    checksum = token[len(TOKEN_PREFIX) + BODY_LENGTH :]
    if any(char not in BASE62 for char in body):
        return False
    return secrets.compare_digest(checksum, _checksum(body))


def hash_token(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


def _checksum(body: str) -> str:
    value = zlib.crc32(body.encode())
    digits = []
    for _ in range(CHECKSUM_LENGTH):
        value, remainder = divmod(value, 62)
        digits.append(BASE62[remainder])
    return "".join(reversed(digits))
