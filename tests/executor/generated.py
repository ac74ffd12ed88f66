"""Queries generated from the schema by hypothesis-graphql, shaped to run fast on the demo data.

Generating is slow (~0.1 s a query), so the generated documents are kept in
`generated_queries.json.gz`, written by `python -m tests.executor.generated` (run it when the
schema changes: the test reports how many stored documents no longer validate). The test
validates each stored document against the current schema, keeps those that still pass, and
adds a few freshly generated ones (seeded by the schema, so a run is reproducible).

Before running, `Shaper` bends each document towards the data (deterministically, from the
document's text): nesting is cut at `MAX_DEPTH` composite levels, lists get small pages
(`first` 1-4 when absent; generated `first`/`last` folded into 0..7 with a few -1 and 5000,
which fail), most random cursors are dropped, most ids become ids of seeded records (of the
type the argument names), and some selections gain what hypothesis-graphql never writes:
named fragments, `@skip`/`@include` on variables, repeated fields to merge, `__typename`.
"""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import json
import random
import zlib
from pathlib import Path
from typing import Any

from graphql import (
    ArgumentNode,
    BooleanValueNode,
    DirectiveNode,
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLInputObjectType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    ListValueNode,
    NamedTypeNode,
    NameNode,
    NonNullTypeNode,
    NullValueNode,
    ObjectFieldNode,
    ObjectValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    StringValueNode,
    VariableDefinitionNode,
    VariableNode,
    get_named_type,
    is_composite_type,
    parse,
    parse_type,
    print_ast,
    validate,
)

CORPUS = Path(__file__).with_name("generated_queries.json.gz")
STORED = 2400  # documents in the corpus file (some stop validating as the schema changes)
MAX_DEPTH = 4


def schema_digest(schema: GraphQLSchema) -> str:
    from graphql import print_schema

    return hashlib.sha256(print_schema(schema).encode()).hexdigest()


def generate(schema: GraphQLSchema, count: int, seed: int) -> list[str]:
    """`count` query documents from hypothesis-graphql, one root field each."""
    from hypothesis import HealthCheck, Phase, given, settings
    from hypothesis import seed as hypothesis_seed
    from hypothesis import strategies as st
    from hypothesis_graphql import nodes, queries

    instants = st.datetimes(
        min_value=dt.datetime(2024, 1, 1), max_value=dt.datetime(2026, 12, 31),
        timezones=st.just(dt.UTC),
    ).map(lambda d: nodes.String(d.isoformat()))  # fmt: skip
    days = st.dates(min_value=dt.date(2024, 1, 1), max_value=dt.date(2026, 12, 31)).map(
        lambda d: nodes.String(d.isoformat())
    )
    scalars = {
        "DateTime": instants,
        "DateOrDateTime": st.one_of(days, instants),
        "Decimal": st.decimals(min_value=0, max_value=100, places=2).map(nodes.String),
        "UUID": st.uuids().map(nodes.String),
    }
    assert schema.query_type is not None
    roots = sorted(schema.query_type.fields)
    strategy = st.sampled_from(roots).flatmap(
        lambda root: queries(
            schema,
            fields=[root],
            custom_scalars=scalars,
            allow_x00=False,
            print_ast=print_ast,
        )
    )
    found: list[str] = []

    @hypothesis_seed(seed)
    @settings(
        max_examples=count, database=None, deadline=None, phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )  # fmt: skip
    @given(strategy)
    def collect(document: str) -> None:
        found.append(document)

    collect()
    return found


def stored_documents() -> list[str]:
    if not CORPUS.exists():
        return []
    return list(json.loads(gzip.decompress(CORPUS.read_bytes()))["queries"])


def still_valid(schema: GraphQLSchema, documents: list[str]) -> list[str]:
    return [d for d in documents if not validate(schema, parse(d))]


