"""How many requests go to one host at once: a lane per origin, made on first use.

Shared by the crawl's walk (documents) and the mirror (asset copies), so both honour the same
``per_host`` bound in the same way.

A call beyond its origin's bound waits in that origin's queue, not in a thread: when a call
ends, the thread that ran it goes on with its origin's next call. So calls to a busy origin never
hold threads that calls to other origins could use (with a semaphore per origin taken inside the
pool's threads, a catalog on one host with its assets on another had every thread parked on the
busier host's semaphore while the other's work queued behind them), and no parked thread has to
be woken, and take the interpreter lock, for each call. A call holds its place for its whole
run, retries and their pauses included (a failing host gets no more requests at once than
a healthy one).
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any, TypeVar

from index_builder.links import origin_of
from index_builder.threads import started_pool

T = TypeVar("T")
_Task = tuple[Future[Any], Callable[[], Any]]


@dataclass
class _Lane:
    running: int = 0
    waiting: deque[_Task] = field(default_factory=deque)


class HostLanes:
    """Run calls on ``threads`` threads, at most ``per_host`` at once per origin
    (``scheme://host[:port]``, ``s3://bucket``); :meth:`shutdown` when done."""

    def __init__(self, threads: int, per_host: int, name: str) -> None:
        self.per_host = max(per_host, 1)
        threads = max(threads, 1)
        # as many as one origin can use, started now; more only once several origins are busy
        self._pool = started_pool(min(threads, self.per_host), name, most=threads)
        self._lanes: dict[str, _Lane] = {}
        self._lock = threading.Lock()

    def submit(self, url: str, call: Callable[[], T]) -> Future[T]:
        """``call()``, on a thread once ``url``'s origin has a free place."""
        future: Future[T] = Future()
        task: _Task = (future, call)
        host = origin_of(url)
        with self._lock:
            lane = self._lanes.setdefault(host, _Lane())
            if lane.running >= self.per_host:
                lane.waiting.append(task)
                return future
            lane.running += 1
        started = self._pool.submit(self._run, lane, task)
        started.add_done_callback(lambda run: future.cancel() if run.cancelled() else None)
        return future

    def shutdown(self) -> None:
        """Cancel the calls not started, and wait for those running."""
        with self._lock:
            for lane in self._lanes.values():
                for future, _ in lane.waiting:
                    future.cancel()
                lane.waiting.clear()
        self._pool.shutdown(wait=True, cancel_futures=True)

    def _run(self, lane: _Lane, task: _Task | None) -> None:
        while task is not None:
            future, call = task
            if future.set_running_or_notify_cancel():
                try:
                    result = call()
                except BaseException as err:  # handed to whoever waits for the result
                    future.set_exception(err)
                else:
                    future.set_result(result)
            with self._lock:
                task = lane.waiting.popleft() if lane.waiting else None
                if task is None:
                    lane.running -= 1
