"""The execution context strawberry builds per request: plans first, the standard path otherwise.

`PlanExecutionContext` replaces only graphql-core's `execute_operation`, so everything around
it stays strawberry's: parse and validation caches, extensions (limits, masking, releasing the
request's database connection), `process_errors`, the context and its loaders.

The standard executor (graphql-core's, through `super()`) runs:
- introspection (`__schema`, `__type` at the root), subscriptions, `@defer`/`@stream`,
  fragment variables: anything the planner does not plan;
- requests with resolver middleware (a strawberry extension with `resolve`), an abort
  signal, execution hooks, or synchronous execution (`execute_sync`);
- the rest of an operation whose errors compete (see `run`), or whose values the planner
  cannot complete breadth-first (awaitable list items, async iterables, awaitable
  `is_type_of`/`resolve_type`). The standard executor then starts again, but the root
  resolvers that already ran are not called again: their results (or errors) are replayed,
  so a root field with effects (a mutation, a counted code check) acts once. For a mutation
  only the root field concerned is redone, after its resolver ran and before the next one.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any, ClassVar

from graphql import GraphQLError, GraphQLResolveInfo, OperationType
from graphql.execution.executor import CollectedErrors
from graphql.execution.types import ExecutionResult
from graphql.pyutils import AwaitableOrValue, Path
from orjson import Fragment
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from app.fast import fall_offs
from app.fast.executor.cache import operation_plan
from app.fast.executor.plan import OperationPlan, SelectionPlan
from app.fast.executor.run import NeedsStandard, Run, Slot
from app.fast.rendering import enable_rendering
from app.fast.selection import selects

logger = logging.getLogger(__name__)


class _AsyncIterableProbe:
    """Tells asynchronous execution from `execute_sync`, which declares nothing iterable."""

    def __aiter__(self) -> Any:  # pragma: no cover - never iterated
        return self


_PROBE = _AsyncIterableProbe()


class PlanExecutionContext(StrawberryGraphQLCoreExecutionContext):
    # Tests set this: an unexpected exception inside the planner is raised rather than
    # quietly handed to the standard executor.
    strict: ClassVar[bool] = False
    # Counts what ran how, for tests and the benchmark ("planned", "standard", "replayed"),
    # and the calls of batch resolvers ("batches", one per field and level).
    # "rendered": lists whose nodes the database rendered (see `enable_rendering`).
    stats: ClassVar[dict[str, int]] = {
        "planned": 0, "standard": 0, "replayed": 0, "batches": 0, "rendered": 0,
    }  # fmt: skip

    @property
    def strawberry(self) -> Any:
        """The strawberry schema behind the GraphQL schema (None for a plain graphql-core one)."""
        return getattr(self.schema, "_strawberry_schema", None)

    def execute_operation(self, serially: bool | None = None) -> AwaitableOrValue[Any]:
        plan = operation_plan(self) if self._plannable() else "execution hooks"
        if isinstance(plan, str):
            self.stats["standard"] += 1
            if plan != "introspection":  # a tool's question, not a client's document
                fall_offs.note("executor", plan, self.operation)
            return super().execute_operation(serially)
        self.stats["planned"] += 1
        return self._execute_plan(plan, plan.serial if serially is None else serially)

    def _plannable(self) -> bool:
        manager = self.middleware_manager
        return (
            not (manager is not None and manager.middlewares)
            and self.abort_signal is None
            and self.hooks is None
            and self.is_async_iterable(_PROBE)
        )

    async def _execute_plan(self, plan: OperationPlan, serially: bool) -> ExecutionResult:
        out = dict.fromkeys(plan.root.keys)
        root = Slot(None, None, None, None, False, 0, self.root_value, out)
        if hasattr(self.context_value, "selects"):  # a quicker selection check for the lists
            self.context_value.selects = selects
        if serially:
            return await self._execute_serially(plan.root, root)
        # A context may let lists hand over their nodes as finished JSON (orjson.Fragment),
        # which only this executor embeds: queries only, undone by `_fresh_request_caches`.
        if self.operation.operation == OperationType.QUERY:
            enable_rendering(self, self.context_value, plan.rendered)
            if hasattr(self.context_value, "list_plans"):
                self.context_value.list_plans = plan.lists
        run = Run(self)
        try:
            await run.execute(root, plan.root)
        except NeedsStandard as needs:
            fall_offs.note("replay", needs.reason, self.operation)
            return await self._replay(run.root_outcomes)
        except Exception:
            if self.strict:
                raise
            logger.exception("plan executor failed; the standard executor answers instead")
            fall_offs.note("replay", "planner error", self.operation)
            return await self._replay(run.root_outcomes)
        run.flush_errors()
        return self._response(None if run.data_null else root.out)

    async def _execute_serially(self, plan: SelectionPlan, root: Slot) -> ExecutionResult:
        """Root fields one after the other (mutations), each subtree breadth-first."""
        for field in plan.fields:
            run = Run(self)
            try:
                try:
                    await run.execute(root, plan.subset(field))
                except NeedsStandard:
                    raise
                except Exception:
                    if self.strict:
                        raise
                    logger.exception("plan executor failed; the standard executor completes")
                    raise NeedsStandard("planner error") from None
            except NeedsStandard as needs:
                fall_offs.note("replay", needs.reason, self.operation, (field.key,))
                self.stats["replayed"] += 1
                self._fresh_request_caches()
                outcome = run.root_outcomes.get(field.key)
                try:
                    if outcome is None:  # its resolver never ran: the whole field, standard
                        value = self.execute_field(
                            plan.type, self.root_value, field.details,
                            Path(None, field.key, plan.type_name), None,
                        )  # fmt: skip
                        if self.is_awaitable(value):
                            value = await value
                    else:
                        value = await self._complete_standard(plan, field, outcome)
                    root.out[field.key] = value
                except GraphQLError as error:  # a non-null root field failed: no data
                    self.collected_errors.add(error, None)
                    return self._response(None)
                finally:
                    await self._settle_background_work()
                continue
            errors_before = len(self.collected_errors.errors)
            run.flush_errors()
            await self._root_field_done(plan, field, run, root, errors_before)
            if run.data_null:
                return self._response(None)
        return self._response(root.out)

    async def _root_field_done(
        self, plan: SelectionPlan, field: Any, run: Run, root: Slot, errors_before: int
    ) -> None:
        """Called after each root field of a serial operation (tests compare it there)."""

    async def _complete_standard(
        self, plan: SelectionPlan, field: Any, outcome: tuple[bool, Any]
    ) -> Any:
        """graphql-core's completion of a root field from its resolver's known result;
        raises the error of a failed non-null root field."""
        path = Path(None, field.key, plan.type_name)
        info = self.build_resolve_info(field.field_def, field.nodes, plan.type, path)
        return_type = field.field_def.type
        try:
            _is_async, value = outcome
            if isinstance(value, Exception):
                raise value
            completed = self.complete_value(return_type, field.details, info, path, value, None)
            if self.is_awaitable(completed):
                completed = await completed
        except Exception as raw:
            self.handle_field_error(raw, return_type, field.details, path)
            completed = None
        return completed

    async def _replay(self, outcomes: dict[str, tuple[bool, Any]]) -> ExecutionResult:
        """The whole operation again through graphql-core, reusing the root results."""
        self.stats["replayed"] += 1
        self._fresh_request_caches()
        # Root results holding rendered nodes mean nothing to graphql-core: those resolvers
        # run again (queries: reading twice changes nothing).
        outcomes = {k: v for k, v in outcomes.items() if not _holds_fragments(v[1])}
        self.collected_errors = CollectedErrors()
        self._relevant_sub_fields.clear()
        self.middleware_manager = _ReplayRootResults(outcomes)  # type: ignore[assignment]
        result = super().execute_operation()
        if self.is_awaitable(result):
            result = await result
        await self._settle_background_work()
        return result  # type: ignore[return-value]

    async def _settle_background_work(self) -> None:
        """graphql-core answers as soon as an error reaches a nullable field and lets the
        resolvers still running below it finish in the background: they would go on using
        the request's database connection after the endpoint released it (and open a new
        one that nobody closes). The answer waits for them; it does not change."""
        while self.background_futures:
            await asyncio.gather(*self.background_futures, return_exceptions=True)

    def _fresh_request_caches(self) -> None:
        """graphql-core's answer with competing errors depends on which loads are already
        cached (a cached load completes without waiting, and its subtree's errors come
        sooner): a context that offers `fresh_loaders()` gets empty ones, so that the
        standard executor loads as it would have on its own."""
        fresh = getattr(self.context_value, "fresh_loaders", None)
        if callable(fresh):
            fresh()

    def _response(self, data: dict[str, Any] | None) -> ExecutionResult:
        self.run_async_work_finished_hook()
        return ExecutionResult(data, self.collected_errors.errors or None)


class _ReplayRootResults:
    """Middleware that answers root fields with what their resolvers gave the first time."""

    def __init__(self, outcomes: dict[str, tuple[bool, Any]]) -> None:
        self.outcomes = outcomes
        self.middlewares = ()

    def get_field_resolver(self, resolve: Callable[..., Any]) -> Callable[..., Any]:
        outcomes = self.outcomes

        def resolver(source: Any, info: GraphQLResolveInfo[Any], **args: Any) -> Any:
            path = info.path
            if path.prev is None and path.key in outcomes:
                is_async, value = outcomes[path.key]
                if is_async:
                    return _again(value)
                if isinstance(value, Exception):
                    raise value
                return value
            return resolve(source, info, **args)

        return resolver


def _holds_fragments(value: object) -> bool:
    if isinstance(value, Fragment):
        return True
    nodes = getattr(value, "nodes", None)
    if isinstance(nodes, list) and any(isinstance(node, Fragment) for node in nodes):
        return True
    edges = getattr(value, "edges", None)
    return isinstance(edges, list) and any(
        isinstance(edge, Fragment) or isinstance(getattr(edge, "node", None), Fragment)
        for edge in edges
    )


async def _again(value: Any) -> Any:
    if isinstance(value, Exception):
        raise value
    return value


__all__ = ["PlanExecutionContext"]
