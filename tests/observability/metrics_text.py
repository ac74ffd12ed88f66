"""Reading `/metrics` as Prometheus does (prometheus-client's own parser)."""

from __future__ import annotations

from typing import Any

from prometheus_client.parser import text_string_to_metric_families


async def scrape(http: Any) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    """Every sample of `/metrics`: (name, labels) -> value."""
    response = await http.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def value(samples: dict[Any, float], name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)
