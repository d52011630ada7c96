"""``stacsift mirror``: flags to options, the run, a progress line, the summary and report."""

from __future__ import annotations

import argparse
import contextlib
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path

import orjson

from index_builder.build import build as run_build
from index_builder.cache import CrawlCache
from index_builder.crawl import Crawler, make_fetcher
from index_builder.mirror import Mirror, MirrorOptions, MirrorReport
from index_builder.mirror_copy import AssetSelection
from stacsift.settings import StoreSettings
from stacsift.store import open_bucket
from stacsift_cli import crawling

SHOWN_FAILURES = 20


def mirror(args: argparse.Namespace, env: Mapping[str, str]) -> int:
    store = StoreSettings.from_env(env)
    bucket = open_bucket(args.to, store, create=True)
    crawl = crawling.crawl_options(args)
    options = MirrorOptions(
        assets=AssetSelection.parse(args.assets),
        delete=args.delete,
        dry_run=args.dry_run,
        concurrency=crawl.concurrency,
        per_host=crawl.per_host,
    )
    progress = (
        crawling.TerminalProgress(sys.stderr, mirror_status, every=0.25)
        if sys.stderr.isatty()
        else None
    )
    cache_path = crawling.crawl_cache_path(args, env)
    with contextlib.ExitStack() as stack:
        cache = stack.enter_context(CrawlCache(cache_path)) if cache_path else None
        crawler = stack.enter_context(Crawler(crawl, store=store, cache=cache))
        work = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="stacsift-mirror-")))
        fetcher = make_fetcher(crawl, store)
        stack.callback(fetcher.close)
        run = Mirror(bucket, crawler, fetcher, options, work, progress=progress)
        try:
            report = run.run(args.sources)
        finally:
            if progress is not None:
                progress.finish()
            if args.report:
                args.report.write_bytes(report_json(run.report, args))
    for line in summary(report, bucket.url, dry_run=args.dry_run):
        print(line)
    if args.index and not args.dry_run:
        index = open_bucket(args.index, store, create=True)
        with Crawler(crawl, store=store) as reader:
            result = run_build([f"{bucket.url}/catalog.json"], index, crawler=reader)
        for line in crawling.summary(result, index.url):
            print(line)
    return 0


def report_json(report: MirrorReport, args: argparse.Namespace) -> bytes:
    body = {"sources": list(args.sources), "dest": args.to, **report.to_dict(dry_run=args.dry_run)}
    return orjson.dumps(body, option=orjson.OPT_INDENT_2)


def summary(report: MirrorReport, where: str, *, dry_run: bool) -> list[str]:
    mirrored, copied = report.mirrored, report.copied
    verb = "would copy" if dry_run else "copied"
    lines = [
        f"mirror at {where}: {mirrored['Catalog']} catalogs, {mirrored['Collection']} "
        f"collections, {mirrored['Item']} items, {mirrored['Asset']} assets",
        f"  {verb} {report.total_copied} objects ({copied['Item']} items, {copied['Asset']} "
        f"assets, {report.bytes:,} bytes); {report.unchanged} unchanged; {report.deleted} deleted",
    ]
    if report.delete_skipped:
        lines.append(f"  nothing deleted: {report.delete_skipped}")
    crawl = report.crawl
    lines += [f"  skipped {s.href}: {s.reason}" for s in crawl.skipped[:SHOWN_FAILURES]]
    lines += [f"  failed {f.href}: {f.reason}" for f in report.failures[:SHOWN_FAILURES]]
    hidden = max(len(crawl.skipped) - SHOWN_FAILURES, 0)
    hidden += max(len(report.failures) - SHOWN_FAILURES, 0)
    if hidden:
        lines.append(f"  … and {hidden} more (see --report)")
    return lines


def mirror_status(report: MirrorReport, elapsed: float) -> str:
    """The mirror's progress line: objects mirrored and copied, bytes, failures."""
    done = sum(report.mirrored.values())
    rate = done / elapsed if elapsed > 0 else 0.0
    return (
        f"mirroring: {done:,} objects · {report.total_copied:,} copied · "
        f"{report.unchanged:,} unchanged · {report.bytes / 1e6:,.1f} MB · "
        f"{len(report.failures):,} failed · {rate:,.0f}/s"
    )
