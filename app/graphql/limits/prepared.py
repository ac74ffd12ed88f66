"""Every check before execution in one schema extension, with what it finds remembered per
document text: parsing (with the token limit), validation (with the depth, alias and
introspection rules), the cost, and the NUL characters of the document's own strings.

Why one extension with one cache: clients send the same few documents over and over, with
other variables. strawberry's `ParserCache` / `ValidationCache` keyed validation by the parsed
document, whose hash walks the whole AST on every request; the cost and the NUL check walked
it again per request; and each of the six extensions this replaces cost strawberry's per-request
hook machinery (context managers built and entered per hook and per extension). Together that
was about a fifth of the server's CPU time for a one-record query. Now a request finds its
document by its text (one string hash), and what depends only on the text is computed once:

- the parsed document: once per text; a refusal (`TOO_MANY_TOKENS`, a syntax error) is not
  kept, the next request parses again;
- validation errors (the limits' rules included): once per text and set of rules;
- the first string literal holding a NUL: once per text;
- the cost and the input's lists: once per operation name and coerced values of the
  variables given to arguments (the only ones they read), when those values are scalars; a
  list or an input object among them is measured and priced afresh (within the input limits);
- the variables' coercion (graphql-core's, so `1000.0` is priced as the 1000 execution will
  see) and NUL in variable values: every request (never cached).

So a request with other variables is never answered another request's verdict: a variable
that can change the cost is part of the key (by its coerced value), and one that cannot is not.

The cache is per schema (it holds that schema's validation results), bounded (`maxsize`
documents, least recently used dropped first) and keeps no text longer than
`MAX_CACHED_QUERY_LENGTH` characters (those are prepared afresh each time), so a client
sending ever new documents cannot make it hold more than a bounded amount of memory.
"""

from __future__ import annotations

import contextlib
from collections import OrderedDict
from collections.abc import Hashable, Iterator
from dataclasses import dataclass, field
from enum import Enum
from functools import cached_property
from typing import Any, Final

from graphql import (
    ASTValidationRule,
    DocumentNode,
    FragmentDefinitionNode,
    GraphQLError,
    GraphQLInputType,
    GraphQLSchema,
    OperationDefinitionNode,
    StringValueNode,
    VariableNode,
    Visitor,
    VisitorAction,
    get_operation_ast,
    specified_rules,
    visit,
)
from graphql.execution.collect_fields import FragmentDetails
from graphql.execution.values import VariableValues
from strawberry.extensions import SchemaExtension
from strawberry.schema.schema import validate_document
from strawberry.types.graphql import OperationType
from strawberry.utils.operation import get_first_operation, get_operation_type

from app.graphql.limits.cost import NO_INPUT_LIMITS, coerce_variables, price, too_costly
from app.graphql.limits.inputs import InputLimits, measured_variables
from app.graphql.limits.text import literal_error, nul_in_literals, variables_error
from app.graphql.limits.tokens import parse_document

DEFAULT_MAXSIZE: Final = 1024
# Real documents are a few kilobytes; the body limit (1 MB) allows far longer ones.
MAX_CACHED_QUERY_LENGTH: Final = 64 * 1024
# Distinct variable values remembered per document (beyond that, costs are computed each time).
MAX_COSTS_PER_DOCUMENT: Final = 64
# Distinct operation names asked for per document (the same: beyond, looked up each time).
MAX_OPERATIONS_PER_DOCUMENT: Final = 16

# The rules strawberry's execution context starts with (graphql-core's).
_SPECIFIED_RULES: Final = tuple(specified_rules)

_ABSENT: Final = object()  # a variable that was not sent (its default, if any, applies)


class _Unknown(Enum):
    UNKNOWN = "unknown"  # not computed yet


_UNKNOWN: Final = _Unknown.UNKNOWN

SEVERAL_OPERATIONS: Final = (
    "operationName: the document has several operations; name the one to run."
)


