"""A program a test needs from the machine: skipped where it is missing, a failure under CI
(which installs it, so a missing one there is a broken setup, never a silent skip)."""

from __future__ import annotations

import os
import shutil

import pytest


def program_or_skip(name: str, needed_by: str) -> str:
    """The path of ``name``; skips the test without it, fails it under CI."""
    executable = shutil.which(name)
    if executable is None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"{name} is required under CI for {needed_by}")
        pytest.skip(f"{name} is not installed: {needed_by} needs it")
    return executable
