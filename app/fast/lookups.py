"""Lookups by id answered from a remembered statement: `coupon(id:)`, `node(id:)` and the like.

A client refetches one record by id over and over (`coupon(id: $id) { ... }`, a Relay
`node(id: $id)` refetch). Once the database renders its selection (app.fast.rendering), the
answer is one statement's one value: the record's JSON, embedded as it is. Yet every request
still built graphql-core's executor, planned the operation, ran strawberry's resolver (its
arguments converted), found the render in the renderer's cache (its key made from the
response path and the variables below the field) and completed the value: about a third of
the server's CPU time of such a request, for a statement that depends only on the document,
the caller and the kind of record.

Here, once per document text and operation name (a `QueryPlan` of app.fast.planned_requests
first), a document is recognised when its one root field, without alias or directive, is a
lookup by id (`LOOKUPS`, or `node`) whose only argument is `id`, a variable or a string, and
the operation declares no variable but that one (so the selection below reads none). Each
request:

1. the variables, cost and limits exactly as the planned path admits them
   (`PlannedSchema._admitted`, whose refusals go down that path);
2. the id read as the resolver reads it (`decode_id`, `parse_global_id` for `node`); an id
   the resolver would refuse (another type, not a global id) goes down the planned path,
   which answers the error;
3. the caller's scope as the resolver asks it (`require_scope`: a refusal goes down the
   planned path, which answers FORBIDDEN or UNAUTHENTICATED);
4. the statement remembered for (the caller, the kind of record): made by the renderer on
   the first such request, which the planned path answers here, after which the rendered
   record and its columns are read from the renderer's cache under the key the renderer
   itself used. Nothing remembered (a selection that does not render): the planned path
   answers, as before; in an app that renders nothing (SQLite, rendering off) the document
   is left to the planned path after its first request;
5. the statement runs through the renderer's own read of a lookup (`rendered_row`: the
   request's database, its lock, read budget and prepared reads), so it is the same
   prepared statement; the row's JSON is the field's value, none is null;
6. a failing read is the field's error at its path, as graphql-core locates it, processed
   by strawberry as the planned path processes it.

The endpoint (deadlines, masking, the budget's answer, status codes) treats the result as
any other. tests/fast/test_lookups.py sends the same requests with and without this
shortcut and requires byte-identical responses.
"""

from __future__ import annotations

from collections import Counter, OrderedDict
from collections.abc import Iterable
from typing import Any, ClassVar, Final

from graphql import (
    ExecutionResult as GraphQLExecutionResult,
)
from graphql import (
    FieldNode,
    GraphQLSchema,
    StringValueNode,
    VariableNode,
    get_nullable_type,
    located_error,
)
from strawberry.types import ExecutionResult
from strawberry.types.graphql import OperationType

from app.auth.roles import Action
from app.db.filters import Trashed
from app.fast.lean_schema import Shortcut
from app.fast.planned_requests import NotPlanned, PlannedSchema, QueryPlan, takes_queries
from app.fast.rendering import rendered_node, rendered_row, renders
from app.graphql.ids import decode_id, parse_global_id
from app.graphql.types.base import NODE_TYPES

# The root fields that are `_by_id` lookups (app.graphql.queries), by the record type they
# answer; `node` answers any of NODE_TYPES.
LOOKUPS: Final = {
    "organisation": "Organisation",
    "site": "Site",
    "customer": "Customer",
    "coupon": "Coupon",
    "couponCode": "CouponCode",
    "assignment": "Assignment",
    "redemption": "Redemption",
}
NODE: Final = "node"
MAX_LOOKUP_PLANS: Final = 256
# Statements remembered per document: one per caller and kind of record (callers are few
# per document in practice; the bound keeps a crowd of tokens from holding memory).
MAX_STATEMENTS: Final = 256


class NotLookedUp(NotPlanned):
    """The request is not one this shortcut answers: the planned path (then the lean) does."""


_NOT_LOOKED_UP: Final = NotLookedUp()


