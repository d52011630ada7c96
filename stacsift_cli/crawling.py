"""``stacsift build``'s crawl wiring: options from flags, the crawl cache, progress, the report.

Progress is a one-line counter redrawn on a terminal (objects found, by kind, and the rate), and
plain ``key=value`` log lines every few seconds otherwise (CI logs, files).
"""

from __future__ import annotations

import argparse
import logging
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Generic, TextIO, TypeVar

import orjson

from index_builder.build import BuildResult
from index_builder.crawl import CrawlOptions
from index_builder.report import CrawlReport

logger = logging.getLogger("stacsift.progress")
LOG_EVERY_SECONDS = 5.0
R = TypeVar("R")
SHOWN_SKIPS = 20


def crawl_options(args: argparse.Namespace) -> CrawlOptions:
    return CrawlOptions(
        max_depth=args.max_depth,
        max_items=args.max_items,
        include=tuple(args.include),
        exclude=tuple(args.exclude),
        concurrency=args.concurrency,
        per_host=args.per_host,
        timeout_seconds=args.timeout,
        attempts=args.retries + 1,
        max_document_bytes=args.max_document_bytes,
        page_size=args.page_size,
        items_via=args.items_via,
    )


def crawl_cache_path(args: argparse.Namespace, env: Mapping[str, str]) -> Path | None:
    """``--crawl-cache``, else ``$XDG_CACHE_HOME/stacsift/crawl.sqlite`` (``~/.cache`` …)."""
    if args.no_crawl_cache:
        return None
    if args.crawl_cache:
        return Path(args.crawl_cache)
    base = env.get("XDG_CACHE_HOME") or str(Path(env.get("HOME") or Path.home()) / ".cache")
    return Path(base) / "stacsift" / "crawl.sqlite"


class TerminalProgress(Generic[R]):
    """Redraws one status line on a terminal (``status`` of the report and the seconds since the
    start), at most once every ``every`` seconds."""

    def __init__(
        self,
        stream: TextIO,
        status: Callable[[R, float], str],
        clock: Callable[[], float] = time.monotonic,
        every: float = 0.0,
    ) -> None:
        self.stream = stream
        self.status = status
        self.clock = clock
        self.every = every
        self.started = clock()
        self.next = 0.0
        self.drawn = False

    def __call__(self, report: R) -> None:
        now = self.clock()
        if now < self.next:
            return
        self.next = now + self.every
        self.stream.write(f"\r{self.status(report, now - self.started)}\x1b[K")
        self.stream.flush()
        self.drawn = True

    def finish(self) -> None:
        if self.drawn:
            self.stream.write("\n")
            self.stream.flush()
            self.drawn = False


class LogProgress:
    """Logs a ``key=value`` progress line every few seconds."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self.started = clock()
        self.next = self.started + LOG_EVERY_SECONDS
        if logger.getEffectiveLevel() > logging.INFO:
            logger.setLevel(logging.INFO)  # shown without -v: it is what a CI log is for

    def __call__(self, report: CrawlReport) -> None:
        now = self.clock()
        if now >= self.next:
            self.next = now + LOG_EVERY_SECONDS
            elapsed = now - self.started
            counts = report.counts
            logger.info(
                "crawl objects=%s catalogs=%s collections=%s items=%s skipped=%s rate=%.0f/s",
                report.objects,
                counts["Catalog"],
                counts["Collection"],
                counts["Item"],
                len(report.skipped),
                report.objects / elapsed if elapsed > 0 else 0.0,
            )

    def finish(self) -> None:
        return None


def crawl_status(report: CrawlReport, elapsed: float) -> str:
    """The crawl's progress line."""
    counts = report.counts
    rate = report.objects / elapsed if elapsed > 0 else 0.0
    return (
        f"crawling: {report.objects:,} objects ({counts['Catalog']:,} catalogs, "
        f"{counts['Collection']:,} collections, {counts['Item']:,} items) · {rate:,.0f}/s · "
        f"{len(report.skipped):,} skipped"
    )


def summary(result: BuildResult, where: str) -> list[str]:
    """What the CLI prints after a build."""
    report, counts = result.report, result.report.counts
    found = (
        f"{counts['Catalog']} catalogs, {counts['Collection']} collections, "
        f"{counts['Item']} items; {len(report.skipped)} skipped"
    )
    if result.unchanged:
        head = f"unchanged since generation {result.manifest.generation} at {where}: {found}"
    else:
        head = (
            f"generation {result.manifest.generation} published to {where}: {found}; "
            f"{result.changed} objects written, {result.deleted} deleted"
        )
    lines = [head]
    transfer = report.transfer
    if transfer.requests:
        lines.append(
            f"  fetched {transfer.requests} remote documents: {transfer.bodies} bodies, "
            f"{transfer.not_modified} not modified, {transfer.retries} retries"
        )
    if report.warnings:
        total = sum(group.count for group in report.warnings.values())
        lines.append(f"  {total} leniency warnings of {len(report.warnings)} kinds (see --report)")
    lines += [f"  skipped {s.href}: {s.reason}" for s in report.skipped[:SHOWN_SKIPS]]
    if len(report.skipped) > SHOWN_SKIPS:
        lines.append(f"  … and {len(report.skipped) - SHOWN_SKIPS} more (see --report)")
    return lines


def report_json(report: CrawlReport, result: BuildResult | None, sources: list[str]) -> bytes:
    """The ``--report`` file: counts by kind, every skip with URL and reason, warnings, …"""
    body: dict[str, Any] = {"sources": sources, **report.to_dict()}
    if result is not None:
        body["generation"] = result.manifest.generation
        body["unchanged"] = result.unchanged
        body["duplicates"] = result.duplicates
    return orjson.dumps(body, option=orjson.OPT_INDENT_2)
