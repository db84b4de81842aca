"""One settings object for every Samlast process, read from the environment.

Settings come in groups (``settings.db.url``, ``settings.mail.smtp_url``), one
frozen struct each, inside one frozen ``Settings``. Each field has an environment
variable (``ENV_VARS``, the README's configuration table lists the same) and a
default. A value that does not parse fails at start-up with a message naming the
variable.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Annotated, Any, Literal

import msgspec

from shared.security.sealing import parse_keys

LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR"]
Port = Annotated[int, msgspec.Meta(ge=1, le=65535)]
Seconds = Annotated[float, msgspec.Meta(gt=0, le=3600)]


class SettingsError(ValueError):
    """A configuration value is missing or malformed."""


class DatabaseSettings(msgspec.Struct, kw_only=True, frozen=True, forbid_unknown_fields=True):
    url: str = "postgresql://postgres@127.0.0.1:5432/samlast"
    pool_min: Annotated[int, msgspec.Meta(ge=0, le=100)] = 1
    pool_max: Annotated[int, msgspec.Meta(ge=1, le=200)] = 10
    # A request waits at most this long for a database connection, then answers 503.
    acquire_timeout_s: Annotated[float, msgspec.Meta(gt=0, le=120)] = 5.0


class RedisSettings(msgspec.Struct, kw_only=True, frozen=True, forbid_unknown_fields=True):
    url: str = "redis://127.0.0.1:6379/0"
    queue_name: Annotated[str, msgspec.Meta(min_length=1, max_length=100)] = "samlast:queue"


class ApiSettings(msgspec.Struct, kw_only=True, frozen=True, forbid_unknown_fields=True):
    host: str = "127.0.0.1"
    port: Port = 8000
    workers: Annotated[int, msgspec.Meta(ge=1, le=64)] = 1
    # A client must send its request headers, and then its whole body, within these;
    # slower ones are cut off (408) before they hold anything.
    request_header_timeout_s: Annotated[float, msgspec.Meta(gt=0, le=600)] = 10.0
    request_body_timeout_s: Seconds = 60.0
    # Reverse proxies whose X-Forwarded-For names the client (addresses or networks,
    # comma-separated). Unset: the connecting address is the client, whatever it sends.
    trusted_proxies: Annotated[str, msgspec.Meta(max_length=2000)] = ""
    # Requests per organisation per minute (an admin's per user; unauthenticated ones
    # per client address), shared by every API process through Redis.
    rate_limit_per_minute: Annotated[int, msgspec.Meta(ge=1, le=10**7)] = 1200
    # Refused credentials per client address; beyond it, 429 instead of 401 (a
    # credential that verifies is let in all the same).
    auth_failures_per_minute: Annotated[int, msgspec.Meta(ge=1, le=10**7)] = 60


class MatchingSettings(msgspec.Struct, kw_only=True, frozen=True, forbid_unknown_fields=True):
    worker_concurrency: Annotated[int, msgspec.Meta(ge=1, le=256)] = 4
    # A match run with no sign of life this long is taken up by another worker; running
    # runs beat every third of it.
    run_lease_s: Annotated[float, msgspec.Meta(ge=1, le=3600)] = 60.0
    # A run started this many times without finishing (its worker killed or timed out
    # each time) is marked failed with the reason instead of being started again.
    run_max_attempts: Annotated[int, msgspec.Meta(ge=1, le=100)] = 5
    # Distances: great-circle km times a road factor at an average speed, or an
    # OSRM-compatible /table service when its URL is set.
    road_factor: Annotated[float, msgspec.Meta(ge=1.0, le=3.0)] = 1.3
    average_speed_kmh: Annotated[float, msgspec.Meta(gt=0, le=130)] = 60.0
    osrm_url: str | None = None
    # Seconds a run's whole routing stage may take (all its plans); unset: 30 s plus 1 s
    # per 2 shipments, at most three minutes.
    routing_seconds: Seconds | None = None
    # Processes a run's routing may search in besides the worker's own (the plan via
    # the hub beside the joint plan, producers' baselines side by side); the plans are
    # the same whatever the number. Unset: one fewer than the cores the worker may use.
    routing_processes: Annotated[int, msgspec.Meta(ge=0, le=64)] | None = None


class WebhookSettings(msgspec.Struct, kw_only=True, frozen=True, forbid_unknown_fields=True):
    # Webhooks to loopback and private addresses are refused unless this is set (a
    # webhook URL must not let an organisation reach the deployment's own network).
    allow_private: bool = False
    # A failed webhook is tried again after this, then 6, 30, 180, 720 and 2160 times
    # it (10 s: 1 min, 5 min, 30 min, 2 h, 6 h), then marked failed.
    retry_base_s: Seconds = 10.0
    # One webhook attempt, all of it (resolving, connecting, sending, the answer), ends
    # after this many seconds: a slow receiver holds a delivery slot no longer.
    timeout_s: Annotated[float, msgspec.Meta(gt=0, le=300)] = 10.0
    # Deliveries one matcher process sends at once, in slots of their own: receivers
    # never take the slots matching runs need (``matching.worker_concurrency``).
    concurrency: Annotated[int, msgspec.Meta(ge=1, le=256)] = 8


class FederationSettings(msgspec.Struct, kw_only=True, frozen=True, forbid_unknown_fields=True):
    # A DFC catalog imported by URL (docs/federation.md) is fetched from a public address
    # only, unless this is set (a URL must not let a member reach the deployment's own
    # network); within the timeout, all of it; and at most this many bytes of it.
    allow_private: bool = False
    fetch_timeout_s: Annotated[float, msgspec.Meta(gt=0, le=120)] = 15.0
    max_catalog_bytes: Annotated[int, msgspec.Meta(ge=1024, le=50 * 1024 * 1024)] = 5 * 1024 * 1024
    # A peer's signed request is refused when its ``created`` lies further than this from
    # our clock, either way (docs/federation-peering.md); its nonce is remembered this
    # much longer than the signature lives.
    signature_window_s: Annotated[int, msgspec.Meta(ge=5, le=300)] = 60
    # One request to a peer, all of it (connecting, sending, the answer), ends after this.
    timeout_s: Annotated[float, msgspec.Meta(gt=0, le=120)] = 10.0
    # A run that buys a peer's offers asks the peer to hold the packs this long (until
    # approved and published: confirmed); a refused hold re-allocates the run without
    # that supply at most this many times, then leaves its lines unfilled
    # (docs/federation.md, "Holds").
    hold_ttl_s: Annotated[int, msgspec.Meta(ge=60, le=7 * 24 * 3600)] = 2 * 24 * 3600
    hold_retries: Annotated[int, msgspec.Meta(ge=0, le=10)] = 2
    # A hold its peer has not answered this long after the run asked (the peer down, its
    # address wrong) counts as refused for the whole peer: a proposed run is matched again
    # without that peer's offers, and says why, instead of waiting on the outbox's hours.
    hold_reach_s: Annotated[int, msgspec.Meta(ge=30, le=7 * 24 * 3600)] = 300
    # The worker reads each chosen peer's offer feed this often (docs/federation.md); a
    # peer whose last good read is older than ``stale_s``, or whose last read failed, is
    # unreachable: runs leave its offers out and say so.
    poll_s: Annotated[int, msgspec.Meta(ge=10, le=86400)] = 120
    stale_s: Annotated[int, msgspec.Meta(ge=30, le=7 * 86400)] = 900


class MailSettings(msgspec.Struct, kw_only=True, frozen=True, forbid_unknown_fields=True):
    # The SMTP server mail goes out through: ``smtp://user:pass@host:587?starttls=true``
    # (STARTTLS required; ``=false`` never; absent: used when the server offers it),
    # ``smtps://host:465`` (TLS from the first byte), ``smtp://127.0.0.1:2525`` (plain).
    # Unset: mail is not configured; messages stay pending, each attempt recording
    # "mail is not configured", and go out on a later attempt once it is (make demo and
    # make test start a local server and set it).
    smtp_url: (
        Annotated[str, msgspec.Meta(max_length=2000, pattern=r"^smtps?://[^/]+/?(\?.*)?$")] | None
    ) = None
    # The From of every mail; its domain also names the messages (Message-ID).
    mail_from: Annotated[str, msgspec.Meta(min_length=3, max_length=300)] = (
        "Samlast <noreply@localhost>"
    )
    # Where the links in mail point: the API and pages as their readers reach them.
    public_url: Annotated[str, msgspec.Meta(max_length=500, pattern=r"^https?://[^\s]+$")] = (
        "http://127.0.0.1:8000"
    )
    # One attempt at a mail, all of it (connecting, TLS, login, sending), ends after this.
    timeout_s: Annotated[float, msgspec.Meta(gt=0, le=300)] = 30.0

    def __repr__(self) -> str:
        """The SMTP password shows as ``***``."""
        url = redact(self.smtp_url) if self.smtp_url else None
        return (
            f"MailSettings(smtp_url={url!r}, mail_from={self.mail_from!r}, "
            f"public_url={self.public_url!r}, timeout_s={self.timeout_s!r})"
        )


class PagesSettings(msgspec.Struct, kw_only=True, frozen=True, forbid_unknown_fields=True):
    # A map tile server for the run map's background, e.g.
    # https://tile.openstreetmap.org/{z}/{x}/{y}.png, and the credit its terms ask for.
    # Unset: the map is drawn from the coordinates alone and fetches nothing.
    map_tile_url: (
        Annotated[str, msgspec.Meta(max_length=500, pattern=r"^https?://.*\{z\}.*\{x\}.*\{y\}")]
        | None
    ) = None
    map_tile_attribution: Annotated[str, msgspec.Meta(max_length=200)] = ""
    # A Nominatim- or Photon-compatible search API (its /search or /api address) that
    # turns an address typed in the pages into a place, e.g.
    # https://nominatim.openstreetmap.org/search; unset, places are set on the map or as
    # latitude and longitude. Each search ends after the timeout, answers are capped.
    geocoder_url: (
        Annotated[str, msgspec.Meta(max_length=500, pattern=r"^https?://[^\s?#]+$")] | None
    ) = None
    geocoder_timeout_s: Annotated[float, msgspec.Meta(gt=0, le=60)] = 5.0
    # Searches one signed-in person (or token) may make a minute: the geocoder is a shared
    # service with its own usage policy (the public Nominatim allows one a second in all).
    geocoder_per_person_per_minute: Annotated[int, msgspec.Meta(ge=1, le=10000)] = 20


class SessionSettings(msgspec.Struct, kw_only=True, frozen=True, forbid_unknown_fields=True):
    # A signed-in browser ends after this long unused, and in any case after the
    # absolute lifetime; signing in again starts a new one.
    idle_days: Annotated[float, msgspec.Meta(gt=0, le=90)] = 14
    absolute_days: Annotated[float, msgspec.Meta(gt=0, le=365)] = 60
    # E-mailed sign-in links and password resets stay valid this long, used once.
    link_minutes: Annotated[int, msgspec.Meta(ge=1, le=120)] = 15
    # Invitations stay open this long (sending one again starts the days anew).
    invitation_days: Annotated[int, msgspec.Meta(ge=1, le=60)] = 7
    # Sign-in attempts (links asked for, passwords tried) per minute, per e-mail address
    # and per client address; past them the page asks to wait.
    per_email_per_minute: Annotated[int, msgspec.Meta(ge=1, le=1000)] = 5
    per_address_per_minute: Annotated[int, msgspec.Meta(ge=1, le=10000)] = 30
    # Requests to join a network (each mails a confirmation link) per minute, per client
    # address and per network; per e-mail address they count as sign-in attempts do.
    joins_per_address_per_minute: Annotated[int, msgspec.Meta(ge=1, le=10000)] = 5
    joins_per_network_per_minute: Annotated[int, msgspec.Meta(ge=1, le=10000)] = 20


class Settings(msgspec.Struct, kw_only=True, frozen=True, forbid_unknown_fields=True):
    db: DatabaseSettings = msgspec.field(default_factory=DatabaseSettings)
    redis: RedisSettings = msgspec.field(default_factory=RedisSettings)
    api: ApiSettings = msgspec.field(default_factory=ApiSettings)
    matching: MatchingSettings = msgspec.field(default_factory=MatchingSettings)
    webhooks: WebhookSettings = msgspec.field(default_factory=WebhookSettings)
    federation: FederationSettings = msgspec.field(default_factory=FederationSettings)
    mail: MailSettings = msgspec.field(default_factory=MailSettings)
    pages: PagesSettings = msgspec.field(default_factory=PagesSettings)
    sessions: SessionSettings = msgspec.field(default_factory=SessionSettings)
    log_level: LogLevel = "INFO"
    # How long to wait for PostgreSQL or Redis to accept a connection.
    connect_timeout_s: Annotated[float, msgspec.Meta(gt=0, le=120)] = 5.0
    # Fernet keys, comma-separated, that seal secrets kept at rest (webhook signing
    # secrets): the first seals, all unseal (rotate: put a new key first, run
    # `samlast rotate-secrets`, then drop the old). Never logged nor shown.
    secret_keys: str = ""

    def __post_init__(self) -> None:
        if self.secret_keys.strip():
            parse_keys(self.secret_keys)  # a malformed key stops start-up, naming the variable

    def __repr__(self) -> str:
        """Every setting but the secret keys, which show as ``***`` when set."""
        shown = dict(flatten(self))
        if self.secret_keys:
            shown["secret_keys"] = "***"  # noqa: S105 - the mask, not a secret
        if self.mail.smtp_url:
            shown["mail.smtp_url"] = redact(self.mail.smtp_url)
        return "Settings(" + ", ".join(f"{k}={v!r}" for k, v in shown.items()) + ")"

    def replace(self, **values: Any) -> Settings:
        """A copy with some settings changed, named by path: ``{"webhooks.timeout_s": 1}``
        as ``replace(**{"webhooks.timeout_s": 1})``."""
        tree = msgspec.to_builtins(self)
        for path, value in values.items():
            group, _, name = path.rpartition(".")
            (tree[group] if group else tree)[name] = value
        return msgspec.convert(tree, Settings)


# Setting (by path) -> environment variable: every variable keeps the name it had
# before the settings were grouped, so deployments and the README's table stay true.
ENV_VARS: Mapping[str, str] = {
    "db.url": "DATABASE_URL",
    "db.pool_min": "SAMLAST_DB_POOL_MIN",
    "db.pool_max": "SAMLAST_DB_POOL_MAX",
    "db.acquire_timeout_s": "SAMLAST_DB_ACQUIRE_TIMEOUT_S",
    "redis.url": "REDIS_URL",
    "redis.queue_name": "SAMLAST_QUEUE_NAME",
    "api.host": "SAMLAST_API_HOST",
    "api.port": "SAMLAST_API_PORT",
    "api.workers": "SAMLAST_API_WORKERS",
    "api.request_header_timeout_s": "SAMLAST_REQUEST_HEADER_TIMEOUT_S",
    "api.request_body_timeout_s": "SAMLAST_REQUEST_BODY_TIMEOUT_S",
    "api.trusted_proxies": "SAMLAST_TRUSTED_PROXIES",
    "api.rate_limit_per_minute": "SAMLAST_RATE_LIMIT_PER_MINUTE",
    "api.auth_failures_per_minute": "SAMLAST_AUTH_FAILURES_PER_MINUTE",
    "matching.worker_concurrency": "SAMLAST_WORKER_CONCURRENCY",
    "matching.run_lease_s": "SAMLAST_RUN_LEASE_S",
    "matching.run_max_attempts": "SAMLAST_RUN_MAX_ATTEMPTS",
    "matching.road_factor": "SAMLAST_ROAD_FACTOR",
    "matching.average_speed_kmh": "SAMLAST_AVERAGE_SPEED_KMH",
    "matching.osrm_url": "SAMLAST_OSRM_URL",
    "matching.routing_seconds": "SAMLAST_ROUTING_SECONDS",
    "matching.routing_processes": "SAMLAST_ROUTING_PROCESSES",
    "webhooks.allow_private": "SAMLAST_WEBHOOK_ALLOW_PRIVATE",
    "webhooks.retry_base_s": "SAMLAST_WEBHOOK_RETRY_BASE_S",
    "webhooks.timeout_s": "SAMLAST_WEBHOOK_TIMEOUT_S",
    "webhooks.concurrency": "SAMLAST_WEBHOOK_CONCURRENCY",
    "federation.allow_private": "SAMLAST_DFC_ALLOW_PRIVATE",
    "federation.fetch_timeout_s": "SAMLAST_DFC_FETCH_TIMEOUT_S",
    "federation.max_catalog_bytes": "SAMLAST_DFC_MAX_BYTES",
    "mail.smtp_url": "SAMLAST_SMTP_URL",
    "mail.mail_from": "SAMLAST_MAIL_FROM",
    "mail.public_url": "SAMLAST_PUBLIC_URL",
    "mail.timeout_s": "SAMLAST_MAIL_TIMEOUT_S",
    "pages.map_tile_url": "SAMLAST_MAP_TILE_URL",
    "pages.map_tile_attribution": "SAMLAST_MAP_TILE_ATTRIBUTION",
    "pages.geocoder_url": "SAMLAST_GEOCODER_URL",
    "pages.geocoder_timeout_s": "SAMLAST_GEOCODER_TIMEOUT_S",
    "pages.geocoder_per_person_per_minute": "SAMLAST_GEOCODER_PER_PERSON_PER_MINUTE",
    "sessions.idle_days": "SAMLAST_SESSION_IDLE_DAYS",
    "sessions.absolute_days": "SAMLAST_SESSION_ABSOLUTE_DAYS",
    "sessions.link_minutes": "SAMLAST_SIGN_IN_LINK_MINUTES",
    "sessions.invitation_days": "SAMLAST_INVITATION_DAYS",
    "sessions.per_email_per_minute": "SAMLAST_SIGN_IN_PER_EMAIL_PER_MINUTE",
    "sessions.per_address_per_minute": "SAMLAST_SIGN_IN_PER_ADDRESS_PER_MINUTE",
    "sessions.joins_per_address_per_minute": "SAMLAST_JOIN_PER_ADDRESS_PER_MINUTE",
    "sessions.joins_per_network_per_minute": "SAMLAST_JOIN_PER_NETWORK_PER_MINUTE",
    "federation.signature_window_s": "SAMLAST_FEDERATION_SIGNATURE_WINDOW_S",
    "federation.timeout_s": "SAMLAST_FEDERATION_TIMEOUT_S",
    "federation.hold_ttl_s": "SAMLAST_FEDERATION_HOLD_TTL_S",
    "federation.hold_retries": "SAMLAST_FEDERATION_HOLD_RETRIES",
    "federation.hold_reach_s": "SAMLAST_FEDERATION_HOLD_REACH_S",
    "federation.poll_s": "SAMLAST_FEDERATION_POLL_S",
    "federation.stale_s": "SAMLAST_FEDERATION_STALE_S",
    "log_level": "SAMLAST_LOG_LEVEL",
    "connect_timeout_s": "SAMLAST_CONNECT_TIMEOUT_S",
    "secret_keys": "SAMLAST_SECRET_KEYS",
}


def flatten(settings: Settings) -> list[tuple[str, Any]]:
    """Every setting as (path, value), in ``ENV_VARS``' order."""
    tree = msgspec.structs.asdict(settings)
    values = []
    for path in ENV_VARS:
        group, _, name = path.rpartition(".")
        values.append((path, getattr(tree[group], name) if group else tree[name]))
    return values


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Build settings from environment variables, falling back to the defaults."""
    env = os.environ if environ is None else environ
    tree: dict[str, Any] = {}
    for path, var in ENV_VARS.items():
        if env.get(var, "") == "":
            continue
        group, _, name = path.rpartition(".")
        (tree.setdefault(group, {}) if group else tree)[name] = env[var]
    try:
        return msgspec.convert(tree, Settings, strict=False)
    except msgspec.ValidationError as exc:
        raise SettingsError(_name_variable(str(exc))) from exc


def _name_variable(message: str) -> str:
    """Rewrite msgspec's ``at `$.group.field``` into the environment variable's name."""
    for path, var in ENV_VARS.items():
        where = f"`$.{path}`"
        if where in message:
            return message.replace(where, var)
    return message


def redact(url: str) -> str:
    """Hide a password in a server URL before it goes into a message or a log."""
    scheme, sep, rest = url.partition("://")
    credentials, at, host = rest.rpartition("@")
    if not at or ":" not in credentials:
        return url
    user = credentials.split(":", 1)[0]
    return f"{scheme}{sep}{user}:***@{host}"