@dataclass
class PreparedDocument:
    """A parsed document and what was found about it, filled in as requests ask."""

    document: DocumentNode
    _errors: dict[Hashable, list[GraphQLError]] = field(default_factory=dict)
    _nul_checked: bool = False
    _nul_literal: StringValueNode | None = None
    _argument_variables: tuple[str, ...] | None = None
    _costs: dict[tuple[object, ...], int] = field(default_factory=dict)
    _operations: dict[str | None, tuple[str | None, OperationType] | None] = field(
        default_factory=dict
    )
    _operation_nodes: dict[str | None, OperationDefinitionNode | None] = field(default_factory=dict)
    _measured: dict[str | None, tuple[tuple[str, GraphQLInputType], ...]] = field(
        default_factory=dict
    )
    _fragments: tuple[dict[str, FragmentDefinitionNode], dict[str, FragmentDetails]] | None = None

    def operation(self, provided_name: str | None) -> tuple[str | None, OperationType] | None:
        """The name and type of the operation a request names (`provided_name`; None: the
        only one), as strawberry's `ExecutionContext` finds them; None when there is none,
        or when no name is given and the document has several (strawberry would run the
        first; the spec's GetOperation refuses: `QueryChecks.parse`)."""
        if provided_name in self._operations:
            return self._operations[provided_name]
        name = provided_name
        found: tuple[str | None, OperationType] | None = None
        if name is not None or not self.several_operations:
            if name is None:
                first = get_first_operation(self.document)
                name = first.name.value if first is not None and first.name else None
            with contextlib.suppress(RuntimeError):
                found = (name, get_operation_type(self.document, name))
        if len(self._operations) < MAX_OPERATIONS_PER_DOCUMENT:
            self._operations[provided_name] = found
        return found

    @cached_property
    def several_operations(self) -> bool:
        """Whether the document has more than one operation (then a request must name one)."""
        definitions = self.document.definitions
        return sum(isinstance(node, OperationDefinitionNode) for node in definitions) > 1

    def validation_errors(
        self,
        schema: GraphQLSchema,
        rules: tuple[type[ASTValidationRule], ...],
        key: Hashable = None,
    ) -> list[GraphQLError]:
        """What `rules` find wrong with the document (strawberry's own rules added).

        Remembered under `key` (default: the rules themselves; a caller that always passes the
        same rules can name them with a cheaper key than a tuple of thirty classes to hash).
        """
        if key is None:
            key = rules
        errors = self._errors.get(key)
        if errors is None:
            errors = self._errors[key] = validate_document(schema, self.document, rules)
        return errors

    def nul_literal(self) -> StringValueNode | None:
        if not self._nul_checked:
            self._nul_literal, self._nul_checked = nul_in_literals(self.document), True
        return self._nul_literal

    def cost(
        self,
        schema: GraphQLSchema,
        operation_name: str | None,
        variables: dict[str, Any],
        default_page_size: int,
        inputs: InputLimits = NO_INPUT_LIMITS,
    ) -> int | None:
        """`operation_cost` of a validated document, remembered per operation and coerced
        values of the variables its arguments read (when they are hashable: a list or an
        input object is priced afresh each time, its size bounded by `inputs`).

        The variables are coerced on every request (a cheap step for the few scalars
        documents send), so `1000.0` and `1000` share an entry and are priced alike."""
        return self.cost_and_variables(
            schema, operation_name, variables, default_page_size, inputs
        )[0]

    def cost_and_variables(
        self,
        schema: GraphQLSchema,
        operation_name: str | None,
        variables: dict[str, Any],
        default_page_size: int,
        inputs: InputLimits = NO_INPUT_LIMITS,
    ) -> tuple[int | None, VariableValues | None]:
        """`cost`, and the coerced variables it priced (None when the operation was not
        found or they do not coerce): what graphql-core's execution would coerce them to
        again, so `app.fast.lean_schema` hands them to execution instead."""
        operation = self.operation_node(operation_name)
        if operation is None:
            return 0, None
        measured = self._measured.get(operation_name)
        if measured is None:
            measured = measured_variables(schema, operation.variable_definitions or ())
            if len(self._measured) < MAX_OPERATIONS_PER_DOCUMENT:
                self._measured[operation_name] = measured
        coerced = coerce_variables(schema, operation, variables, inputs, measured)
        if coerced is None:
            return None, None
        names = self._argument_variables
        if names is None:
            names = self._argument_variables = argument_variables(self.document)
        values = (operation_name, *(coerced.coerced.get(name, _ABSENT) for name in names))
        key: tuple[object, ...] | None = values
        try:
            cost = self._costs.get(values)
        except TypeError:  # a list or an input object among the values
            cost, key = None, None
        if cost is None:
            cost = price(schema, self.document, operation, coerced, default_page_size, inputs)
            if key is not None and len(self._costs) < MAX_COSTS_PER_DOCUMENT:
                self._costs[key] = cost
        return cost, coerced

    def fragments(
        self, schema: GraphQLSchema
    ) -> tuple[dict[str, FragmentDefinitionNode], dict[str, FragmentDetails]] | None:
        """The document's fragments as graphql-core's `Executor.build` collects them (by
        name: the definitions, and their details for field collection), made once; None
        when a fragment declares variables (experimental syntax, whose signatures `build`
        checks per request)."""
        if self._fragments is None:
            definitions: dict[str, FragmentDefinitionNode] = {}
            details: dict[str, FragmentDetails] = {}
            for definition in self.document.definitions:
                if isinstance(definition, FragmentDefinitionNode):
                    if definition.variable_definitions:
                        return None
                    definitions[definition.name.value] = definition
                    details[definition.name.value] = FragmentDetails(definition, None)
            self._fragments = definitions, details
        return self._fragments

    def operation_node(self, name: str | None) -> OperationDefinitionNode | None:
        """The operation named `name` (None: the only one), as graphql-core finds it."""
        if name in self._operation_nodes:
            return self._operation_nodes[name]
        found = get_operation_ast(self.document, name)
        if len(self._operation_nodes) < MAX_OPERATIONS_PER_DOCUMENT:
            self._operation_nodes[name] = found
        return found


