"""Retries with exponential backoff and full jitter, honouring ``Retry-After``.

Transient failures (timeouts, resets, 429, 5xx, truncated bodies) are tried again; the rest fail
at once. The wait before attempt *n + 1* is a random fraction of ``base · 2^(n-1)`` capped at
``cap`` ("full jitter", so that many crawlers hitting one busy server spread out), unless the
server said how long to wait with ``Retry-After``: then exactly that, up to ``max_retry_after``.
Sleeping and randomness are passed in, so tests check the schedule without waiting for it.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from email.utils import parsedate_to_datetime
from typing import TypeVar

from index_builder.fetch import Fetcher, FetchFailed, Request, Response, Stream

T = TypeVar("T")


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how long to retry."""

    attempts: int = 5
    """Attempts in all, the first one included."""
    base_seconds: float = 0.5
    cap_seconds: float = 30.0
    max_retry_after: float = 120.0
    """Longest ``Retry-After`` honoured; longer requests are cut to this."""

    def delay(self, attempt: int, retry_after: float | None, unit_random: float) -> float:
        """Seconds to wait after failed attempt number ``attempt`` (1-based)."""
        if retry_after is not None:
            return min(max(retry_after, 0.0), self.max_retry_after)
        backoff: float = self.base_seconds * 2.0 ** (attempt - 1)
        return unit_random * min(self.cap_seconds, backoff)


def parse_retry_after(value: str | None, now: float) -> float | None:
    """``Retry-After`` as seconds from ``now`` (epoch seconds): delta-seconds or an HTTP-date."""
    if not value:
        return None
    text = value.strip()
    if text.isdigit():
        return float(text)
    try:
        moment = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    return max(moment.timestamp() - now, 0.0)


class Retrying:
    """A fetcher that retries another one's transient failures; :meth:`call` retries any
    operation that raises :class:`FetchFailed` the same way (a whole streamed copy, say)."""

    def __init__(
        self,
        inner: Fetcher,
        policy: RetryPolicy,
        *,
        sleep: Callable[[float], None] = time.sleep,
        unit_random: Callable[[], float] = random.random,
    ) -> None:
        self.inner = inner
        self.policy = policy
        self._sleep = sleep
        self._random = unit_random

    def fetch(self, request: Request) -> Response:
        attempts = 0

        def once() -> Response:
            nonlocal attempts
            attempts += 1
            return self.inner.fetch(request)

        response = self.call(once)
        return replace(response, attempts=attempts) if attempts > 1 else response

    def open(self, request: Request) -> Stream:
        """Not retried here: a stream can fail half-way, so whoever reads it retries the whole
        read with :meth:`call`."""
        return self.inner.open(request)

    def call(self, once: Callable[[], T]) -> T:
        """``once()``, tried again after each transient :class:`FetchFailed` per the policy."""
        attempt = 1
        while True:
            try:
                return once()
            except FetchFailed as err:
                if not err.transient or attempt >= self.policy.attempts:
                    tries = f" (after {attempt} attempts)" if attempt > 1 else ""
                    raise FetchFailed(err.url, f"{err.reason}{tries}", attempts=attempt) from err
                self._sleep(self.policy.delay(attempt, err.retry_after, self._random()))
                attempt += 1

    def close(self) -> None:
        self.inner.close()
