"""Filter inputs and order inputs, generated from the data layer's list specs.

Each list gets `<Type>Filter` (one field per filter, each taking an operator input such as
`StringFilter { eq contains ... }`, plus `and`/`or` lists) and `<Type>Order { field direction }`.
Generating them from `app.graphql.lists` keeps the API and the SQL from drifting apart.
"""

import enum
import uuid
from datetime import UTC, datetime
from typing import Annotated, Any

import strawberry

from app.db.filters import Condition, FieldKind, ListSpec, Op
from app.graphql import enums as _registered_enums  # noqa: F401  (enum types before use)
from app.graphql.enums import described_enum
from app.graphql.errors import BadInput
from app.graphql.ids import decode_id
from app.graphql.lists import ALL_LISTS
from app.graphql.pagination import OrderDirection


@strawberry.input(description="Conditions on an id; values are global ids.")
class IDFilter:
    eq: strawberry.ID | None = strawberry.field(default=None, description="Equal to.")
    in_: list[strawberry.ID] | None = strawberry.field(
        default=None, name="in", description="One of."
    )
    is_null: bool | None = strawberry.field(default=None, description="Unset (true) or set.")


@strawberry.input(description="Conditions on a UUID.")
class UUIDFilter:
    eq: uuid.UUID | None = strawberry.field(default=None, description="Equal to.")
    in_: list[uuid.UUID] | None = strawberry.field(default=None, name="in", description="One of.")


@strawberry.input(description="Conditions on text; contains and startsWith ignore letter case.")
class StringFilter:
    eq: str | None = strawberry.field(default=None, description="Exactly equal to.")
    ne: str | None = strawberry.field(default=None, description="Not equal to.")
    in_: list[str] | None = strawberry.field(default=None, name="in", description="One of.")
    contains: str | None = strawberry.field(default=None, description="Contains, any case.")
    starts_with: str | None = strawberry.field(default=None, description="Starts with, any case.")
    is_null: bool | None = strawberry.field(default=None, description="Unset (true) or set.")


@strawberry.input(
    description="Conditions on a whole number; gte/lte are the seeds' from_/to_ ranges."
)
class IntFilter:
    eq: int | None = strawberry.field(default=None, description="Equal to.")
    ne: int | None = strawberry.field(default=None, description="Not equal to.")
    in_: list[int] | None = strawberry.field(default=None, name="in", description="One of.")
    gt: int | None = strawberry.field(default=None, description="Greater than.")
    gte: int | None = strawberry.field(default=None, description="Greater than or equal to.")
    lt: int | None = strawberry.field(default=None, description="Less than.")
    lte: int | None = strawberry.field(default=None, description="Less than or equal to.")
    is_null: bool | None = strawberry.field(default=None, description="Unset (true) or set.")


@strawberry.input(
    description="Conditions on an instant (ISO 8601 with offset); gte/lte are from_/to_."
)
class DateTimeFilter:
    eq: datetime | None = strawberry.field(default=None, description="At exactly.")
    gt: datetime | None = strawberry.field(default=None, description="After.")
    gte: datetime | None = strawberry.field(default=None, description="At or after.")
    lt: datetime | None = strawberry.field(default=None, description="Before.")
    lte: datetime | None = strawberry.field(default=None, description="At or before.")
    is_null: bool | None = strawberry.field(default=None, description="Unset (true) or set.")


_OP_INPUTS: dict[FieldKind, type] = {
    FieldKind.ID: IDFilter,
    FieldKind.UUID: UUIDFilter,
    FieldKind.STRING: StringFilter,
    FieldKind.INT: IntFilter,
    FieldKind.DATETIME: DateTimeFilter,
}
_ATTR_TO_OP = {"in_": Op.IN, **{op.value: op for op in Op}}
_ENUM_FILTERS: dict[type, type] = {}


def _enum_filter(enum_cls: type[enum.Enum]) -> type:
    if enum_cls not in _ENUM_FILTERS:
        gql_enum = enum_cls
        cls = type(
            f"{enum_cls.__name__}Filter",
            (),
            {
                "__annotations__": {
                    "eq": gql_enum | None,
                    "ne": gql_enum | None,
                    "in_": list[gql_enum] | None,  # type: ignore[valid-type]
                },
                "eq": strawberry.field(default=None, description="Equal to."),
                "ne": strawberry.field(default=None, description="Not equal to."),
                "in_": strawberry.field(default=None, name="in", description="One of."),
            },
        )
        _ENUM_FILTERS[enum_cls] = strawberry.input(
            cls, description=f"Conditions on a {enum_cls.__name__}."
        )
    return _ENUM_FILTERS[enum_cls]


