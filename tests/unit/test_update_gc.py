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
