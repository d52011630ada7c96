"""Shared fixtures: the real catalogs in ../shared/fixtures, and project paths."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parents[1]
FIXTURES = PROJECT.parent / "shared" / "fixtures"


@pytest.fixture(scope="session")
def fixtures() -> Path:
    """``../shared/fixtures``: required in CI, a clear skip elsewhere."""
    if not FIXTURES.is_dir():
        if os.environ.get("CI"):
            pytest.fail(f"{FIXTURES} is missing; CI must run with ../shared beside the project")
        pytest.skip(f"{FIXTURES} is missing (clone the project beside shared/)")
    return FIXTURES
