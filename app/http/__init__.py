"""GraphQL over HTTP: the `/graphql` endpoint and what surrounds it (request parameters,
negotiation, responses and their status codes, error masking, the time limit, request ids,
the failed-attempt limiters' stores, GraphiQL).

The HTTP room sits above the API: it may import app.graphql (the schema, the context, the
errors), and app.graphql never imports it (tests/test_layering.py).
"""