def argument_variables(document: DocumentNode) -> tuple[str, ...]:
    """The variables given to an argument anywhere in `document` (in a list or an input
    object too), sorted: the only ones the cost and the input limits read."""
    names: set[str] = set()

    class Collect(Visitor):
        def enter_variable(self, node: VariableNode, *_args: Any) -> None:
            names.add(node.name.value)

        def enter_variable_definition(self, *_args: Any) -> VisitorAction:
            return Visitor.SKIP  # the definitions, not the uses

    visit(document, Collect())
    return tuple(sorted(names))


class DocumentCache:
    """Prepared documents by their text: a bounded LRU, one per schema."""

    def __init__(self, max_tokens: int, maxsize: int = DEFAULT_MAXSIZE) -> None:
        self.max_tokens = max_tokens
        self.maxsize = maxsize
        self._entries: OrderedDict[str, PreparedDocument] = OrderedDict()
        self.hits = 0
        self.misses = 0

    def get(self, query: str) -> PreparedDocument:
        """The prepared document of `query`; raises the parser's `GraphQLError` when it does
        not parse (a refusal is not remembered: the next request parses again)."""
        entry = self._entries.get(query)
        if entry is not None:
            self.hits += 1
            self._entries.move_to_end(query)
            return entry
        self.misses += 1
        entry = PreparedDocument(parse_document(query, self.max_tokens))
        if len(query) <= MAX_CACHED_QUERY_LENGTH and self.maxsize > 0:
            self._entries[query] = entry
            while len(self._entries) > self.maxsize:
                self._entries.popitem(last=False)
        return entry

    def __len__(self) -> int:
        return len(self._entries)


