"""How many requests go to one host at once: one semaphore per origin, made on first use.

Shared by the crawl's walk (documents) and the mirror (asset copies), so both honour the same
``per_host`` bound in the same way.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from index_builder.links import origin_of


class HostLimits:
    """At most ``per_host`` holders per origin (``scheme://host[:port]``, ``s3://bucket``)."""

    def __init__(self, per_host: int) -> None:
        self.per_host = per_host
        self._hosts: dict[str, threading.Semaphore] = {}
        self._lock = threading.Lock()

    def limit(self, url: str) -> threading.Semaphore:
        host = origin_of(url)
        with self._lock:
            semaphore = self._hosts.get(host)
            if semaphore is None:
                semaphore = self._hosts[host] = threading.Semaphore(self.per_host)
            return semaphore

    @contextmanager
    def hold(self, url: str) -> Iterator[None]:
        with self.limit(url):
            yield
