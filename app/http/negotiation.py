"""Content negotiation for GraphQL over HTTP: which response media type a request accepts.

`application/graphql-response+json` when the client lists it before (or above) anything
else we serve; `application/json` for legacy clients: those that ask for it, send `*/*` or
`application/*`, or send no `Accept` at all. That last default follows the graphql-http
audit (checks 47DE and 80D8: "SHOULD accept */* / assume application/json when accept is
missing"); the spec's later text would pick graphql-response+json after its 2025
watershed, which the audit does not follow yet.
"""

from __future__ import annotations

GRAPHQL_RESPONSE_JSON = "application/graphql-response+json"
JSON = "application/json"

_SERVED = {
    GRAPHQL_RESPONSE_JSON: GRAPHQL_RESPONSE_JSON,
    JSON: JSON,
    "application/*": JSON,
    "*/*": JSON,
}


def parse_media_type(value: str) -> tuple[str, dict[str, str]]:
    """`"application/json; charset=utf-8"` -> `("application/json", {"charset": "utf-8"})`."""
    media_type, *parameters = value.split(";")
    parsed: dict[str, str] = {}
    for parameter in parameters:
        name, _, parameter_value = parameter.partition("=")
        parsed[name.strip().lower()] = parameter_value.strip().strip('"')
    return media_type.strip().lower(), parsed


# The answers for the `Accept` values seen (a client sends the same one with every request),
# at most this many; past that, the answer is worked out each time.
_CHOSEN: dict[str, str | None] = {}
_CHOSEN_MAX = 256


def response_media_type(accept: str | None) -> str | None:
    """The media type to answer in, or None when the client accepts nothing we serve (406).

    The highest quality wins; among equals, the first listed.
    """
    if accept is None:
        return JSON
    try:
        return _CHOSEN[accept]
    except KeyError:
        chosen = _choose(accept)
    if len(_CHOSEN) < _CHOSEN_MAX:
        _CHOSEN[accept] = chosen
    return chosen


def _choose(accept: str) -> str | None:
    if not accept.strip():
        return JSON
    chosen, chosen_quality = None, 0.0
    for item in accept.split(","):
        media_type, parameters = parse_media_type(item)
        served = _SERVED.get(media_type)
        if served is None:
            continue
        try:
            quality = float(parameters.get("q", "1"))
        except ValueError:
            continue
        if quality > chosen_quality:
            chosen, chosen_quality = served, quality
    return chosen


def wants_html(accept: str | None) -> bool:
    """A browser navigating to the endpoint (GraphiQL), not a GraphQL client."""
    return accept is not None and "text/html" in accept