class QueryChecks(SchemaExtension):
    """The checks before execution (see the module docstring), and the cost in `extensions`.

    - parsing: the document comes from the cache; a document over `max_tokens` tokens is
      refused with `TOO_MANY_TOKENS`, a syntax error as graphql-core words it (either escapes
      the parsing hook, which strawberry turns into a request error);
    - validation: graphql-core's rules, strawberry's and `rules` (depth, aliases,
      introspection), remembered per document;
    - before execution, in this order: the lists of the input (`app.graphql.limits.inputs`)
      and the cost (`QUERY_TOO_COSTLY` above `max_cost`; none when the variables do not
      coerce: execution refuses them), a NUL in a string of the document, a NUL in a
      variable value (`BAD_USER_INPUT`).

    strawberry builds extensions per request: an instance holds one request's state; what
    every request of the schema shares (the cache, the rules, the limits) is its factory's,
    `shared` (made once per schema by `app.graphql.limits.query_checks`).
    """

    def __init__(self, shared: QueryChecksFactory) -> None:
        super().__init__()
        self.shared = shared
        self.max_cost = shared.max_cost
        self.prepared: PreparedDocument | None = None
        self.cost: int | None = None
        # The variables as the cost check coerced them (graphql-core's coercion; None when
        # they did not coerce): `app.fast.lean_schema` executes with them.
        self.variables: VariableValues | None = None

    # The checks, called by the hooks below or directly by `app.fast.lean_schema`, which
    # runs them without strawberry's hook machinery when this is the schema's only extension.

    def parse(self) -> None:
        """The document from the cache; raises the parser's `GraphQLError`."""
        context = self.execution_context
        assert context.query is not None  # strawberry refuses a request without one first
        self.prepared = self.shared.cache.get(context.query)
        context.graphql_document = self.prepared.document
        # The spec's GetOperation: with no operationName, only a document of one operation
        # runs (strawberry would pick the first and hide the mistake).
        if context._provided_operation_name is None and self.prepared.several_operations:
            raise GraphQLError(SEVERAL_OPERATIONS)

    def validate(self) -> None:
        """Sets the validation errors (an empty list when the document is valid)."""
        context = self.execution_context
        assert self.prepared is not None  # validation follows a successful parse
        shared, given = self.shared, context.validation_rules
        if given == _SPECIFIED_RULES:  # graphql-core's rules, as strawberry gives them
            rules, key = shared.rules_after_specified, shared.specified_key
        else:  # another extension changed them
            rules, key = (*given, *shared.rules), None
        context.pre_execution_errors = self.prepared.validation_errors(
            context.schema._schema, rules, key
        )

    def check_before_execution(self, operation_name: str | None | _Unknown = _UNKNOWN) -> None:
        """Raises the refusal of a valid operation: its cost, then a NUL in a string.

        `operation_name`: the operation's name when the caller knows it already (else the
        execution context's)."""
        context = self.execution_context
        prepared = self.prepared
        assert prepared is not None  # execution follows a successful validation
        if operation_name is _UNKNOWN:
            operation_name = context.operation_name
        variables = context.variables or {}
        shared = self.shared
        self.cost, self.variables = prepared.cost_and_variables(
            context.schema._schema,
            operation_name,
            variables,
            shared.default_page_size,
            shared.inputs,
        )
        if self.cost is not None and self.cost > self.max_cost:
            raise too_costly(self.cost, self.max_cost)
        literal = prepared.nul_literal()
        if literal is not None:
            raise literal_error(literal)
        if variables and (error := variables_error(variables)) is not None:
            raise error

    def on_parse(self) -> Iterator[None]:
        self.parse()
        yield

    def on_validate(self) -> Iterator[None]:
        self.validate()
        yield

    def on_execute(self) -> Iterator[None]:
        self.check_before_execution()
        yield

    def get_results(self) -> dict[str, Any]:
        if self.cost is None:
            return {}
        return {"cost": {"requested": self.cost, "limit": self.max_cost}}


class QueryChecksFactory:
    """Makes the `QueryChecks` of each request (strawberry calls extension factories per
    request); holds what all requests of a schema share: the cache, the rules, the limits.
    `app.fast.lean_schema` recognises it to run the checks without hook machinery."""

    def __init__(
        self,
        cache: DocumentCache,
        rules: tuple[type[ASTValidationRule], ...],
        max_cost: int,
        default_page_size: int,
        inputs: InputLimits,
    ) -> None:
        self.cache = cache
        self.rules = rules
        self.max_cost = max_cost
        self.default_page_size = default_page_size
        self.inputs = inputs
        # The rules of a request that no other extension changed, and the key their verdicts
        # are remembered under: cheaper to hash than thirty-odd classes, and unlike the flat
        # tuples of classes that other rule lists are remembered under.
        self.rules_after_specified = (*_SPECIFIED_RULES, *rules)
        self.specified_key = ("specified", rules)

    def __call__(self) -> QueryChecks:
        return QueryChecks(self)