class LookupPlan:
    """One document whose only root field is a lookup by id (the module docstring)."""

    __slots__ = (
        "field", "key", "literal", "plan", "record_type", "statements", "unrendered", "variable",
    )  # fmt: skip

    def __init__(
        self,
        plan: QueryPlan,
        field: FieldNode,
        record_type: str | None,
        variable: str | None,
        literal: str | None,
    ) -> None:
        self.plan = plan
        self.field = field
        self.key = field.name.value
        # the record type of a typed lookup, None for `node` (the id's own type)
        self.record_type = record_type
        # the id: the variable's name, or the literal
        self.variable = variable
        self.literal = literal
        # (principal, record type) -> (table, columns, rendered document)
        self.statements: OrderedDict[tuple[Any, str], tuple[Any, Any, Any]] = OrderedDict()
        # the app renders no record (SQLite, rendering off): nothing to learn, ever
        self.unrendered = False

    @classmethod
    def of(cls, schema: GraphQLSchema, plan: QueryPlan) -> LookupPlan | None:
        selections = plan.node.selection_set.selections
        if len(selections) != 1:
            return None
        (field,) = selections
        if not isinstance(field, FieldNode) or field.alias is not None or field.directives:
            return None
        name = field.name.value
        record_type = LOOKUPS.get(name)
        if record_type is None and name != NODE:
            return None
        query_type = schema.query_type
        definition = None if query_type is None else query_type.fields.get(name)
        if definition is None or field.selection_set is None:
            return None
        returned = get_nullable_type(definition.type)
        if record_type is not None and getattr(returned, "name", None) != record_type:
            return None
        arguments = field.arguments or ()
        if len(arguments) != 1 or arguments[0].name.value != "id":
            return None
        value = arguments[0].value
        declared = [name for name, _kind, _non_null, _signature in plan.variables]
        if isinstance(value, VariableNode):
            if declared != [value.name.value]:
                return None
            return cls(plan, field, record_type, value.name.value, None)
        if isinstance(value, StringValueNode) and not declared:
            return cls(plan, field, record_type, None, value.value)
        return None

    def record_id(self, coerced: dict[str, Any]) -> tuple[str, int]:
        """(the record type, its database id), as the field's resolver reads the id;
        `NotLookedUp` for an id it refuses (the planned path answers its error)."""
        given = self.literal if self.variable is None else coerced.get(self.variable)
        if type(given) is not str:
            raise _NOT_LOOKED_UP
        if self.record_type is not None:
            try:
                return self.record_type, decode_id(given, self.record_type, field="id")
            except Exception:  # BadInput: the resolver's own error, from the planned path
                raise _NOT_LOOKED_UP from None
        parsed = parse_global_id(given)
        if parsed is None or parsed[0] not in NODE_TYPES:
            raise _NOT_LOOKED_UP
        return parsed

    def learn(self, principal: Any, record_type: str, renderer: Any) -> None:
        """Remembers what the renderer made for this field of this caller's request, if it
        rendered."""
        found = None if renderer is None else renderer.remembered_record(self.key, record_type)
        if found is None:
            return
        document, columns = found
        statements = self.statements
        if len(statements) >= MAX_STATEMENTS:
            statements.popitem(last=False)
        statements[principal, record_type] = (NODE_TYPES[record_type][1].table, columns, document)


class LookupSchema(PlannedSchema):
    """A schema whose `execute` answers lookups by id from remembered statements (the module
    docstring), every other request through the planned path and `LeanSchema`."""

    # Requests answered here ("answered"; of which "learning": by the planned path, the
    # statement not known yet) and left to the planned path ("planned") (tests).
    lookup_stats: ClassVar[Counter[str]] = Counter()
    shortcut = Shortcut(
        find="lookup_plan",
        answer="_execute_lookup",
        declined=NotPlanned,
        counts=lookup_stats,
        answered="answered",
        fell_back="planned",
        takes=takes_queries,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._lookup_plans: OrderedDict[QueryPlan, LookupPlan | None] = OrderedDict()

    def lookup_plan(self, query: str | None, operation_name: str | None) -> LookupPlan | None:
        plan = self.query_plan(query, operation_name)
        if plan is None:
            return None
        plans = self._lookup_plans
        if plan in plans:
            found = plans[plan]
            return None if found is None or found.unrendered else found
        made = LookupPlan.of(self._schema, plan)
        plans[plan] = made
        while len(plans) > MAX_LOOKUP_PLANS:
            plans.popitem(last=False)
        return made

    async def _execute_lookup(  # noqa: PLR0917 (the Shortcut's signature)
        self,
        lookup: LookupPlan,
        query: str | None,
        variable_values: dict[str, Any] | None,
        context_value: Any,
        root_value: Any,
        allowed_operation_types: Iterable[OperationType] | None,
        operation_extensions: dict[str, Any] | None,
    ) -> ExecutionResult:
        plan = lookup.plan
        admitted = self._admitted(plan, query, variable_values)
        variables, cost, extensions = admitted
        record_type, db_id = lookup.record_id(variables.coerced)
        principal = context_value.principal
        statement = lookup.statements.get((principal, record_type))
        if statement is not None and not renders(context_value):
            # the renderer reads the setting per request, and so does this
            raise _NOT_LOOKED_UP
        if statement is None:
            result = await self._execute_planned(
                plan, query, variable_values, context_value, root_value,
                allowed_operation_types, operation_extensions, admitted=admitted,
            )  # fmt: skip
            # (the renderer's statement holds whatever its read met: a read that failed, or
            # went over the budget, was the same statement)
            lookup.learn(principal, record_type, getattr(context_value, "renderer", None))
            if not renders(context_value):
                lookup.unrendered = True  # never will, in this app: the planned path answers
            self.lookup_stats["learning"] += 1
            return result
        table, columns, document = statement
        try:
            scope = context_value.access.require_scope(record_type, Action.READ)
        except Exception:  # the resolver's refusal: the planned path answers it
            raise _NOT_LOOKED_UP from None
        spec = NODE_TYPES[record_type][1]
        loaders = context_value.loaders
        try:
            # the renderer's own read of a lookup, so the same prepared statement
            row = await rendered_row(
                context_value.db, table, columns, db_id,
                lambda: loaders.visible(spec, Trashed.WITHOUT), (Trashed.WITHOUT, scope, document),
            )  # fmt: skip
        except Exception as error:  # noqa: BLE001 (graphql-core's policy: the field's error)
            located = located_error(error, [lookup.field], [lookup.key])
            return await self._strawberry_result(
                plan, query, variable_values, context_value, root_value,
                allowed_operation_types, operation_extensions, cost,
                GraphQLExecutionResult(data={lookup.key: None}, errors=[located]),
                process=False,
            )  # fmt: skip
        value = None if row is None else rendered_node(row)
        return ExecutionResult(data={lookup.key: value}, errors=None, extensions=extensions)


__all__ = ["LookupPlan", "LookupSchema", "NotLookedUp"]
