"""One settings object for every Samlast process, read from the environment.

Each field has an environment variable (see ``ENV_VARS``) and a default; the README's
configuration table lists the same. A value that does not parse fails at start-up
with a message naming the variable.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Annotated, Literal

import msgspec

from shared.security.sealing import parse_keys

LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR"]
Port = Annotated[int, msgspec.Meta(ge=1, le=65535)]


class SettingsError(ValueError):
    """A configuration value is missing or malformed."""


class Settings(msgspec.Struct, kw_only=True, frozen=True, forbid_unknown_fields=True):
    database_url: str = "postgresql://postgres@127.0.0.1:5432/samlast"
    redis_url: str = "redis://127.0.0.1:6379/0"
    api_host: str = "127.0.0.1"
    api_port: Port = 8000
    api_workers: Annotated[int, msgspec.Meta(ge=1, le=64)] = 1
    worker_concurrency: Annotated[int, msgspec.Meta(ge=1, le=256)] = 4
    queue_name: Annotated[str, msgspec.Meta(min_length=1, max_length=100)] = "samlast:queue"
    log_level: LogLevel = "INFO"
    db_pool_min: Annotated[int, msgspec.Meta(ge=0, le=100)] = 1
    db_pool_max: Annotated[int, msgspec.Meta(ge=1, le=200)] = 10
    connect_timeout_s: Annotated[float, msgspec.Meta(gt=0, le=120)] = 5.0
    # A request waits at most this long for a database connection, then answers 503.
    db_acquire_timeout_s: Annotated[float, msgspec.Meta(gt=0, le=120)] = 5.0
    # A client must send its request headers, and then its whole body, within these;
    # slower ones are cut off (408) before they hold anything.
    request_header_timeout_s: Annotated[float, msgspec.Meta(gt=0, le=600)] = 10.0
    request_body_timeout_s: Annotated[float, msgspec.Meta(gt=0, le=3600)] = 60.0
    # Reverse proxies whose X-Forwarded-For names the client (addresses or networks,
    # comma-separated). Unset: the connecting address is the client, whatever it sends.
    trusted_proxies: Annotated[str, msgspec.Meta(max_length=2000)] = ""
    # Requests per organisation per minute (an admin's per user; unauthenticated ones
    # per client address), shared by every API process through Redis.
    rate_limit_per_minute: Annotated[int, msgspec.Meta(ge=1, le=10**7)] = 1200
    # A match run with no sign of life this long is taken up by another worker; running
    # runs beat every third of it.
    run_lease_s: Annotated[float, msgspec.Meta(ge=1, le=3600)] = 60.0
    # A run started this many times without finishing (its worker killed or timed out
    # each time) is marked failed with the reason instead of being started again.
    run_max_attempts: Annotated[int, msgspec.Meta(ge=1, le=100)] = 5
    # Refused credentials per client address; beyond it, 429 instead of 401 (a
    # credential that verifies is let in all the same).
    auth_failures_per_minute: Annotated[int, msgspec.Meta(ge=1, le=10**7)] = 60
    # Distances: great-circle km times a road factor at an average speed, or an
    # OSRM-compatible /table service when its URL is set.
    road_factor: Annotated[float, msgspec.Meta(ge=1.0, le=3.0)] = 1.3
    average_speed_kmh: Annotated[float, msgspec.Meta(gt=0, le=130)] = 60.0
    osrm_url: str | None = None
    # Seconds the route search may take per plan; unset: 3 s plus 1 s per 20 shipments,
    # at most a minute.
    routing_seconds: Annotated[float, msgspec.Meta(gt=0, le=3600)] | None = None
    # Webhooks to loopback and private addresses are refused unless this is set (a
    # webhook URL must not let an organisation reach the deployment's own network).
    webhook_allow_private: bool = False
    # A failed webhook is tried again after this, then 6, 30, 180, 720 and 2160 times
    # it (10 s: 1 min, 5 min, 30 min, 2 h, 6 h), then marked failed.
    webhook_retry_base_s: Annotated[float, msgspec.Meta(gt=0, le=3600)] = 10.0
    # One webhook attempt, all of it (resolving, connecting, sending, the answer), ends
    # after this many seconds: a slow receiver holds a delivery slot no longer.
    webhook_timeout_s: Annotated[float, msgspec.Meta(gt=0, le=300)] = 10.0
    # Deliveries one matcher process sends at once, in slots of their own: receivers
    # never take the slots matching runs need (``worker_concurrency``).
    webhook_concurrency: Annotated[int, msgspec.Meta(ge=1, le=256)] = 8
    # Fernet keys, comma-separated, that seal webhook signing secrets at rest: the first
    # seals, all unseal (rotate: put a new key first, run `samlast rotate-secrets`, then
    # drop the old). Unset: webhooks cannot be set up. Never logged nor shown.
    secret_keys: str = ""
    # A map tile server for the run map's background, e.g.
    # https://tile.openstreetmap.org/{z}/{x}/{y}.png, and the credit its terms ask for.
    # Unset: the map is drawn from the coordinates alone and fetches nothing.
    map_tile_url: (
        Annotated[str, msgspec.Meta(max_length=500, pattern=r"^https?://.*\{z\}.*\{x\}.*\{y\}")]
        | None
    ) = None
    map_tile_attribution: Annotated[str, msgspec.Meta(max_length=200)] = ""

    def __post_init__(self) -> None:
        if self.secret_keys.strip():
            parse_keys(self.secret_keys)  # a malformed key stops start-up, naming the variable

    def __repr__(self) -> str:
        """Every field but the secret keys, which show as ``***`` when set."""
        shown = {name: getattr(self, name) for name in self.__struct_fields__}
        if self.secret_keys:
            shown["secret_keys"] = "***"  # noqa: S105 - the mask, not a secret
        return "Settings(" + ", ".join(f"{k}={v!r}" for k, v in shown.items()) + ")"


# Field name -> environment variable. DATABASE_URL and REDIS_URL keep their
# conventional names; everything else is prefixed.
ENV_VARS: Mapping[str, str] = {
    name: name.upper() if name in {"database_url", "redis_url"} else f"SAMLAST_{name.upper()}"
    for name in Settings.__struct_fields__
}


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Build settings from environment variables, falling back to the defaults."""
    env = os.environ if environ is None else environ
    raw = {name: env[var] for name, var in ENV_VARS.items() if env.get(var, "") != ""}
    try:
        return msgspec.convert(raw, Settings, strict=False)
    except msgspec.ValidationError as exc:
        raise SettingsError(_name_variable(str(exc))) from exc


def _name_variable(message: str) -> str:
    """Rewrite msgspec's ``at `$.field``` into the environment variable's name."""
    for name, var in ENV_VARS.items():
        path = f"`$.{name}`"
        if path in message:
            return message.replace(path, var)
    return message


def redact(url: str) -> str:
    """Hide a password in a server URL before it goes into a message or a log."""
    scheme, sep, rest = url.partition("://")
    credentials, at, host = rest.rpartition("@")
    if not at or ":" not in credentials:
        return url
    user = credentials.split(":", 1)[0]
    return f"{scheme}{sep}{user}:***@{host}"
