"""Thread pools started up front."""

from __future__ import annotations

import threading

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
