"""Crawl STAC sources — static catalogs, STAC APIs, item collections, newline-delimited files —
on local disk, over HTTP(S) or from S3-compatible buckets, yielding every object reachable.

Nothing in someone else's catalog stops a crawl: a broken link, a document that is not JSON or
not STAC, an object that cannot be indexed, a timeout that outlasts the retries — each is
recorded in the :class:`CrawlReport` with its URL and the reason, and skipped. Only a root that
cannot be read (or is not STAC) raises :class:`~stacsift.errors.SourceError`.

The pieces: :mod:`~index_builder.links` (URLs), :mod:`~index_builder.fetch` and the fetchers for
each scheme, :mod:`~index_builder.retry`, :mod:`~stacsift.stac_objects` (what an object is,
migration and lenient repairs), :mod:`~index_builder.api` (STAC API paging),
:mod:`~index_builder.cache` (validators for re-crawls) and :mod:`~index_builder.walk` (the
ordered, concurrent breadth-first walk). This module wires them together.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator, Sequence

from index_builder.cache import CrawlCache
from index_builder.crawled import Crawled, CrawlOptions
from index_builder.fetch import Fetcher, FileFetcher, SchemeRouter
from index_builder.http_fetch import HttpFetcher
from index_builder.links import source_url
from index_builder.report import CrawlReport, Skip
from index_builder.retry import Retrying, RetryPolicy
from index_builder.s3_fetch import S3Fetcher
from index_builder.walk import Progress, Walk
from stacsift import __version__
from stacsift.settings import StoreSettings

__all__ = ["CrawlOptions", "CrawlReport", "Crawled", "Crawler", "Skip", "crawl", "make_fetcher"]


def make_fetcher(
    options: CrawlOptions,
    store: StoreSettings,
    *,
    sleep: Callable[[float], None] = time.sleep,
    unit_random: Callable[[], float] = random.random,
    now: Callable[[], float] = time.time,
) -> Retrying:
    """Files, HTTP(S) and S3 behind one fetcher that retries transient failures."""
    http = HttpFetcher(
        timeout_seconds=options.timeout_seconds, user_agent=f"stacsift/{__version__}", now=now
    )
    router = SchemeRouter(
        {"file": FileFetcher(), "http": http, "https": http, "s3": S3Fetcher(store)}
    )
    policy = RetryPolicy(attempts=options.attempts)
    return Retrying(router, policy, sleep=sleep, unit_random=unit_random)


class Crawler:
    """Crawls sources with one set of options, fetchers and (optionally) a crawl cache.

    Close it when done (or use it with ``with``): it owns its fetcher's connections. The cache
    belongs to whoever opened it.
    """

    def __init__(
        self,
        options: CrawlOptions | None = None,
        *,
        fetcher: Fetcher | None = None,
        store: StoreSettings | None = None,
        cache: CrawlCache | None = None,
        progress: Progress | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.options = options or CrawlOptions()
        self.fetcher = fetcher or make_fetcher(self.options, store or StoreSettings())
        self.cache = cache
        self.progress = progress
        self.clock = clock

    def __enter__(self) -> Crawler:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def crawl(self, sources: str | Sequence[str], report: CrawlReport) -> Iterator[Crawled]:
        """Every object reachable from ``sources``, in breadth-first order, sources in turn."""
        given = [sources] if isinstance(sources, str) else list(sources)
        roots = [(source, source_url(source)) for source in given]
        walk = Walk(
            self.options,
            self.fetcher,
            report,
            cache=self.cache,
            progress=self.progress,
            clock=self.clock,
        )
        try:
            yield from walk.run(roots)
        finally:
            self.fetcher.close()  # the walk's threads are gone: so are their connections' uses

    def close(self) -> None:
        self.fetcher.close()


def crawl(
    sources: str | Sequence[str], report: CrawlReport, options: CrawlOptions | None = None
) -> Iterator[Crawled]:
    """Crawl ``sources`` with default fetchers and no cache (a convenience for one-off use)."""
    with Crawler(options) as crawler:
        yield from crawler.crawl(sources, report)