class Shaper:
    """Bends one generated document towards the seeded data (see the module's docstring)."""

    def __init__(self, schema: GraphQLSchema, ids: dict[str, list[str]], text: str) -> None:
        self.schema = schema
        self.ids = ids
        self.seed = zlib.crc32(text.encode())
        self.rng = random.Random(self.seed)
        self.fragments: list[FragmentDefinitionNode] = []
        self.variables: dict[str, Any] = {}
        self.variable_types: dict[str, Any] = {}  # a variable's type node, when not Boolean!

    def shape(self, document: DocumentNode) -> tuple[str, dict[str, Any]]:
        operation = next(d for d in document.definitions if isinstance(d, OperationDefinitionNode))
        root = self.schema.query_type
        selection = self.selection_set(operation.selection_set, root, 1) or _typename_only()
        definitions = [
            VariableDefinitionNode(
                variable=VariableNode(name=NameNode(value=name)),
                type=self.variable_types.get(name)
                or NonNullTypeNode(type=NamedTypeNode(name=NameNode(value="Boolean"))),
            )
            for name in sorted(self.variables)
        ]
        shaped = OperationDefinitionNode(
            operation=operation.operation,
            name=NameNode(value="Generated"),
            variable_definitions=tuple(definitions),
            directives=(),
            selection_set=selection,
        )
        text = print_ast(DocumentNode(definitions=(shaped, *self.fragments)))
        return text, dict(self.variables)

    def selection_set(
        self, selection_set: SelectionSetNode | None, parent: Any, depth: int
    ) -> SelectionSetNode | None:
        if selection_set is None:
            return None
        rng = self.rng
        out: list[Any] = []
        if rng.random() < 0.15:
            out.append(_field("__typename"))
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                shaped = self.field(selection, parent, depth)
                if shaped is None:
                    continue
                out.append(shaped)
                if shaped.selection_set is not None and rng.random() < 0.1:
                    # the same field again, with part of its selection: merged by the executor
                    inner = shaped.selection_set.selections
                    part = SelectionSetNode(selections=tuple(inner[: max(1, len(inner) // 2)]))
                    out.append(_replace_field(shaped, selection_set=part))
            elif isinstance(selection, InlineFragmentNode):
                condition = (
                    self.schema.get_type(selection.type_condition.name.value)
                    if selection.type_condition
                    else parent
                )
                inner = self.selection_set(selection.selection_set, condition, depth)
                if inner is None:
                    continue
                if rng.random() < 0.3 and condition is not None:
                    name = f"F{len(self.fragments)}"
                    self.fragments.append(
                        FragmentDefinitionNode(
                            name=NameNode(value=name),
                            type_condition=NamedTypeNode(name=NameNode(value=condition.name)),
                            directives=(),
                            selection_set=inner,
                        )
                    )
                    out.append(FragmentSpreadNode(name=NameNode(value=name), directives=()))
                else:
                    out.append(
                        InlineFragmentNode(
                            type_condition=selection.type_condition,
                            directives=(),
                            selection_set=inner,
                        )
                    )
            else:  # pragma: no cover - hypothesis-graphql writes no spreads
                out.append(selection)
        if not out:
            return None
        return SelectionSetNode(selections=tuple(out))

    def field(self, node: FieldNode, parent: Any, depth: int) -> FieldNode | None:
        name = node.name.value
        definition = getattr(parent, "fields", {}).get(name)
        if definition is None:
            return node
        named = get_named_type(definition.type)
        selection = None
        if is_composite_type(named):
            if depth >= MAX_DEPTH:
                return None
            selection = self.selection_set(node.selection_set, named, depth + 1) or _typename_only()
        arguments = self.arguments(node, definition, named)
        directives: tuple[DirectiveNode, ...] = ()
        roll = self.rng.random()
        if roll < 0.06:
            directives = (self.condition("include", "yes"),)
        elif roll < 0.12:
            directives = (self.condition("skip", "no"),)
        elif roll < 0.14:
            directives = (
                DirectiveNode(
                    name=NameNode(value="include"),
                    arguments=(_argument("if", BooleanValueNode(value=False)),),
                ),
            )
        return FieldNode(
            alias=node.alias,
            name=node.name,
            arguments=arguments,
            directives=directives,
            selection_set=selection,
        )

    def condition(self, directive: str, variable: str) -> DirectiveNode:
        self.variables.setdefault(variable, self.rng.random() < 0.5)
        return DirectiveNode(
            name=NameNode(value=directive),
            arguments=(_argument("if", VariableNode(name=NameNode(value=variable))),),
        )

    def arguments(self, node: FieldNode, definition: Any, named: Any) -> tuple[ArgumentNode, ...]:
        # Seeded by the field and its arguments as generated: the same field selected twice
        # (in two fragments, say) must keep identical arguments, or the document is invalid.
        rng = random.Random(zlib.crc32(print_ast(node).encode()) ^ self.seed)
        out: list[ArgumentNode] = []
        given = {a.name.value: a.value for a in node.arguments or ()}
        names = {name for name, value in given.items() if not isinstance(value, NullValueNode)}
        # the record type of the field (a list's node type): what its `id`s point at
        owner = named.name.removesuffix("Connection")
        for argument in node.arguments or ():
            name = argument.name.value
            value = argument.value
            spec = definition.args.get(name)
            if name == "last" and "first" in names and rng.random() < 0.85:
                continue  # both make a BAD_USER_INPUT error: keep a few
            if name == "first" and isinstance(value, NullValueNode) and "last" not in names:
                continue  # replaced by a small page below
            if name in ("first", "last") and isinstance(value, IntValueNode):
                number = int(value.value)
                folded = 5000 if number % 29 == 7 else -1 if number % 13 == 5 else number % 8
                value = IntValueNode(value=str(folded))
            elif name in ("after", "before") and isinstance(value, StringValueNode):
                if rng.random() < 0.85:
                    continue
            elif spec is not None:
                value = self.value(value, spec.type, name, owner, rng)
            out.append(ArgumentNode(name=argument.name, value=value))
        if named.name.endswith("Connection") and not ({"first", "last"} & names):
            out.append(_argument("first", IntValueNode(value=str(rng.randint(1, 4)))))
        return tuple(out)

    def value(self, value: Any, type_: Any, hint: str, owner: str, rng: random.Random) -> Any:
        """`hint`: the argument or input field the value is for; `owner`: the record type
        of the field (an `id`, or an `id` filter, points at one of those)."""
        if isinstance(type_, GraphQLNonNull):
            type_ = type_.of_type
        if isinstance(type_, GraphQLList) and isinstance(value, ListValueNode):
            return ListValueNode(
                values=tuple(self.value(v, type_.of_type, hint, owner, rng) for v in value.values)
            )
        if isinstance(type_, GraphQLInputObjectType) and isinstance(value, ObjectValueNode):
            fields = []
            for item in value.fields:
                spec = type_.fields.get(item.name.value)
                name = item.name.value
                # `eq`/`in` of a filter on `siteId` are ids of sites: keep the outer hint
                inner_hint = hint if name in ("eq", "ne", "in") else name
                inner = (
                    item.value
                    if spec is None
                    else self.value(item.value, spec.type, inner_hint, owner, rng)
                )
                fields.append(ObjectFieldNode(name=item.name, value=inner))
            return ObjectValueNode(fields=tuple(fields))
        is_id = getattr(type_, "name", None) == "ID"
        if is_id and isinstance(value, (StringValueNode, IntValueNode)) and rng.random() < 0.9:
            return StringValueNode(value=self.pick_id(owner if hint == "id" else hint, rng))
        return value

    def pick_id(self, hint: str, rng: random.Random) -> str:
        stem = hint[:-3] if hint.endswith("Ids") else hint.removesuffix("Id")
        type_name = stem[:1].upper() + stem[1:]
        if type_name == "Referrer":
            type_name = "Customer"
        pool = self.ids.get(type_name) or self.ids[rng.choice(sorted(self.ids))]
        return rng.choice(pool)


class ClientShaper(Shaper):
    """A `Shaper` that then respells the document as client code writes it (issue 18): a
    list's `nodes` as `edges { cursor node }` (sometimes both), `pageInfo` with both cursors
    and `totalCount` added, a record's selection moved into a named fragment or joined by
    fragments on its interfaces, a list asked again under an alias with other arguments,
    page sizes passed as variables, and a root lookup by id asked through `node(id:)`."""

    ROOTS_BY_ID = frozenset(
        {"organisation", "site", "customer", "coupon", "couponCode", "assignment", "redemption"}
    )

    def field(self, node: FieldNode, parent: Any, depth: int) -> FieldNode | None:
        shaped = super().field(node, parent, depth)
        definition = getattr(parent, "fields", {}).get(node.name.value)
        if shaped is None or definition is None:
            return shaped
        named = get_named_type(definition.type)
        rng = self.rng
        if shaped.selection_set is not None:
            if named.name.endswith("Connection"):
                shaped = _replace_field(shaped, selection_set=self.connection(shaped, named))
            elif _is_record(named):
                shaped = _replace_field(shaped, selection_set=self.record(shaped, named))
        arguments = self.as_variables(shaped.arguments or (), definition)
        shaped = _replace_field(shaped, arguments=arguments)
        if (
            depth == 1
            and node.name.value in self.ROOTS_BY_ID
            and shaped.selection_set is not None
            and rng.random() < 0.5
        ):
            inline = InlineFragmentNode(
                type_condition=NamedTypeNode(name=NameNode(value=named.name)),
                directives=(),
                selection_set=shaped.selection_set,
            )
            extra: tuple[Any, ...] = (_field("__typename"),) if rng.random() < 0.5 else ()
            shaped = _replace_field(
                shaped,
                alias=shaped.alias or shaped.name,
                name=NameNode(value="node"),
                selection_set=SelectionSetNode(selections=(*extra, inline)),
            )
        return shaped

    def selection_set(
        self, selection_set: SelectionSetNode | None, parent: Any, depth: int
    ) -> SelectionSetNode | None:
        shaped = super().selection_set(selection_set, parent, depth)
        if shaped is None:
            return None
        out = list(shaped.selections)
        for selection in shaped.selections:
            # a list asked again under an alias, with another page size
            if (
                isinstance(selection, FieldNode)
                and selection.alias is None
                and selection.name.value != "node"
                and selection.selection_set is not None
                and any(a.name.value == "first" for a in selection.arguments or ())
                and self.rng.random() < 0.15
            ):
                arguments = tuple(
                    _argument("first", IntValueNode(value=str(self.rng.randint(0, 5))))
                    if a.name.value == "first"
                    else a
                    for a in selection.arguments or ()
                )
                alias = NameNode(value=f"again{len(out)}")
                out.append(_replace_field(selection, alias=alias, arguments=arguments))
        return SelectionSetNode(selections=tuple(out))

    def connection(self, field: FieldNode, named: Any) -> SelectionSetNode:
        rng = self.rng
        assert field.selection_set is not None
        out: list[Any] = []
        for selection in field.selection_set.selections:
            if (
                isinstance(selection, FieldNode)
                and selection.name.value == "nodes"
                and selection.alias is None
                and selection.selection_set is not None
                and rng.random() < 0.7
            ):
                edge_fields = [_field("cursor")] if rng.random() < 0.8 else []
                node = FieldNode(
                    name=NameNode(value="node"), arguments=(), directives=(),
                    selection_set=selection.selection_set,
                )  # fmt: skip
                if rng.random() < 0.1:
                    edge_fields.append(_field("__typename"))
                edge_fields.append(node)
                out.append(
                    FieldNode(
                        name=NameNode(value="edges"),
                        arguments=(),
                        directives=selection.directives,
                        selection_set=SelectionSetNode(selections=tuple(edge_fields)),
                    )  # fmt: skip
                )
                if rng.random() < 0.1:  # nodes too: the two selections are not merged
                    out.append(selection)
            else:
                out.append(selection)
        if (
            not any(isinstance(s, FieldNode) and s.name.value in ("nodes", "edges") for s in out)
            and rng.random() < 0.6
        ):  # the rows, as Relay asks for them
            node = FieldNode(
                name=NameNode(value="node"), arguments=(), directives=(),
                selection_set=SelectionSetNode(selections=(_field("id"),)),
            )  # fmt: skip
            out.append(
                FieldNode(
                    name=NameNode(value="edges"),
                    arguments=(),
                    directives=(),
                    selection_set=SelectionSetNode(selections=(_field("cursor"), node)),
                )  # fmt: skip
            )
        if rng.random() < 0.35:
            names = ["hasNextPage", "hasPreviousPage", "startCursor", "endCursor"]
            rng.shuffle(names)
            out.append(
                FieldNode(
                    name=NameNode(value="pageInfo"),
                    arguments=(),
                    directives=(),
                    selection_set=SelectionSetNode(
                        selections=tuple(_field(n) for n in names[: rng.randint(1, 4)])
                    ),
                )  # fmt: skip
            )
        if rng.random() < 0.2:
            out.append(_field("totalCount"))
        return SelectionSetNode(selections=tuple(out))

    def record(self, field: FieldNode, named: Any) -> SelectionSetNode:
        rng = self.rng
        assert field.selection_set is not None
        selections = tuple(field.selection_set.selections)
        roll = rng.random()
        if roll < 0.4:  # a fragment per component
            name = f"C{len(self.fragments)}"
            self.fragments.append(
                FragmentDefinitionNode(
                    name=NameNode(value=name),
                    type_condition=NamedTypeNode(name=NameNode(value=named.name)),
                    directives=(),
                    selection_set=SelectionSetNode(selections=selections),
                )
            )
            selections = (FragmentSpreadNode(name=NameNode(value=name), directives=()),)
        elif roll < 0.6:
            interface = rng.choice(named.interfaces)
            fields = [f for f in ("id", "createdAt", "siteId") if f in interface.fields]
            inline = InlineFragmentNode(
                type_condition=NamedTypeNode(name=NameNode(value=interface.name)),
                directives=(),
                selection_set=SelectionSetNode(selections=tuple(_field(f) for f in fields)),
            )
            selections = (*selections, inline)
        return SelectionSetNode(selections=selections)

    def as_variables(
        self, arguments: tuple[ArgumentNode, ...], definition: Any
    ) -> tuple[ArgumentNode, ...]:
        """Page sizes (and some ids) passed as variables rather than written in."""
        out = []
        for argument in arguments:
            value = argument.value
            name = argument.name.value
            spec = definition.args.get(name)
            if (
                spec is not None
                and name in ("first", "last", "id")
                and isinstance(value, (IntValueNode, StringValueNode))
                and self.rng.random() < 0.4
            ):
                variable = f"v{len(self.variables)}"
                is_int = isinstance(value, IntValueNode)
                self.variables[variable] = int(value.value) if is_int else value.value
                self.variable_types[variable] = parse_type(str(spec.type))
                value = VariableNode(name=NameNode(value=variable))
            out.append(ArgumentNode(name=argument.name, value=value))
        return tuple(out)


def _is_record(type_: Any) -> bool:
    return any(i.name == "Node" for i in getattr(type_, "interfaces", ()))


def _field(name: str) -> FieldNode:
    return FieldNode(name=NameNode(value=name), arguments=(), directives=())


def _argument(name: str, value: Any) -> ArgumentNode:
    return ArgumentNode(name=NameNode(value=name), value=value)


def _typename_only() -> SelectionSetNode:
    return SelectionSetNode(selections=(_field("__typename"),))


def _replace_field(node: FieldNode, **changes: Any) -> FieldNode:
    keys = ("alias", "name", "arguments", "directives", "selection_set")
    values = {key: getattr(node, key) for key in keys}
    values.update(changes)
    return FieldNode(**values)


def refresh(count: int = STORED, seed: int = 6) -> None:
    """Regenerates the corpus file for the current schema."""
    from app.graphql.schema import build_schema

    schema = build_schema()._schema
    documents = generate(schema, count, seed)
    corpus = {"schema_sha256": schema_digest(schema), "seed": seed, "queries": documents}
    text = json.dumps(corpus, ensure_ascii=False, indent=0) + "\n"
    CORPUS.write_bytes(gzip.compress(text.encode(), mtime=0))
    print(f"{len(documents)} documents written to {CORPUS}")


if __name__ == "__main__":
    refresh()
