"""People's passwords: Argon2id through argon2-cffi, the reference implementation's binding.

Hashing is deliberately slow and memory-hard (64 MiB a hash with the library's
defaults), so it runs in a thread, never on the event loop, and at most ``PARALLEL`` at
once per process: a flood of sign-ins waits for a slot instead of taking the memory.
An unknown address is checked against a dummy hash, so the answer takes as long as for
a known one and does not say which addresses have accounts.
"""

from __future__ import annotations

import asyncio
import weakref

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

MIN_LENGTH = 10
MAX_LENGTH = 200
PARALLEL = 2

_hasher = PasswordHasher()  # Argon2id, RFC 9106's second recommended parameters
_slots: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore] = (
    weakref.WeakKeyDictionary()
)
_DUMMY = _hasher.hash("not anyone's password")


def check_strength(password: str) -> str | None:
    """What is wrong with a new password, or None."""
    if len(password) < MIN_LENGTH:
        return f"a password needs at least {MIN_LENGTH} characters"
    if len(password) > MAX_LENGTH:
        return f"a password has at most {MAX_LENGTH} characters"
    return None


def _slot() -> asyncio.Semaphore:
    """This event loop's hashing slots (a semaphore belongs to one loop)."""
    loop = asyncio.get_running_loop()
    if loop not in _slots:
        _slots[loop] = asyncio.Semaphore(PARALLEL)
    return _slots[loop]


async def hash_password(password: str) -> str:
    async with _slot():
        return await asyncio.to_thread(_hasher.hash, password)


async def verify_password(stored: str | None, password: str) -> bool:
    """Whether ``password`` matches ``stored`` (None: no password; checked all the same)."""
    async with _slot():
        return await asyncio.to_thread(_verify, stored or _DUMMY, password, stored is not None)


def _verify(stored: str, password: str, real: bool) -> bool:
    try:
        return _hasher.verify(stored, password[:MAX_LENGTH]) and real
    except (VerificationError, InvalidHashError):
        return False
