"""The per-request context every resolver gets (typed: `strawberry.Info[Context, None]`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeAlias

import strawberry
from starlette.requests import Request

from app.auth.principal import Principal, Scope
from app.db.filters import ListSpec, Trashed
from app.db.handles import Clause, Record
from app.db.paging import Ordering
from app.db.session import RequestDatabase
from app.graphql.access import Access
from app.graphql.failed_attempts import FailedAttempts
from app.graphql.loaders import Loaders
from app.services import Services
from app.settings import Settings


class Renderer(Protocol):
    """What the plain path asks of the fast path's renderer (app.fast.rendering), which
    answers with the response's JSON rendered in the database in place of node objects."""

    def list_read(
        self, info: Info, spec: ListSpec, trashed: Trashed, ordering: Ordering
    ) -> tuple[tuple[Any, ...], Callable[[Record], object], bool] | None:
        """The columns a list reads, how a row becomes its node, and whether that is the
        row's whole edge instead (the selection asked for edges only); None: not rendered."""

    async def lookup(
        self,
        info: Info,
        spec: ListSpec,
        trashed: Trashed,
        db_id: int,
        visible: list[Clause],
        scope: Scope,
    ) -> tuple[object] | None:
        """(the rendered record, or None when not visible); None: not rendered."""


@dataclass
class Context:
    settings: Settings
    principal: Principal
    db: RequestDatabase
    services: Services  # the write use cases, sharing the app's engine
    request: Request | None = None
    # The brake on guessing codes (app.graphql.failed_attempts), built by the app factory;
    # None: no brake (tests and tools that make a context of their own).
    failed_code_attempts: FailedAttempts | None = None
    access: Access = field(init=False)
    loaders: Loaders = field(init=False)
    # The soft-deletion choice of each response path that set one; nested fields inherit the
    # nearest one above them (see app.graphql.trashed).
    trashed_by_path: dict[tuple[str, ...], Trashed] = field(default_factory=dict)
    # Nested lists prepared once per response path (see app.graphql.connections).
    prepared_lists: dict[tuple[str, ...], Any] = field(default_factory=dict)
    # Why a presented token was refused (None when there was none or it was valid).
    auth_problem: str | None = None
    # Set by the plan executor when lists may render their nodes in the database
    # (app.fast.rendering); None otherwise.
    renderer: Renderer | None = None
    # Set by the fast path's executor: `selects(info, path)`, a quicker way to tell whether a
    # list's selection asks for a field (app.fast.selection); None: strawberry's selection.
    selects: Callable[[Info, tuple[str, ...]], bool] | None = None
    # Set by the fast path's executor: what the top-level lists of this document worked out
    # before (app.graphql.connections, `_planned_list`); None: every request works it out.
    list_plans: dict[Any, Any] | None = None

    def __post_init__(self) -> None:
        self.access = Access(self.principal, self.auth_problem)
        self.loaders = Loaders(self.db, self.access)

    def release(self) -> None:
        """Let go of what the request loaded once its response is built. The loaders' caches
        hold every row of the response; anything that still points at the context after the
        request (a traceback, a cycle through strawberry's info objects) would otherwise keep
        them all until a full garbage collection, which then walks hundreds of thousands of
        objects at once and stalls every request in flight."""
        self.loaders = Loaders(self.db, self.access)
        self.renderer = None
        self.list_plans = None
        # graphql-core's execution context refers to itself (bound methods) and to this
        # context: what hangs from here waits for the collector. The HTTP request (and the
        # server's connection objects behind it) need not.
        self.request = None
        self.prepared_lists.clear()
        self.trashed_by_path.clear()

    def fresh_loaders(self) -> None:
        """Empty dataloaders: when the plan executor hands an operation over to graphql-core
        (app.fast.executor.context), that one loads as a request of its own would, and
        builds every node itself."""
        self.loaders = Loaders(self.db, self.access)
        self.renderer = None
        self.list_plans = None


# What every resolver of this API gets as `info` (its context is a `Context`; no root value).
Info: TypeAlias = strawberry.Info[Context, None]
