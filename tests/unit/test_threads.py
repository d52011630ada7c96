"""Thread pools started up front."""

from __future__ import annotations

import threading

import pytest

from index_builder.threads import started_pool


def test_every_thread_of_a_started_pool_runs_before_any_work() -> None:
    pool = started_pool(5, "started-test")
    try:
        running = [t for t in threading.enumerate() if t.name.startswith("started-test")]
        assert len(running) == 5
        assert pool.submit(lambda: 42).result() == 42
        assert sum(1 for t in threading.enumerate() if t.name.startswith("started-test")) == 5
    finally:
        pool.shutdown()


def test_a_thread_that_cannot_start_frees_the_started_ones(monkeypatch: pytest.MonkeyPatch) -> None:
    start = threading.Thread.start
    starts = iter(range(100))

    def third_fails(thread: threading.Thread) -> None:  # an injected fault: no more threads
        if thread.name.startswith("failing-test") and next(starts) == 2:
            raise RuntimeError("can't start new thread")
        start(thread)

    monkeypatch.setattr(threading.Thread, "start", third_fails)
    with pytest.raises(RuntimeError, match="can't start"):
        started_pool(4, "failing-test")
    for thread in [t for t in threading.enumerate() if t.name.startswith("failing-test")]:
        thread.join(timeout=10)  # they were waiting at the gate for the other two
        assert not thread.is_alive()
