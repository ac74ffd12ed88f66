"""Process configuration, read from environment variables prefixed `DISCOUNTS_` (and `DATABASE_URL`)."""

from __future__ import annotations

import enum
from pathlib import Path

from pydantic import AliasChoices, Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_SQLITE_URL = "sqlite+aiosqlite:///./discounts.db"
# A fixed secret that demo mode may use; production refuses to start with it.
DEMO_SECRET_MARKER = "demo-"


class Mode(str, enum.Enum):
    DEMO = "demo"
    PRODUCTION = "production"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="DISCOUNTS_", extra="ignore")

    mode: Mode = Mode.DEMO
    database_url: str = Field(
        default=DEFAULT_SQLITE_URL,
        validation_alias=AliasChoices("DATABASE_URL", "DISCOUNTS_DATABASE_URL"),
    )
    # Apply Alembic migrations when the app starts (the default SQLite file is migrated on start).
    migrate_on_start: bool = True
    echo_sql: bool = False

    # Tokens: HS256 with a shared secret, or RS256/ES256 with a public key (PEM) or a JWKS file.
    jwt_secret: str | None = None
    jwt_public_key_file: Path | None = None
    jwt_jwks_file: Path | None = None
    jwt_issuer: str | None = None
    jwt_audience: str | None = None
    demo_secret_file: Path = Path(".demo-secret")

    # GraphQL exposure.
    graphiql: bool | None = None  # None: on in demo mode, off in production
    introspection: bool | None = None
    field_suggestions: bool | None = None

    # Execution: the breadth-first plan executor (app.graphql.executor); false runs every
    # operation through strawberry's standard graphql-core executor.
    plan_executor: bool = True
    # Lists whose selection PostgreSQL can spell return their nodes as JSON built there
    # (app.graphql.rendering); the plan executor embeds it. Off: every node built in Python.
    render_in_database: bool = True

    # Limits.
    default_page_size: int = 25
    max_page_size: int = 1000
    max_depth: int = 12
    max_aliases: int = 30
    max_tokens: int = 5000
    max_cost: int = 50000
    # The input of an operation (app.graphql.limits.inputs): items per list, items of all
    # lists (each use of a variable counted), lists and input objects nested in one
    # argument, and terms (objects and values) of all filters.
    max_list_length: int = 100
    max_list_items: int = 1000
    max_input_depth: int = 10
    max_filter_terms: int = 100
    # What one response may hold (app.db.budget): objects (rows read) and bytes of text.
    max_response_nodes: int = 100_000
    max_response_bytes: int = 20_000_000
    max_body_bytes: int = 1_000_000
    request_timeout_seconds: float = 15.0
    failed_code_attempts_per_minute: int = 30

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
