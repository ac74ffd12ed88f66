"""How much one request may read: rows and their text, counted as they arrive.

Why: the cost limit prices a request before it runs, from the rows it asks for; what comes
back can still be larger than that price foresees (long texts, rows PostgreSQL renders as
JSON, an estimate a crafted document gets around). Each row read becomes an object of the
response, and its text the response's bytes, so the reads of one request are where the
response can be stopped before it is built in memory: once over budget, the read that went
over and every later one raise `ReadBudgetExceeded`, and the endpoint answers with that one
error instead of the response (`app.http.endpoint`).
"""

from __future__ import annotations

from collections.abc import Sequence


class ReadBudgetExceeded(Exception):
    """The request read more rows (`what` = "nodes") or bytes than `limit`."""

    def __init__(self, what: str, limit: int) -> None:
        super().__init__(f"more than {limit} {what}")
        self.what = what
        self.limit = limit


class ReadBudget:
    """The rows and the bytes of text one request may read (`max_rows`, `max_bytes`)."""

    def __init__(self, max_rows: int, max_bytes: int) -> None:
        self.max_rows = max_rows
        self.max_bytes = max_bytes
        self.rows = 0
        self.bytes = 0
        self.exceeded: ReadBudgetExceeded | None = None

    def take(self, rows: Sequence[Sequence[object]], *, text: bool = True) -> None:
        """Counts `rows` (and, with `text`, their text and bytes values: a row rendered as
        JSON is its text); raises once the request is over budget."""
        if self.exceeded is not None:
            raise self.exceeded
        self.rows += len(rows)
        if self.rows > self.max_rows:
            self.exceeded = ReadBudgetExceeded("nodes", self.max_rows)
            raise self.exceeded
        if not text:
            return
        self.bytes += sum(
            len(value) for row in rows for value in row if isinstance(value, (str, bytes))
        )
        if self.bytes > self.max_bytes:
            self.exceeded = ReadBudgetExceeded("bytes", self.max_bytes)
            raise self.exceeded
