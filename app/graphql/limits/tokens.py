"""Token limit: graphql-core's parser stops after `max_tokens` tokens, before building the AST."""

from __future__ import annotations

from collections.abc import Iterator

from graphql import GraphQLError, GraphQLSyntaxError
from strawberry.extensions import SchemaExtension

TOO_MANY_TOKENS = "TOO_MANY_TOKENS"


class TokenLimit(SchemaExtension):
    """Sets the parser's token limit, and gives the parser's refusal a message and a code.

    `ParserCache` parses while its hook is being entered, so the parser's error escapes the
    whole operation (the `except` below); a parse done by strawberry itself records the error
    on the execution context instead (the `else`).
    """

    def __init__(self, max_tokens: int) -> None:
        super().__init__()
        self.max_tokens = max_tokens

    def on_operation(self) -> Iterator[None]:
        self.execution_context.parse_options["max_tokens"] = self.max_tokens
        try:
            yield
        except GraphQLSyntaxError as error:
            if self._is_token_limit(error):
                raise self._too_many_tokens() from None
            raise
        else:
            for error in self.execution_context.pre_execution_errors or ():
                if self._is_token_limit(error):
                    refused = self._too_many_tokens()
                    error.message, error.extensions = refused.message, refused.extensions

    def _is_token_limit(self, error: GraphQLError) -> bool:
        # graphql-core's wording: "Document contains more than N tokens. Parsing aborted."
        return f"more than {self.max_tokens} tokens" in error.message

    def _too_many_tokens(self) -> GraphQLError:
        return GraphQLError(
            f"The document has more than {self.max_tokens} tokens; the limit is {self.max_tokens}.",
            extensions={"code": TOO_MANY_TOKENS, "limit": self.max_tokens},
        )
