"""Sealing secrets the server must read again later (webhook signing secrets) at rest.

Fernet (AES-128-CBC with HMAC-SHA256, from ``cryptography``) under the keys in
``SAMLAST_SECRET_KEYS``: the first key seals, every key unseals, so a new key goes
first, ``samlast rotate-secrets`` re-seals everything under it, and the old key can
then be dropped. Pure: no I/O, and the keys never appear in a message or a repr.
"""

from __future__ import annotations

import base64
import binascii

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

KEYS_VARIABLE = "SAMLAST_SECRET_KEYS"


class SealingError(ValueError):
    """A sealed secret does not open with any configured key, or a key is malformed."""


def parse_keys(keys: str) -> list[bytes]:
    """The comma-separated Fernet keys, checked; the error says which one, never its text."""
    parsed = []
    for number, key in enumerate((part.strip() for part in keys.split(",")), start=1):
        try:
            raw = base64.b64decode(key.encode("ascii"), altchars=b"-_", validate=True)
        except (binascii.Error, UnicodeEncodeError, ValueError):
            raw = b""
        if len(raw) != 32:
            raise SealingError(
                f"{KEYS_VARIABLE}: key {number} is not a Fernet key (32 bytes in url-safe "
                "base64; make one with `samlast new-secret-key`)"
            )
        parsed.append(key.encode("ascii"))
    return parsed


def new_key() -> str:
    return Fernet.generate_key().decode("ascii")


class Sealer:
    """Seals with the newest key, unseals with any of them."""

    def __init__(self, keys: str) -> None:
        self._fernet = MultiFernet([Fernet(key) for key in parse_keys(keys)])

    def __repr__(self) -> str:
        return "Sealer(***)"

    def seal(self, secret: str) -> bytes:
        return self._fernet.encrypt(secret.encode("utf-8"))

    def unseal(self, sealed: bytes) -> str:
        try:
            return self._fernet.decrypt(sealed).decode("utf-8")
        except InvalidToken as exc:
            raise SealingError(f"a sealed secret opens with none of {KEYS_VARIABLE}") from exc

    def reseal(self, sealed: bytes) -> bytes:
        """The same secret sealed under the newest key (MultiFernet.rotate)."""
        try:
            return self._fernet.rotate(sealed)
        except InvalidToken as exc:
            raise SealingError(f"a sealed secret opens with none of {KEYS_VARIABLE}") from exc


def sealer_of(keys: str) -> Sealer | None:
    """The sealer for the configured keys; None when none are configured."""
    return Sealer(keys) if keys.strip() else None
