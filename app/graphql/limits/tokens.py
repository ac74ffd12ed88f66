"""Token limit: graphql-core's parser stops after `max_tokens` tokens, before building the AST."""

from __future__ import annotations

from graphql import DocumentNode, GraphQLError, GraphQLSyntaxError, parse

TOO_MANY_TOKENS = "TOO_MANY_TOKENS"


def parse_document(query: str, max_tokens: int) -> DocumentNode:
    """The parsed document; the parser's refusal of a long one becomes `TOO_MANY_TOKENS`.

    Other syntax errors are raised as graphql-core words them.
    """
    try:
        return parse(query, max_tokens=max_tokens)
    except GraphQLSyntaxError as error:
        # graphql-core's wording: "Document contains more than N tokens. Parsing aborted."
        if f"more than {max_tokens} tokens" in error.message:
            raise too_many_tokens(max_tokens) from None
        raise


def too_many_tokens(max_tokens: int) -> GraphQLError:
    return GraphQLError(
        f"The document has more than {max_tokens} tokens; the limit is {max_tokens}.",
        extensions={"code": TOO_MANY_TOKENS, "limit": max_tokens},
    )
