"""The discount rules, free of storage and transport: pure functions over values passed in.

Nothing here reads the clock, a database or the network; time, counts and baskets are
arguments, which is what lets the same rules serve a dry run, a redemption inside a locking
transaction, and property-based tests.
"""

from __future__ import annotations

from app.domain.amounts import (
    Basket,
    BasketLine,
    Discount,
    compute_discount,
    eligible_base,
    eligible_total,
    is_eligible,
    spread,
)
from app.domain.calendar import (
    end_of_local_day,
    local_date,
    local_to_utc,
    relative_expiry,
    resolve_bound,
    start_of_local_day,
    to_utc,
    usage_period_bounds,
    zone,
)
from app.domain.codes import (
    MAX_CODE_LENGTH,
    MAX_GENERATED_COUNT,
    MAX_GENERATED_LENGTH,
    MIN_GENERATED_LENGTH,
    charset_alphabet,
    code_key,
    code_problem,
    generate_codes,
    normalize_code,
)
from app.domain.combination import MAX_PRIORITY, Combination
from app.domain.currencies import is_currency_code
from app.domain.enums import (
    Channel,
    CodeCharset,
    CustomerKind,
    DiscountKind,
    ExpirationUnit,
    ItemCategory,
    Reason,
    StackReason,
    UsagePeriod,
)
from app.domain.rules import (
    Attempt,
    CodeFacts,
    Customer,
    Outcome,
    Usage,
    basket_reason,
    evaluate,
    public_reason,
)
from app.domain.stacking import (
    MAX_CODES_PER_ORDER,
    Stack,
    StackedCode,
    application_order,
    apply_codes,
    combines,
    stack_problem,
)
from app.domain.terms import Terms, TermsProblem, validate_terms
from app.domain.windows import Window, intersect

__all__ = [
    "MAX_CODES_PER_ORDER",
    "MAX_CODE_LENGTH",
    "MAX_GENERATED_COUNT",
    "MAX_GENERATED_LENGTH",
    "MAX_PRIORITY",
    "MIN_GENERATED_LENGTH",
    "Attempt",
    "Basket",
    "BasketLine",
    "Channel",
    "CodeCharset",
    "CodeFacts",
    "Combination",
    "Customer",
    "CustomerKind",
    "Discount",
    "DiscountKind",
    "ExpirationUnit",
    "ItemCategory",
    "Outcome",
    "Reason",
    "Stack",
    "StackReason",
    "StackedCode",
    "Terms",
    "TermsProblem",
    "Usage",
    "UsagePeriod",
    "Window",
    "application_order",
    "apply_codes",
    "basket_reason",
    "charset_alphabet",
    "code_key",
    "code_problem",
    "combines",
    "compute_discount",
    "eligible_base",
    "eligible_total",
    "end_of_local_day",
    "evaluate",
    "generate_codes",
    "intersect",
    "is_currency_code",
    "is_eligible",
    "local_date",
    "local_to_utc",
    "normalize_code",
    "public_reason",
    "relative_expiry",
    "resolve_bound",
    "spread",
    "stack_problem",
    "start_of_local_day",
    "to_utc",
    "usage_period_bounds",
    "validate_terms",
    "zone",
]
