"""The fast path: everything that makes reads fast without changing what they answer.

(Filled in by the following steps; see docs/architecture.md.)
"""
