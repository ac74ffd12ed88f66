"""Webhook delivery: the worker process (`scripts/deliver`) that POSTs the events owed to
endpoints, signed, with retries (docs/events.md, "Webhooks")."""
