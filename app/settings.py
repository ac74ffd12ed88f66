"""Process configuration, read from environment variables prefixed `DISCOUNTS_` (and `DATABASE_URL`)."""

from __future__ import annotations

import enum
import hashlib
import os
from pathlib import Path
from typing import Any, Literal

from pydantic import (
    AliasChoices,
    Field,
    PositiveFloat,
    PositiveInt,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_core import ErrorDetails
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from app.domain.stacking import MAX_CODES_PER_ORDER


def demo_state_directory() -> Path:
    """Where the demo keeps its files when nothing says otherwise: the SQLite database and
    the demo token secret. Outside the checkout (a newcomer finds no files appearing in it),
    one folder per checkout (two checkouts at different migrations never share a database):
    `$XDG_STATE_HOME/discount-service/<checkout>-<hash>` (~/.local/state when unset), or
    `DISCOUNTS_STATE_DIR`."""
    chosen = os.environ.get("DISCOUNTS_STATE_DIR")
    if chosen:
        return Path(chosen).expanduser()
    base = Path(os.environ.get("XDG_STATE_HOME") or Path.home() / ".local" / "state")
    checkout = Path(__file__).resolve().parents[1]
    digest = hashlib.sha256(str(checkout).encode()).hexdigest()[:8]
    return base / "discount-service" / f"{checkout.name}-{digest}"


STATE_DIRECTORY = demo_state_directory()
DEFAULT_SQLITE_URL = f"sqlite+aiosqlite:///{STATE_DIRECTORY / 'demo.db'}"
# A fixed secret that demo mode may use; production refuses to start with it.
DEMO_SECRET_MARKER = "demo-"
REDIS_SCHEMES = ("redis://", "rediss://")
ENV_PREFIX = "DISCOUNTS_"
# The drivers the app runs on, and what a URL without one (or with another) means.
DRIVERS = {"postgresql": "asyncpg", "sqlite": "aiosqlite"}
URL_EXAMPLES = "postgresql+asyncpg://user@host:5432/db or sqlite+aiosqlite:///path/to/file.db"


class Mode(str, enum.Enum):
    DEMO = "demo"
    PRODUCTION = "production"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="ignore")

    mode: Mode = Mode.DEMO
    database_url: str = Field(
        default=DEFAULT_SQLITE_URL,
        validation_alias=AliasChoices("DATABASE_URL", "DISCOUNTS_DATABASE_URL"),
    )
    # Apply Alembic migrations when the app starts (the default SQLite file is migrated on start).
    migrate_on_start: bool = True
    # A PostgreSQL connection idle this long is pinged before use (app.db.liveness).
    database_ping_after_idle_seconds: float = Field(default=10.0, ge=0)
    echo_sql: bool = False

    # Tokens: HS256 with a shared secret, or RS256/ES256 with a public key (PEM) or a JWKS file.
    jwt_secret: str | None = None
    jwt_public_key_file: Path | None = None
    jwt_jwks_file: Path | None = None
    jwt_issuer: str | None = None
    jwt_audience: str | None = None
    demo_secret_file: Path = STATE_DIRECTORY / "demo-secret"

    # GraphQL exposure.
    graphiql: bool | None = None  # None: on in demo mode, off in production
    introspection: bool | None = None
    field_suggestions: bool | None = None

    # The fast path (app.fast, docs/architecture.md): the same answers, sooner. Off, none of
    # it is imported: strawberry executes, every node is built in Python, every read goes
    # through SQLAlchemy, Starlette routes every request. The switches below act only when
    # it is on.
    fast_path: bool = True
    # The breadth-first plan executor (app.fast.executor); false: strawberry's execution.
    plan_executor: bool = True
    # Lists whose selection PostgreSQL can spell return their nodes as JSON built there
    # (app.fast.rendering); the plan executor embeds it. Off: every node built in Python.
    render_in_database: bool = True
    # Named reads compiled once and sent to asyncpg (app.fast.prepared_reads; PostgreSQL).
    prepared_reads: bool = True

    # Change events (app.db.events): false writes none. A switch for measuring what they cost
    # (scripts/bench --only events), not for running: the feed and webhooks then miss writes.
    events: bool = True
    # Webhook delivery (app.delivery, scripts/deliver). Targets on private, loopback and
    # link-local addresses are refused unless this is set (a local receiver in tests).
    webhooks_allow_private_targets: bool = False
    # How long a worker holds a delivery it claimed: one that dies is retried after this.
    webhooks_lease_seconds: PositiveFloat = 60.0
    # How long one POST may take, and how many one worker sends at once.
    webhooks_timeout_seconds: PositiveFloat = 10.0
    webhooks_concurrency: PositiveInt = 32
    # Deliveries a worker claims (and events it reads from the feed) per transaction.
    webhooks_batch: PositiveInt = 200
    # How long a worker with nothing due waits before it looks again.
    webhooks_poll_seconds: PositiveFloat = 0.5
    # Each event also published to NATS JetStream by the delivery worker, when set
    # (nats://host:4222): subject `<prefix>.<event type>` on the stream `nats_stream` (made if
    # missing), message id the event's id (JetStream drops a duplicate within its window).
    nats_url: str | None = None
    nats_stream: str = "DISCOUNTS_EVENTS"
    nats_subject_prefix: str = "discounts.events"

    # Limits.
    default_page_size: PositiveInt = 25
    max_page_size: PositiveInt = 1000
    max_depth: PositiveInt = 12
    max_aliases: PositiveInt = 30
    max_tokens: PositiveInt = 5000
    max_cost: PositiveInt = 50000
    # The input of an operation (app.graphql.limits.inputs): items per list, items of all
    # lists (each use of a variable counted), lists and input objects nested in one
    # argument, and terms (objects and values) of all filters. A list may be as long as the
    # longest the API takes (1,000 ids of a bulk call, customers of upsertCustomers): what
    # makes filters costly is bounded by the filter terms.
    max_list_length: PositiveInt = 1000
    max_list_items: PositiveInt = 1000
    max_input_depth: PositiveInt = 10
    max_filter_terms: PositiveInt = 100
    # What one response may hold (app.db.budget): objects (rows read) and bytes of text.
    max_response_nodes: PositiveInt = 100_000
    max_response_bytes: PositiveInt = 20_000_000
    max_body_bytes: PositiveInt = 1_000_000
    request_timeout_seconds: PositiveFloat = 15.0
    failed_code_attempts_per_minute: PositiveInt = 30
    # Subscriptions (WebSocket, app.http.websocket): operations one connection may run at
    # once, connections one caller (a token's subject) may hold open to one process, and how
    # long a new connection has to send its connection_init.
    max_subscriptions_per_connection: PositiveInt = 10
    max_connections_per_caller: PositiveInt = 20
    connection_init_timeout_seconds: PositiveFloat = 10.0
    # Codes one order may use (validateCodes, redeemCodes; docs/stacking.md). Each is looked
    # up, and on a redemption locked, in one transaction: a checkout's handful, not a list.
    max_codes_per_order: int = Field(default=MAX_CODES_PER_ORDER, ge=1, le=50)
    # Codes one run of scripts/generate-codes may add (the API's generateCouponCodes stays at
    # app.domain.codes.MAX_GENERATED_COUNT): an operator's batch for print runs, one transaction.
    script_max_generated_codes: int = Field(default=1_000_000, ge=1)

    # Operations (app.observability): logs as JSON lines (or text, for a terminal) at this
    # level; OpenTelemetry traces (the `tracing` extra, exported over OTLP as the standard
    # OTEL_* variables say); how long /readyz waits for the database.
    log_format: Literal["json", "text"] = "json"
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    tracing: bool = False
    readiness_timeout_seconds: PositiveFloat = 2.0

    # Persisted queries (app.http.persisted_queries): the characters of documents each process
    # keeps for Automatic Persisted Queries (0 turns them off); and a trusted documents
    # manifest (scripts/persisted-manifest), which when set is all that runs (production).
    persisted_query_cache_bytes: int = Field(default=5_000_000, ge=0)
    trusted_documents: Path | None = None

    # Where limits shared by every server process are counted (app.http.shared_rate_limit):
    # `redis://host:6379/0` (rediss:// for TLS). Unset: each process counts on its own.
    redis_url: str | None = None
    # The start of every key written there, so that services sharing one Redis never meet.
    redis_key_prefix: str = "discounts"

    @field_validator("redis_url")
    @classmethod
    def _redis_url_is_redis(cls, url: str | None) -> str | None:
        if url == "":  # set but empty (docker-compose.yml without Redis): none
            return None
        if url is not None and not url.startswith(REDIS_SCHEMES):
            raise ValueError(f"a Redis URL starts with {', '.join(REDIS_SCHEMES)}")
        return url

    @field_validator("database_url")
    @classmethod
    def _async_driver(cls, url: str) -> str:
        """`postgresql://` (and `postgres://`, `sqlite://`) mean the async driver the app runs
        on: operators and hosting platforms write URLs without a driver."""
        try:
            parsed = make_url(url)
        except ArgumentError:
            raise ValueError(f"not a database URL; use {URL_EXAMPLES}") from None
        backend = parsed.get_backend_name()
        backend = "postgresql" if backend == "postgres" else backend
        if backend not in DRIVERS:
            raise ValueError(f"{backend} is not supported; use {URL_EXAMPLES}")
        driver = parsed.drivername.partition("+")[2]
        if driver not in ("", DRIVERS[backend]):
            raise ValueError(
                f"the {driver} driver is not used here; use {backend}+{DRIVERS[backend]}://..."
                f" (or {backend}://..., which means {DRIVERS[backend]})"
            )
        drivername = f"{backend}+{DRIVERS[backend]}"
        if parsed.drivername == drivername:
            return url
        return parsed.set(drivername=drivername).render_as_string(hide_password=False)

    @model_validator(mode="after")
    def _default_database_has_its_folder(self) -> Settings:
        # SQLite creates the file, not its folder; a URL given explicitly is left as it is
        # (a folder that does not exist there is a mistake to report, app.db.reachable).
        if self.database_url == DEFAULT_SQLITE_URL:
            STATE_DIRECTORY.mkdir(parents=True, exist_ok=True)
        return self

    @model_validator(mode="after")
    def _defaults_follow_mode(self) -> Settings:
        demo = self.mode is Mode.DEMO
        for name in ("graphiql", "introspection", "field_suggestions"):
            if getattr(self, name) is None:
                setattr(self, name, demo)
        return self

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


class SettingsError(ValueError):
    """Settings with bad values, in the words of the environment: one line per variable."""


def settings_from_environment(**given: Any) -> Settings:
    """The settings from the environment (and `given`), or SettingsError naming each
    variable that has a bad value and what is wrong with it (pydantic names the fields)."""
    try:
        return Settings(**given)
    except ValidationError as error:
        raise SettingsError("\n".join(_problem(problem) for problem in error.errors())) from None


def _problem(problem: ErrorDetails) -> str:
    name = str(problem["loc"][0]) if problem["loc"] else ""
    variable = _variable(name)
    context = problem.get("ctx") or {}
    # a validator's own words, without pydantic's "Value error, " in front
    message = str(context["error"]) if "error" in context else problem["msg"]
    shown = variable
    if "SECRET" not in variable and "URL" not in variable:  # passwords are not repeated
        shown = f"{variable}={problem['input']!r}"
    return f"{shown}: {message[0].lower()}{message[1:]}"


def _variable(name: str) -> str:
    """The environment variable a setting is read from: pydantic names a field read through
    an alias (`DATABASE_URL`) by the alias, any other by the field's name."""
    if name not in Settings.model_fields:
        return name
    return f"{ENV_PREFIX}{name.upper()}"
