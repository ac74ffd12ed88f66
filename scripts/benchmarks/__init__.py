"""The pieces of `scripts/bench`: seeding, the two servers, the load generator, the report.

Each module is small and imported by `scripts/bench`; only `queries` is imported by the test
suite (to validate the query definitions against our schema), so nothing here may start
servers or touch the network at import time.
"""
