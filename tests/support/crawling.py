"""Helpers for crawl tests: a crawler with recorded (not real) backoff sleeps, and summaries."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from index_builder.cache import CrawlCache
from index_builder.crawl import Crawled, Crawler, CrawlOptions, CrawlReport, make_fetcher
from stacsift.settings import StoreSettings

FIXTURE_KINDS = ("Catalog", "Collection", "Item")


@dataclass
class Sleeps:
    """An injected ``sleep`` that records the delay instead of waiting."""

    seconds: list[float] = field(default_factory=list)

    def __call__(self, delay: float) -> None:
        self.seconds.append(delay)


def crawler(
    options: CrawlOptions | None = None,
    *,
    store: StoreSettings | None = None,
    cache: CrawlCache | None = None,
    sleeps: Sleeps | None = None,
) -> Crawler:
    """A crawler whose backoff never waits (jitter 0, sleeps recorded)."""
    options = options or CrawlOptions()
    fetcher = make_fetcher(
        options, store or StoreSettings(), sleep=sleeps or Sleeps(), unit_random=lambda: 0.0
    )
    return Crawler(options, fetcher=fetcher, cache=cache)


def crawl_all(
    sources: str | list[str], options: CrawlOptions | None = None, **kwargs: object
) -> tuple[list[Crawled], CrawlReport]:
    report = CrawlReport()
    with crawler(options, **kwargs) as active:  # type: ignore[arg-type]
        found = list(active.crawl(sources, report))
    return found, report


def counts(found: Iterable[Crawled]) -> dict[str, int]:
    tally = dict.fromkeys(FIXTURE_KINDS, 0)
    for obj in found:
        tally[obj.kind] += 1
    return tally


def skips(report: CrawlReport) -> dict[str, str]:
    return {skip.href: skip.reason for skip in report.skipped}
