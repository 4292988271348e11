"""Reading /metrics in tests: one scrape, one series."""

from __future__ import annotations

import re
from typing import Any

from django.test import Client


def scrape(client: Client, **extra: Any) -> str:
    response = client.get("/metrics", **extra)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    return response.content.decode()


def sample(text: str, name: str, **labels: str) -> float:
    """The value of one series, 0 when it is absent."""
    for line in text.splitlines():
        if line.startswith("#") or not line.startswith(name):
            continue
        series, _sep, value = line.rpartition(" ")
        head, _brace, rest = series.partition("{")
        if head != name:
            continue
        found = dict(re.findall(r'(\w+)="([^"]*)"', rest))
        if all(found.get(key) == wanted for key, wanted in labels.items()):
            return float(value)
    return 0.0
