"""Query limits, checked before a resolver runs (so before any SQL); the response budget
(the last two), while it runs.

| limit | setting (env `DISCOUNTS_...`) | checked | `extensions.code` |
|---|---|---|---|
| tokens in the document | `max_tokens` | while parsing | `TOO_MANY_TOKENS` |
| fields on the longest path | `max_depth` | validation | `QUERY_TOO_DEEP` |
| aliases in the document | `max_aliases` | validation | `TOO_MANY_ALIASES` |
| introspection list nesting | (graphql-core: 3) | validation | (none) |
| introspection itself | `introspection=false` | validation | (none) |
| cost (see `cost`) | `max_cost` | after validation, with the variables | `QUERY_TOO_COSTLY` |
| items of a list (see `inputs`) | `max_list_length` | with the cost (*) | `LIST_TOO_LONG` |
| items of all lists, each use | `max_list_items` | with the cost (*) | `TOO_MANY_LIST_ITEMS` |
| nesting in an argument | `max_input_depth` | with the cost (*) | `INPUT_TOO_DEEP` |
| filter terms, each use | `max_filter_terms` | with the cost (*) | `TOO_MANY_FILTER_TERMS` |
| no NUL in text (see `text`) | (always) | after validation, with the variables | `BAD_USER_INPUT` |
| objects in the response | `max_response_nodes` | while it runs (rows read) | `RESPONSE_TOO_LARGE` |
| bytes in the response | `max_response_bytes` | while it runs (text read) | `RESPONSE_TOO_LARGE` |

(*) raw variables before graphql-core coerces them, then every argument on its coerced value.

Body size and batching are refused by `app.http.http_params`, time by `app.http.endpoint`; page
sizes by the connections themselves (`max_page_size`). While a request runs, the response budget
(`max_response_nodes`, `max_response_bytes`: `RESPONSE_TOO_LARGE`) counts the rows it reads
(`app.db.budget`; `app.http.endpoint` answers the error).

All of them run in one schema extension, `QueryChecks` (`prepared`), which remembers per
document text what depends on the text alone (the parse, validation, the cost per coerced
value of the variables arguments read, NUL in the document's strings): see that module for what is cached, keyed by what, and why.
`query_checks(settings)` is its factory: strawberry builds extensions per request, while the
validation rules and the document cache are made once per schema.
"""

from __future__ import annotations

from graphql import ASTValidationRule
from graphql.validation import MaxIntrospectionDepthRule, NoSchemaIntrospectionCustomRule

from app.graphql.limits.aliases import TOO_MANY_ALIASES, alias_rule
from app.graphql.limits.cost import QUERY_TOO_COSTLY, operation_cost
from app.graphql.limits.depth import QUERY_TOO_DEEP, depth_rule
from app.graphql.limits.inputs import (
    INPUT_TOO_DEEP,
    LIST_TOO_LONG,
    TOO_MANY_FILTER_TERMS,
    TOO_MANY_LIST_ITEMS,
    InputLimits,
)
from app.graphql.limits.prepared import DocumentCache, QueryChecks, QueryChecksFactory
from app.graphql.limits.tokens import TOO_MANY_TOKENS
from app.settings import Settings

__all__ = [
    "INPUT_TOO_DEEP",
    "LIST_TOO_LONG",
    "TOO_MANY_FILTER_TERMS",
    "TOO_MANY_LIST_ITEMS",
    "InputLimits",
    "QUERY_TOO_COSTLY",
    "QUERY_TOO_DEEP",
    "TOO_MANY_ALIASES",
    "TOO_MANY_TOKENS",
    "DocumentCache",
    "QueryChecks",
    "QueryChecksFactory",
    "operation_cost",
    "query_checks",
    "validation_rules",
]


def validation_rules(settings: Settings) -> tuple[type[ASTValidationRule], ...]:
    """The limits checked during validation, next to graphql-core's specified rules."""
    rules: list[type[ASTValidationRule]] = [
        depth_rule(settings.max_depth),
        alias_rule(settings.max_aliases),
        MaxIntrospectionDepthRule,
    ]
    if not settings.introspection:
        rules.append(NoSchemaIntrospectionCustomRule)
    return tuple(rules)


def query_checks(settings: Settings, cache: DocumentCache | None = None) -> QueryChecksFactory:
    """The factory of the `QueryChecks` extension: one document cache and one set of rules for
    every request of the schema it is given to (`cache`: a new one unless given)."""
    return QueryChecksFactory(
        cache if cache is not None else DocumentCache(settings.max_tokens),
        validation_rules(settings),
        settings.max_cost,
        settings.default_page_size,
        InputLimits(
            settings.max_list_length,
            settings.max_list_items,
            settings.max_input_depth,
            settings.max_filter_terms,
        ),
    )
