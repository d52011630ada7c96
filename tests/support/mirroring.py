"""Helpers for mirror tests: a run with never-waiting backoff, and reading a mirror back."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson

from index_builder.cache import CrawlCache
from index_builder.crawl import CrawlOptions, make_fetcher
from index_builder.mirror import Mirror, MirrorOptions, MirrorReport, Progress
from index_builder.mirror_paths import STATE_DIR
from index_builder.mirror_rewrite import STRUCTURAL
from stacsift.settings import StoreSettings
from stacsift.store import Bucket
from tests.support.crawling import Sleeps, crawler

_runs = 0


def mirror(
    sources: list[str],
    bucket: Bucket,
    work: Path,
    options: MirrorOptions | None = None,
    *,
    store: StoreSettings | None = None,
    cache: CrawlCache | None = None,
    crawl: CrawlOptions | None = None,
    progress: Progress | None = None,
) -> MirrorReport:
    """One mirroring run (a fresh work folder each time, as a new process would have)."""
    global _runs
    _runs += 1
    folder = work / f"run-{_runs}"
    folder.mkdir(parents=True)
    crawl = crawl or CrawlOptions()
    store = store or StoreSettings()
    fetcher = make_fetcher(crawl, store, sleep=Sleeps(), unit_random=lambda: 0.0)
    with crawler(crawl, store=store, cache=cache) as active:
        run = Mirror(bucket, active, fetcher, options or MirrorOptions(), folder, progress=progress)
        try:
            return run.run(sources)
        finally:
            fetcher.close()


def mirrored_json(bucket: Bucket) -> Iterator[tuple[str, dict[str, Any]]]:
    """(key, object) of every JSON object in the mirror (not its state)."""
    for info in bucket.list(""):
        if info.key.endswith(".json") and not info.key.startswith(STATE_DIR):
            yield info.key, orjson.loads(bucket.get(info.key))


def non_relative_links(document: dict[str, Any]) -> list[str]:
    return [
        f"{link['rel']} {link['href']}"
        for link in document.get("links", [])
        if link.get("rel") in STRUCTURAL and ("://" in link["href"] or link["href"].startswith("/"))
    ]
