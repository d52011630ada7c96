"""The CLI's commands: each takes parsed arguments and the environment, returns an exit code."""

from __future__ import annotations

import argparse
import contextlib
import sys
from collections.abc import Mapping
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import boto3
import orjson

from functions import files, presign, stac_api
from functions.gateway import dispatch, make_server
from functions.search import make_handler
from index_builder.build import BuildResult, IncompleteCrawl
from index_builder.build import build as run_build
from index_builder.cache import CrawlCache
from index_builder.crawl import Crawler
from index_builder.gc import collect as run_gc
from index_builder.report import CrawlReport
from index_builder.sample import write_sample
from stacsift.errors import InvalidParameter, StacsiftError
from stacsift.files import FILES_PREFIX, ServedFolders
from stacsift.index import schema
from stacsift.index.reader import IndexReader, open_reader
from stacsift.index.rejects import newest as newest_rejects
from stacsift.query import params
from stacsift.reindex.apply import open_reindexer
from stacsift.reindex.reconcile import reconcile as run_reconcile
from stacsift.search import get_collection, search_items
from stacsift.settings import PresignSettings, ReindexSettings, SearchSettings, StoreSettings
from stacsift.store import open_bucket
from stacsift_cli import crawling
from stacsift_cli.worker import run as run_worker


class ServeError(StacsiftError):
    """The local server cannot start (the port is taken, the host is not local, …)."""


def build(args: argparse.Namespace, env: Mapping[str, str]) -> int:
    store = StoreSettings.from_env(env)
    bucket = open_bucket(args.root, store, create=True)
    progress = (
        crawling.TerminalProgress(sys.stderr, crawling.crawl_status)
        if sys.stderr.isatty()
        else crawling.LogProgress()
    )
    cache_path = crawling.crawl_cache_path(args, env)
    with contextlib.ExitStack() as stack:
        cache = stack.enter_context(CrawlCache(cache_path)) if cache_path else None
        crawler = Crawler(
            crawling.crawl_options(args),
            store=store,
            cache=cache,
            progress=progress,
        )
        stack.enter_context(crawler)
        stack.enter_context(schema.layout(getattr(args, "format", schema.FORMAT_VERSION)))
        try:
            result = run_build(
                args.sources,
                bucket,
                crawler=crawler,
                strict=args.strict,
                force=args.force,
                full=args.full,
                cache_dir=args.cache_dir,
            )
        except IncompleteCrawl as err:
            _write_report(args, err.report, None)
            raise
        finally:
            progress.finish()
    for line in crawling.summary(result, bucket.url):
        print(line)
    _write_report(args, result.report, result)
    return 0


def _write_report(
    args: argparse.Namespace, report: CrawlReport, result: BuildResult | None
) -> None:
    if args.report:
        args.report.write_bytes(crawling.report_json(report, result, list(args.sources)))


DEFAULT_ROOT = "./.stacsift"  # where make run builds the sample


def _settings(args: argparse.Namespace, env: Mapping[str, str]) -> SearchSettings:
    """Settings of serve and search: ``--root``, else ``STACSIFT_ROOT``, else ./.stacsift."""
    root = args.root or env.get("STACSIFT_ROOT", "").strip() or DEFAULT_ROOT
    settings = SearchSettings.from_env({**env, "STACSIFT_ROOT": root})
    return replace(settings, cache_dir=args.cache_dir) if args.cache_dir else settings


