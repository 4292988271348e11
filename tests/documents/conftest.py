"""Fixtures shared by the library's tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest


@pytest.fixture(autouse=True)
def private_root(settings: Any, tmp_path: Path) -> Path:
    """The library's files go to a directory of the test's own, locally, unscanned
    (a test of the antivirus sets its own address)."""
    root = tmp_path / "private"
    settings.PRIVATE_ROOT = root
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.STATIC_ROOT = tmp_path / "static"
    settings.LIBRARY_STORAGE = "local"
    settings.LIBRARY_X_ACCEL_REDIRECT = ""
    settings.CLAMAV_ADDRESS = ""
    return root
