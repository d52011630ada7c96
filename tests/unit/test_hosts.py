"""HostLanes: at most per_host calls at once per origin, the rest queued (not in threads)."""

from __future__ import annotations

import threading
from collections import Counter
from concurrent.futures import CancelledError, Future
from functools import partial

import pytest

from index_builder.hosts import HostLanes


class Gauge:
    """Calls that block until released, counting how many run at once per origin."""

    def __init__(self) -> None:
        self.release = threading.Event()
        self.lock = threading.Lock()
        self.now: Counter[str] = Counter()
        self.most: Counter[str] = Counter()
        self.started = threading.Semaphore(0)
        self.threads: set[int] = set()

    def call(self, host: str) -> str:
        with self.lock:
            self.now[host] += 1
            self.most[host] = max(self.most[host], self.now[host])
            self.threads.add(threading.get_ident())
        self.started.release()
        self.release.wait(10)
        with self.lock:
            self.now[host] -= 1
        return host


def test_each_origin_runs_at_most_per_host_calls_and_origins_do_not_wait_for_each_other() -> None:
    gauge = Gauge()
    lanes = HostLanes(threads=8, per_host=2, name="lanes-test")
    urls = [f"http://a.example/{n}" for n in range(10)] + [f"s3://b/{n}" for n in range(10)]
    futures = [lanes.submit(url, partial(gauge.call, url.split("/")[2])) for url in urls]
    for _ in range(4):  # two per origin start, although eight threads are free
        assert gauge.started.acquire(timeout=10)
    assert not gauge.started.acquire(timeout=0.2)
    assert gauge.now == {"a.example": 2, "b": 2}
    gauge.release.set()
    assert Counter(f.result(timeout=10) for f in futures) == {"a.example": 10, "b": 10}
    assert gauge.most == {"a.example": 2, "b": 2}
    assert len(gauge.threads) <= 4  # a queued call runs on the thread that ran its origin's last
    lanes.shutdown()


def test_an_exception_reaches_the_caller_and_the_lane_goes_on() -> None:
    lanes = HostLanes(threads=2, per_host=1, name="lanes-test")

    def fail() -> int:
        raise ValueError("boom")

    failing = lanes.submit("http://a.example/1", fail)
    after = lanes.submit("http://a.example/2", lambda: 7)
    with pytest.raises(ValueError, match="boom"):
        failing.result(timeout=10)
    assert after.result(timeout=10) == 7
    lanes.shutdown()


def test_shutdown_cancels_the_waiting_calls_and_waits_for_the_running_one() -> None:
    gauge = Gauge()
    lanes = HostLanes(threads=4, per_host=1, name="lanes-test")
    running = lanes.submit("http://a.example/1", lambda: gauge.call("a"))
    waiting: list[Future[str]] = [
        lanes.submit(f"http://a.example/{n}", lambda: gauge.call("a")) for n in range(2, 5)
    ]
    assert gauge.started.acquire(timeout=10)
    stopper = threading.Thread(target=lanes.shutdown)
    stopper.start()
    for future in waiting:  # cancelled before the running call ends
        with pytest.raises(CancelledError):
            future.result(timeout=10)
    assert not running.done()
    gauge.release.set()
    stopper.join(10)
    assert running.result(timeout=0) == "a"
    assert gauge.most == {"a": 1}


def test_threads_for_one_origin_start_up_front_and_more_only_when_another_is_busy() -> None:
    def alive() -> int:
        return sum(t.name.startswith("lanes-grow") for t in threading.enumerate())

    gauge = Gauge()
    lanes = HostLanes(threads=8, per_host=2, name="lanes-grow")
    assert alive() == 2
    busy = [lanes.submit(f"http://a.example/{n}", partial(gauge.call, "a")) for n in range(6)]
    assert gauge.started.acquire(timeout=10) and gauge.started.acquire(timeout=10)
    assert alive() == 2  # one origin never needs more than its two places
    busy += [lanes.submit(f"s3://b/{n}", partial(gauge.call, "b")) for n in range(3)]
    assert gauge.started.acquire(timeout=10) and gauge.started.acquire(timeout=10)
    assert alive() == 4
    gauge.release.set()
    assert [f.result(timeout=10) for f in busy] == ["a"] * 6 + ["b"] * 3
    lanes.shutdown()