def serve(args: argparse.Namespace, env: Mapping[str, str]) -> int:
    """The search API, the presign routes under ``/sign`` and the crawled folders under
    ``/files``, over one shared index reader."""
    settings = replace(_settings(args, env), serve_files=True)
    signing = replace(
        PresignSettings.from_env(env),
        root=settings.root,
        store=settings.store,
        cache_dir=settings.cache_dir,
    )
    reader = _reader(settings)
    reader.current()  # fail fast, with a clear error, if there is no index
    routes = {
        "/sign": presign.make_handler(signing, reader),
        FILES_PREFIX: files.make_handler(
            lambda: ServedFolders.of_sources(reader.current().manifest.sources)
        ),
    }
    handler = dispatch(routes, make_handler(settings, reader))
    try:
        server = make_server(handler, args.host, args.port)
    except OSError as err:
        raise ServeError(f"cannot listen on {args.host}:{args.port}: {err.strerror}") from err
    url = f"http://{args.host}:{server.server_address[1]}"
    print(f"stacsift serving {settings.root} at {url}/", flush=True)
    print(f"  try: curl '{url}/search?q=forest'", flush=True)
    if signing.allow:
        allowed = ", ".join(str(rule) for rule in signing.allow)
        print(f"  presigning under {url}/sign for: {allowed}", flush=True)
    else:
        print("  presigning is off: set STACSIFT_PRESIGN_ALLOW=bucket[/prefix],…", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


def search(args: argparse.Namespace, env: Mapping[str, str]) -> int:
    settings = _settings(args, env)
    request = params.SearchRequest(
        q=args.text or None,
        collections=params.parse_list("collections", args.collections),
        bbox=params.parse_bbox(args.bbox),
        datetime=params.parse_datetime(args.datetime, dates=True),
        limit=params.parse_limit(args.limit, default=10, maximum=settings.max_limit),
    )
    index = _reader(settings).current()
    for collection in request.collections:
        get_collection(index, collection)  # "collection 'x' does not exist", not "0 of 0"
    page = search_items(index, request, count_limit=settings.count_limit)
    matched = stac_api.AT_LEAST if page.at_least else "numberMatched"
    if args.json:
        body = {
            "type": "FeatureCollection",
            "features": page.features,
            matched: page.matched,
            "numberReturned": len(page.features),
        }
        sys.stdout.write(orjson.dumps(body).decode() + "\n")
    else:
        at_least = "at least " if page.at_least else ""
        _print_table(page.features, None if page.matched is None else f"{at_least}{page.matched}")
    return 0


def gc(args: argparse.Namespace, env: Mapping[str, str]) -> int:
    bucket = open_bucket(args.root, StoreSettings.from_env(env))
    result = run_gc(bucket, keep=args.keep, grace=parse_duration(args.grace), dry_run=args.dry_run)
    verb = "would delete" if args.dry_run else "deleted"
    print(
        f"kept generations {result.kept_generations}; {verb} {len(result.deleted)} files "
        f"({result.deleted_bytes} bytes); {result.too_young} unreferenced files within the grace"
    )
    return 0


def _reindex_settings(args: argparse.Namespace, env: Mapping[str, str]) -> ReindexSettings:
    watch = args.watch or [w.strip() for w in env.get("STACSIFT_WATCH", "").split(",") if w]
    if not watch:
        raise InvalidParameter("--watch", "give at least one s3://bucket/prefix to watch")
    settings = ReindexSettings.from_env(
        {**env, "STACSIFT_ROOT": args.root, "STACSIFT_WATCH": ",".join(watch)}
    )
    return replace(settings, cache_dir=args.cache_dir) if args.cache_dir else settings


def reconcile(args: argparse.Namespace, env: Mapping[str, str]) -> int:
    settings = _reindex_settings(args, env)
    done = run_reconcile(open_reindexer(settings), settings.store)
    published = done.result.manifest.generation if done.result else None
    outcome = f"published generation {published}" if published else "nothing to publish"
    print(f"{done.listed} watched objects; {done.read} new, changed or gone; {outcome}")
    return 0


def worker(args: argparse.Namespace, env: Mapping[str, str]) -> int:
    settings = _reindex_settings(args, env)
    sqs = boto3.client("sqs", endpoint_url=env.get("AWS_ENDPOINT_URL_SQS") or None)
    # Imported here: the reindex function sends the core's log lines to stdout (its Lambda
    # set-up), which would mix them into `stacsift search --json` and the other commands.
    from functions.reindex import make_handler as make_reindex_handler

    stats = run_worker(
        sqs,
        args.queue_url,
        make_reindex_handler(settings),
        batch_size=args.batch_size,
        window=args.window,
        until_idle=args.until_idle,
    )
    print(f"{stats.messages} messages in {stats.batches} batches; {stats.failed} redelivered")
    return 0


def rejects(args: argparse.Namespace, env: Mapping[str, str]) -> int:
    bucket = open_bucket(args.root, StoreSettings.from_env(env))
    for reject in newest_rejects(bucket, args.limit):
        print(f"{reject.time}  {reject.url}  {reject.reason}")
    return 0


def parse_duration(text: str) -> timedelta:
    """``90s``, ``30m``, ``1h``, ``2d`` or plain seconds."""
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400}
    value, unit = (text[:-1], text[-1]) if text and text[-1] in units else (text, "s")
    try:
        seconds = float(value) * units[unit]
    except ValueError:
        raise InvalidParameter(
            "grace", f"expected a duration like 30m or 1h, got {text!r}"
        ) from None
    if seconds < 0:
        raise InvalidParameter("grace", "must not be negative")
    return timedelta(seconds=seconds)


def sample(args: argparse.Namespace, env: Mapping[str, str]) -> int:
    root = write_sample(args.directory)
    print(f"sample catalog written to {root}")
    return 0


def _reader(settings: SearchSettings) -> IndexReader:
    return open_reader(
        settings.root, settings.store, settings.cache_dir, settings.manifest_ttl_seconds
    )


def _print_table(features: list[dict[str, Any]], matched: str | None) -> None:
    rows = [
        (
            str(f.get("id", "")),
            str(f.get("collection", "")),
            _when(f.get("properties") or {}),
            str((f.get("properties") or {}).get("title") or ""),
        )
        for f in features
    ]
    header = ("ID", "COLLECTION", "DATETIME", "TITLE")
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(3)]
    for row in [header, *rows]:
        print("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=False)) + "  " + row[3])
    print(f"{len(rows)} of {'many' if matched is None else matched} matching items")


def _when(props: dict[str, Any]) -> str:
    if props.get("datetime"):
        return str(props["datetime"])
    start, end = props.get("start_datetime"), props.get("end_datetime")
    return f"{start or '..'}/{end or '..'}"


def sample_path(directory: Path) -> Path:
    return directory / "catalog.json"
