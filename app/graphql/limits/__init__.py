"""Query limits, all checked before a resolver runs (so before any SQL).

| limit | setting (env `DISCOUNTS_...`) | checked | `extensions.code` |
|---|---|---|---|
| tokens in the document | `max_tokens` | while parsing | `TOO_MANY_TOKENS` |
| fields on the longest path | `max_depth` | validation | `QUERY_TOO_DEEP` |
| aliases in the document | `max_aliases` | validation | `TOO_MANY_ALIASES` |
| introspection list nesting | (graphql-core: 3) | validation | (none) |
| introspection itself | `introspection=false` | validation | (none) |
| cost (see `cost`) | `max_cost` | after validation, with the variables | `QUERY_TOO_COSTLY` |
| no NUL in text (see `text`) | (always) | after validation, with the variables | `BAD_USER_INPUT` |

Body size and batching are refused by `app.graphql.http_params`, time by `app.graphql.http`; page
sizes by the connections themselves (`max_page_size`).

Everything here is a class or a factory: strawberry builds extensions per request, and the
validation rules are made once per schema so that they stay one key of its validation cache.
"""

from __future__ import annotations

from collections.abc import Callable

from graphql import ASTValidationRule
from graphql.validation import MaxIntrospectionDepthRule, NoSchemaIntrospectionCustomRule
from strawberry.extensions import AddValidationRules, SchemaExtension

from app.graphql.limits.aliases import TOO_MANY_ALIASES, alias_rule
from app.graphql.limits.cost import QUERY_TOO_COSTLY, QueryCost, operation_cost
from app.graphql.limits.depth import QUERY_TOO_DEEP, depth_rule
from app.graphql.limits.text import TextValues
from app.graphql.limits.tokens import TOO_MANY_TOKENS, TokenLimit
from app.settings import Settings

__all__ = [
    "QUERY_TOO_COSTLY",
    "QUERY_TOO_DEEP",
    "TOO_MANY_ALIASES",
    "TOO_MANY_TOKENS",
    "cost_limit",
    "operation_cost",
    "text_values",
    "token_limit",
    "validation_limits",
]

ExtensionFactory = Callable[[], SchemaExtension]


def token_limit(settings: Settings) -> ExtensionFactory:
    return lambda: TokenLimit(settings.max_tokens)


def validation_limits(settings: Settings) -> ExtensionFactory:
    rules: list[type[ASTValidationRule]] = [
        depth_rule(settings.max_depth),
        alias_rule(settings.max_aliases),
        MaxIntrospectionDepthRule,
    ]
    if not settings.introspection:
        rules.append(NoSchemaIntrospectionCustomRule)
    return lambda: AddValidationRules(rules)


def cost_limit(settings: Settings) -> ExtensionFactory:
    return lambda: QueryCost(settings.max_cost, settings.default_page_size)


def text_values() -> ExtensionFactory:
    return TextValues
