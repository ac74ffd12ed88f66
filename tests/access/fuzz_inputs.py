"""Operations with variables, and values for them, drawn from the schema (issue 22, item 5).

hypothesis-graphql writes documents with literal arguments; what the input limits and
graphql-core's coercion of variables see is drawn here: for each root field with arguments,
an operation giving every argument a variable and using the field twice (each use of a
variable counts again), and JSON values for those variables that are mostly of the right
shape and often not: floats for an Int (whole: coerced; fractional: refused), huge and
out-of-range numbers, lists of every length around the limits (up to 5,000 items), input
field names that do not exist, `and`/`or` nested deeper than allowed, nulls, wrong kinds.
"""

from __future__ import annotations

from typing import Any

from graphql import (
    GraphQLEnumType,
    GraphQLField,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLList,
    GraphQLNamedType,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
    GraphQLSchema,
    get_named_type,
    is_leaf_type,
)
from hypothesis import strategies as st

# Lengths of lists: short ones mostly, and the edges of the limits (100 per list).
LENGTHS = st.one_of(st.integers(0, 3), st.sampled_from([100, 101, 1000, 5000]))
MAX_NESTING = 6  # input objects inside input objects the drawing goes (deeper: a leaf)
WRONG_NAMES = ["cod", "startWith", "ors", "AND", "__typename", "nodes", ""]
# Values of a wrong kind for any type, drawn one time in WRONG_ONE_IN at each level.
WRONG = st.sampled_from([None, "", [], {}, True, 1.5])
WRONG_ONE_IN = 30


def operation(schema: GraphQLSchema, root: GraphQLObjectType, name: str) -> str | None:
    """An operation giving each argument of `root.name` a variable, the field used twice;
    None when the field has no arguments."""
    field = root.fields[name]
    if not field.args:
        return None
    definitions = ", ".join(f"${arg}: {field.args[arg].type}" for arg in field.args)
    arguments = ", ".join(f"{arg}: ${arg}" for arg in field.args)
    selection = _selection(field)
    kind = "mutation" if root is schema.mutation_type else "query"
    uses = " ".join(f"u{i}: {name}({arguments}){selection}" for i in range(2))
    return f"{kind}({definitions}) {{ {uses} }}"


def _selection(field: GraphQLField) -> str:
    named = get_named_type(field.type)
    if is_leaf_type(named):
        return ""
    fields = getattr(named, "fields", {})
    if "nodes" in fields:
        total = "totalCount " if "totalCount" in fields else ""
        return f" {{ {total}nodes {{ __typename }} }}"
    return " { __typename }"


def variables(
    field: GraphQLField, scalars: dict[str, st.SearchStrategy[Any]]
) -> st.SearchStrategy[dict[str, Any]]:
    """Values for the variables `operation` declares for `field` (some left out); for a list
    with a filter, often a wide `and`/`or` and the rest left out."""
    drawn = st.fixed_dictionaries(
        {},
        optional={name: value(arg.type, scalars, 0) for name, arg in field.args.items()},
    )
    filter_arg = field.args.get("filter")
    if filter_arg is None:
        return drawn
    filter_type = get_named_type(filter_arg.type)
    assert isinstance(filter_type, GraphQLInputObjectType)
    item = _shaped(filter_type, scalars, 1)
    wide = st.tuples(st.sampled_from(["and", "or"]), item, LENGTHS).map(
        lambda t: {"filter": {t[0]: [t[1]] * t[2]}}
    )
    return st.one_of(drawn, wide)


Scalars = dict[str, st.SearchStrategy[Any]]


def value(type_: GraphQLInputType, scalars: Scalars, depth: int) -> st.SearchStrategy[Any]:
    """A JSON value for `type_`: of the right shape, but one time in `WRONG_ONE_IN` (at
    each level) of a wrong kind."""
    return st.integers(1, WRONG_ONE_IN).flatmap(
        lambda draw: WRONG if draw == 1 else _shaped(type_, scalars, depth)
    )


def _shaped(type_: GraphQLInputType, scalars: Scalars, depth: int) -> st.SearchStrategy[Any]:
    if isinstance(type_, GraphQLNonNull):
        return _shaped(type_.of_type, scalars, depth)
    if isinstance(type_, GraphQLList):
        item = value(type_.of_type, scalars, depth + 1)
        repeated = st.tuples(item, LENGTHS).map(lambda pair: [pair[0]] * pair[1])
        return st.one_of(
            st.lists(item, max_size=3),
            repeated,
            repeated,
            item,  # one value for a list of one
        )
    named: GraphQLNamedType = type_
    if isinstance(named, GraphQLInputObjectType):
        if depth >= MAX_NESTING:
            return st.just({})
        fields = {
            name: st.deferred(lambda f=field: value(f.type, scalars, depth + 1))
            for name, field in named.fields.items()
        }
        valid = st.fixed_dictionaries({}, optional=fields)
        misspelt = st.tuples(valid, st.sampled_from(WRONG_NAMES), st.integers()).map(
            lambda t: {**t[0], t[1]: t[2]}
        )
        return st.one_of(valid, valid, valid, valid, misspelt, deep_and_or(named))
    if isinstance(named, GraphQLEnumType):
        return st.one_of(st.sampled_from(sorted(named.values)), st.sampled_from(["nope", "asc"]))
    assert isinstance(named, GraphQLScalarType)
    return _scalar(named.name, scalars)


def deep_and_or(type_: GraphQLInputObjectType) -> st.SearchStrategy[Any]:
    """A filter whose `and`/`or` nest up to 40 deep (only filters have them)."""
    if "and" not in type_.fields:
        return st.just({})

    def nest(pair: tuple[int, str]) -> Any:
        levels, key = pair
        built: Any = {}
        for _ in range(levels):
            built = {key: [built]}
        return built

    return st.tuples(st.integers(1, 40), st.sampled_from(["and", "or"])).map(nest)


def _scalar(name: str, scalars: dict[str, st.SearchStrategy[Any]]) -> st.SearchStrategy[Any]:
    if name == "Int":
        return st.one_of(
            st.integers(0, 40),
            st.sampled_from([1000.0, 40.0, 1000, 2.5, -1.0, 2**31, 10**30, 1e300]),
        )
    if name == "Float":
        return st.floats(allow_nan=False, allow_infinity=False)
    if name == "Boolean":
        return st.booleans()
    return scalars.get(name, st.text(max_size=8))
