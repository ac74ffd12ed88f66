"""The scalar fields of a selection plan, compiled into one Python loop over all parents.

Most of a large response is scalar attributes of many objects of one type (the codes of a
hundred coupons...). A loop per field pays the per-field machinery again for every field;
this module writes, once per selection plan, a function that visits each parent once and,
for each planned scalar, reads the attribute and stores it when it needs no work: a `str`
for String or ID, a `bool` for Boolean, an `int` in range for Int, None for a nullable field;
other values go through the scalar's `coerce_output_value` inline (DateTime, UUID, enums...).
Anything else (None for a non-null field, an Exception value, a value the scalar refuses) is
handed back to be completed, and its error raised and located, the general way
(`Run.complete_into`), so errors stay graphql-core's. If reading or coercing raises, the
caller completes those fields the general way for every parent instead.

The generated source only contains response keys and attribute names as `repr()` literals,
and the scalars' functions as arguments: nothing from a request is executed.
"""

from __future__ import annotations

import keyword
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from graphql.pyutils import Undefined

if TYPE_CHECKING:
    from app.fast.executor.plan import FieldPlan

# fill(slots) -> [(field index, slot, value), ...] left for the general completion
Filler = Callable[[list[Any]], list[tuple[int, Any, Any]]]


def compile_filler(
    fields: list[FieldPlan], typename: str | None, typename_keys: list[str]
) -> Filler:
    lines = [
        "def fill(slots):",
        "    left = []",
        "    leave = left.append",
        "    for slot in slots:",
        "        source = slot.source",
        "        out = slot.out",
    ]
    namespace: dict[str, Any] = {"Undefined": Undefined, "Exception": Exception}
    for key in typename_keys:
        lines.append(f"        out[{key!r}] = {typename!r}")
    for index, field in enumerate(fields):
        attribute = field.attribute
        assert attribute is not None
        read = (
            f"source.{attribute}"
            if attribute.isidentifier() and not keyword.iskeyword(attribute)
            else f"getattr(source, {attribute!r})"
        )
        key = repr(field.key)
        shape = field.shape
        lines.append(f"        value = {read}")
        fast = shape.fast
        if fast is not None:
            test = f"value.__class__ is {fast.__name__}"
            if shape.is_int:
                test += " and -2147483648 <= value <= 2147483647"
            lines.append(f"        if {test}:")
            lines.append(f"            out[{key}] = value")
            if shape.nullable:
                lines.append("        elif value is None:")
                lines.append("            pass")
            lines.append("        else:")
            lines.append(f"            leave(({index}, slot, value))")
        else:
            coerce = f"coerce_{index}"
            namespace[coerce] = shape.coerce
            if shape.nullable:
                lines.append("        if value is None:")
                lines.append("            pass")
                lines.append("        elif isinstance(value, Exception):")
            else:
                lines.append("        if value is None or isinstance(value, Exception):")
            lines.append(f"            leave(({index}, slot, value))")
            lines.append("        else:")
            lines.append(f"            coerced = {coerce}(value)")
            lines.append("            if coerced is None or coerced is Undefined:")
            lines.append(f"                leave(({index}, slot, value))")
            lines.append("            else:")
            lines.append(f"                out[{key}] = coerced")
    lines.append("    return left")
    code = compile("\n".join(lines), "<plan executor: scalar fields>", "exec")
    exec(code, namespace)  # noqa: S102 - source built above from the plan, see the docstring
    return namespace["fill"]  # type: ignore[no-any-return]
