"""Time windows (:mod:`stacsift.window`) on the small indexes of tests, and which answered."""

from __future__ import annotations

import pytest

from stacsift import window
from tests.support.paging import recorded


def windows_on_small_indexes(
    monkeypatch: pytest.MonkeyPatch, entry: str = "windowed", days: bool = False
) -> list[bool]:
    """Let time windows answer on small indexes (in a box too, however many cell-month terms
    that takes), of months, or of days only (``days``: however many day terms that takes;
    windows of months never answer then); whether each window search of ``entry``
    (``windowed`` pages, ``scanned`` candidates) answered (or gave way to the full search),
    in order."""
    monkeypatch.setattr(window, "MIN_OBJECTS", 1)
    monkeypatch.setattr(window, "FIRST_DAYS", 10**9 if days else 0)
    monkeypatch.setattr(window, "MAX_DAYS", 10**9)
    if days:
        monkeypatch.setattr(window, "MAX_MONTHS", 0)
    monkeypatch.setattr(window.Area, "pays", lambda self, need: True)
    monkeypatch.setattr(window, "MAX_TERMS", 1_000_000)
    return recorded(monkeypatch, window, entry)
