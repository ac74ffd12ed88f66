"""The GraphQL API.

The domain's enums are registered with strawberry first (`enums`), before any type that
uses them is read, whichever module of the API is imported first.
"""

from app.graphql import enums as _registered_enums  # noqa: F401
