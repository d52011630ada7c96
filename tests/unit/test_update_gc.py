"""The collector pause around bulk updates: off inside, restored afterwards."""

from __future__ import annotations

import gc

import pytest

from stacsift.index.writer import gc_paused


def test_gc_paused_restores_the_collector_even_on_errors() -> None:
    assert gc.isenabled()
    with pytest.raises(RuntimeError), gc_paused():
        assert not gc.isenabled()
        raise RuntimeError("boom")
    assert gc.isenabled()


def test_gc_paused_leaves_a_disabled_collector_disabled() -> None:
    gc.disable()
    try:
        with gc_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_overlapping_pauses_keep_the_collector_off_until_the_last_ends() -> None:
    # GIVEN two pauses that overlap, as two updates in two threads do
    first, second = gc_paused(), gc_paused()
    first.__enter__()
    second.__enter__()
    # WHEN the first one to start ends before the other
    first.__exit__(None, None, None)
    # THEN the collector stays off for the one still running, and comes back after it
    assert not gc.isenabled()
    second.__exit__(None, None, None)
    assert gc.isenabled()
