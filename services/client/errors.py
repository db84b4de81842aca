"""The one error the client raises: the API answered outside 2xx."""

from __future__ import annotations

from typing import Any

import msgspec


class ApiError(RuntimeError):
    """The API refused a request; ``problem`` holds its problem-details body (RFC 9457),
    or ``{}`` when the body was not JSON."""

    def __init__(self, method: str, path: str, status: int, body: bytes) -> None:
        self.method = method
        self.path = path
        self.status = status
        self.text = body.decode(errors="replace")
        self.problem = _problem(body)
        super().__init__(f"{method} {path} → {status}: {self.text}")


def _problem(body: bytes) -> dict[str, Any]:
    try:
        decoded = msgspec.json.decode(body)
    except msgspec.DecodeError:
        return {}
    return decoded if isinstance(decoded, dict) else {}
