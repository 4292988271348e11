"""Waiting in the browser tests without string evaluation, which our CSP forbids."""

from __future__ import annotations

import time
from typing import Any


def wait_until(page: Any, expression: str, arg: Any = None, timeout: float = 15) -> None:
    """Poll with evaluate: wait_for_function evaluates strings, which our CSP forbids."""
    deadline = time.monotonic() + timeout
    while not page.evaluate(expression, arg):
        if time.monotonic() > deadline:
            raise AssertionError(f"still false after {timeout} s: {expression}")
        page.wait_for_timeout(100)