def _filter_input(spec: ListSpec) -> type:
    annotations: dict[str, Any] = {}
    namespace: dict[str, Any] = {}
    for f in spec.fields:
        if f.kind is FieldKind.BOOLEAN:
            annotations[f.name] = bool | None
        elif f.kind is FieldKind.ENUM:
            assert f.enum is not None
            annotations[f.name] = _enum_filter(f.enum) | None
        else:
            annotations[f.name] = _OP_INPUTS[f.kind] | None
        namespace[f.name] = strawberry.field(default=None, description=f.description)
    name = f"{spec.name}Filter"
    self_list = list[Annotated[name, strawberry.lazy(__name__)]] | None  # type: ignore[valid-type]
    annotations["and_"] = self_list
    annotations["or_"] = self_list
    namespace["and_"] = strawberry.field(
        default=None, name="and", description="All of these filters hold."
    )
    namespace["or_"] = strawberry.field(
        default=None, name="or", description="At least one of these filters holds."
    )
    cls = type(name, (), {"__annotations__": annotations, **namespace})
    return strawberry.input(
        cls, description=f"Conditions on {spec.name} records; all given fields must hold."
    )


def _order_input(spec: ListSpec) -> type:
    # mypy follows the functional Enum API only under a literal name.
    order_fields: type[enum.Enum] = enum.Enum(  # type: ignore[misc]
        f"{spec.name}OrderField", {s.name: s.name for s in spec.sort_columns}
    )
    fields = described_enum(
        order_fields,
        description=f"Fields {spec.name} lists can be ordered by (the id breaks ties).",
        values={f.sort_column().name: f.description for f in spec.fields if f.sortable},
    )
    cls = type(
        f"{spec.name}Order",
        (),
        {
            "__annotations__": {"field": fields, "direction": OrderDirection},
            "field": strawberry.field(description="The field to sort by."),
            "direction": strawberry.field(
                default=OrderDirection.ASC, description="Ascending or descending."
            ),
        },
    )
    return strawberry.input(cls, description=f"Order of a {spec.name} list.")


FILTERS: dict[str, type] = {}
ORDERS: dict[str, type] = {}
for _spec in ALL_LISTS:
    FILTERS[_spec.name] = _filter_input(_spec)
    globals()[f"{_spec.name}Filter"] = FILTERS[_spec.name]  # for the lazy self-references
    ORDERS[_spec.name] = _order_input(_spec)


def _instant(value: datetime, path: str) -> datetime:
    """A filter's instant in UTC: one without an offset names no instant (lists span sites and
    time zones), and one that is not a UTC instant (year 1 at +14:00) matches nothing stored."""
    if value.tzinfo is None:
        raise BadInput(f"{path}: give an offset (Z or +HH:MM) with the date-time", field=path)
    try:
        return value.astimezone(UTC)
    except OverflowError:
        raise BadInput(f"{path}: the date-time is out of range", field=path) from None


def _value(
    spec: ListSpec, field_name: str, kind: FieldKind, id_type: str, value: Any, path: str
) -> Any:
    if kind is FieldKind.DATETIME and isinstance(value, datetime):
        return _instant(value, path)
    if kind is FieldKind.ID and value is not None and not isinstance(value, bool):
        if isinstance(value, list):
            return [decode_id(v, id_type, field=path) for v in value]
        return decode_id(value, id_type, field=path)
    if isinstance(value, list):
        return [v.value if isinstance(v, enum.Enum) else v for v in value]
    return value.value if isinstance(value, enum.Enum) else value


def to_conditions(
    spec: ListSpec, given: Any, path: str = "filter"
) -> tuple[list[Condition], list[list[list[Condition]]]]:
    """The AND-ed conditions of a filter input, and its nested `or` groups (each a list of
    alternatives, each alternative a list of AND-ed conditions)."""
    conditions: list[Condition] = []
    or_groups: list[list[list[Condition]]] = []
    if given is None:
        return conditions, or_groups
    for f in spec.fields:
        value = getattr(given, f.name)
        if value is None:
            continue
        field_path = f"{path}.{strawberry_name(f.name)}"
        if f.kind is FieldKind.BOOLEAN:
            conditions.append(Condition(f.name, Op.EQ, value))
            continue
        for attr, op_value in vars(value).items():
            if op_value is None:
                continue
            op = _ATTR_TO_OP[attr]
            id_type = f.id_type or spec.name
            conditions.append(
                Condition(
                    f.name,
                    op,
                    _value(
                        spec,
                        f.name,
                        f.kind,
                        id_type,
                        op_value,
                        f"{field_path}.{strawberry_name(attr)}",
                    ),
                )
            )
    for i, nested in enumerate(given.and_ or []):
        inner, inner_or = to_conditions(spec, nested, f"{path}.and[{i}]")
        conditions.extend(inner)
        or_groups.extend(inner_or)
    if given.or_:
        alternatives = []
        for i, nested in enumerate(given.or_):
            inner, inner_or = to_conditions(spec, nested, f"{path}.or[{i}]")
            if inner_or:
                raise BadInput(
                    f"{path}.or[{i}]: nest `or` inside `and`, not inside `or`", field=path
                )
            alternatives.append(inner)
        or_groups.append(alternatives)
    return conditions, or_groups


def strawberry_name(python_name: str) -> str:
    head, *rest = python_name.rstrip("_").split("_")
    return head + "".join(part.title() for part in rest)
