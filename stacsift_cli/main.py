"""``stacsift build | mirror | serve | search | gc | worker | reconcile | rejects | …``.

Every deliberate error ends as one readable line on stderr and a non-zero exit, never a traceback.
"""

from __future__ import annotations

import argparse
import logging
import math
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from stacsift import __version__
from stacsift.errors import StacsiftError
from stacsift.index.schema import FORMAT_VERSION, READABLE_FORMATS
from stacsift_cli import commands, mirroring
from stacsift_cli.worker import BATCH_SIZE

EXIT_ERROR = 1


ROOT_HELP = "the index root (default: $STACSIFT_ROOT, else ./.stacsift)"


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="stacsift", description=__doc__)
    top.add_argument("--version", action="version", version=f"stacsift {__version__}")
    top.add_argument("-v", "--verbose", action="store_true", help="log progress")
    sub = top.add_subparsers(dest="command", required=True)

    build = sub.add_parser("build", help="crawl catalogs into an index published at ROOT")
    _build_arguments(build)
    build.set_defaults(run=commands.build)

    mirror = sub.add_parser("mirror", help="copy catalogs (and their assets) into DEST")
    _mirror_arguments(mirror)
    mirror.set_defaults(run=mirroring.mirror)

    serve = sub.add_parser("serve", help="serve the STAC API over the index at ROOT")
    serve.add_argument("--root", help=ROOT_HELP)
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--cache-dir", type=Path, help="local cache of index files")
    serve.set_defaults(run=commands.serve)

    search = sub.add_parser("search", help="search the index at ROOT")
    search.add_argument("text", nargs="?", help="free text, e.g. 'Forest*' or 'forest,water'")
    search.add_argument("--root", help=ROOT_HELP)
    search.add_argument("--collections", help="comma-separated collection ids")
    search.add_argument("--bbox", help="west,south,east,north")
    search.add_argument("--datetime", help="instant or interval, e.g. 2010-01-01/..")
    search.add_argument("--limit", default="10", help="how many hits (default 10)")
    search.add_argument("--json", action="store_true", help="print a GeoJSON FeatureCollection")
    search.add_argument("--cache-dir", type=Path, help="local cache of index files")
    search.set_defaults(run=commands.search)

    gc = sub.add_parser("gc", help="delete index files no kept generation references")
    gc.add_argument("--root", required=True)
    gc.add_argument("--keep", type=int, default=3, help="generations to keep (default 3)")
    gc.add_argument("--grace", default="1h", help="minimum age of deleted files (e.g. 30m, 1h)")
    gc.add_argument("--dry-run", action="store_true", help="list what would be deleted")
    gc.set_defaults(run=commands.gc)

    worker = sub.add_parser("worker", help="reindex from an SQS queue of object events")
    worker.add_argument("--queue-url", required=True, help="the SQS queue the bucket notifies")
    worker.add_argument("--root", required=True, help="the index root: s3://bucket/prefix")
    worker.add_argument(
        "--watch",
        action="append",
        default=[],
        metavar="S3_URL",
        help="a watched s3://bucket/prefix (repeatable; default: STACSIFT_WATCH)",
    )
    worker.add_argument(
        "--until-idle",
        type=_seconds,
        metavar="SECONDS",
        help="exit once the queue was empty this long",
    )
    worker.add_argument(
        "--batch-size",
        type=_positive,
        default=BATCH_SIZE,
        help=f"messages per generation at most (default {BATCH_SIZE}): what the queue holds",
    )
    worker.add_argument(
        "--window",
        type=_seconds,
        default=0.0,
        metavar="SECONDS",
        help="under a burst, gather a batch for up to this long (default 0: at least 1 s)",
    )
    worker.add_argument("--cache-dir", type=Path, help="local cache of index files")
    worker.set_defaults(run=commands.worker)

    reconcile = sub.add_parser(
        "reconcile", help="reindex what changed under the watched prefixes (missed events)"
    )
    reconcile.add_argument("--root", required=True, help="the index root: s3://bucket/prefix")
    reconcile.add_argument(
        "--watch", action="append", default=[], metavar="S3_URL", help="as for worker"
    )
    reconcile.add_argument("--cache-dir", type=Path, help="local cache of index files")
    reconcile.set_defaults(run=commands.reconcile)

    rejects = sub.add_parser("rejects", help="list objects reindexing could not index")
    rejects.add_argument("--root", required=True)
    rejects.add_argument("--limit", type=_positive, default=50, help="how many (default 50)")
    rejects.set_defaults(run=commands.rejects)

    sample = sub.add_parser("sample", help="write the sample land-cover catalog to DIR")
    sample.add_argument("directory", type=Path)
    sample.set_defaults(run=commands.sample)
    return top


def _build_arguments(build: argparse.ArgumentParser) -> None:
    _sources_argument(build)
    build.add_argument("--root", required=True, help="folder, file:// or s3://bucket/prefix")
    build.add_argument("--report", type=Path, help="write the crawl report as JSON here")
    build.add_argument(
        "--strict", action="store_true", help="fail, publishing nothing, if anything is skipped"
    )
    build.add_argument(
        "--full", action="store_true", help="rebuild the index instead of updating it"
    )
    build.add_argument(
        "--force", action="store_true", help="rebuild and publish even if nothing changed"
    )
    build.add_argument("--cache-dir", type=Path, help="local cache of index files")
    build.add_argument(
        "--format",
        type=int,
        choices=READABLE_FORMATS,
        default=FORMAT_VERSION,
        help="index format to write (the previous one: to test a rollout)",
    )
    _crawl_arguments(build)


def _mirror_arguments(mirror: argparse.ArgumentParser) -> None:
    _sources_argument(mirror)
    mirror.add_argument("--to", required=True, metavar="DEST", help="folder or s3://bucket/prefix")
    mirror.add_argument(
        "--assets",
        default="none",
        help="assets to copy: none (default), all, roles (data,overview) or a pattern (*.tif)",
    )
    mirror.add_argument("--index", metavar="ROOT", help="then build or update the index at ROOT")
    mirror.add_argument(
        "--delete", action="store_true", help="remove from DEST what vanished upstream"
    )
    mirror.add_argument("--report", type=Path, help="write the mirror report as JSON here")
    mirror.add_argument("--dry-run", action="store_true", help="count what would be copied")
    _crawl_arguments(mirror)


def _sources_argument(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "sources",
        nargs="+",
        metavar="SOURCE",
        help="static catalog, STAC API, item collection or .ndjson file: a path, folder, "
        "file://, http(s):// or s3:// URL",
    )


def _crawl_arguments(command: argparse.ArgumentParser) -> None:
    """The crawl options ``build`` and ``mirror`` share."""
    crawl = command.add_argument_group("crawling")
    crawl.add_argument("--max-depth", type=_count, help="follow links at most this deep")
    crawl.add_argument("--max-items", type=_count, help="stop after this many items")
    crawl.add_argument(
        "--include",
        action="append",
        default=[],
        metavar="PATTERN",
        help="only collections whose id matches (fnmatch, e.g. 'sentinel-*'); repeatable",
    )
    crawl.add_argument(
        "--exclude", action="append", default=[], metavar="PATTERN", help="leave out; repeatable"
    )
    crawl.add_argument("--concurrency", type=_positive, default=16, help="fetches at once")
    crawl.add_argument("--per-host", type=_positive, default=8, help="fetches at once per host")
    crawl.add_argument("--timeout", type=float, default=30.0, help="seconds per network step")
    crawl.add_argument("--retries", type=_count, default=4, help="retries per document")
    crawl.add_argument(
        "--max-document-bytes", type=_positive, default=32 * 1024 * 1024, help="size cap"
    )
    crawl.add_argument("--page-size", type=_positive, default=250, help="STAC API page limit")
    crawl.add_argument(
        "--items-via",
        choices=["auto", "items", "search", "search-post"],
        default="auto",
        help="how to list a STAC API's items (default: /collections/{id}/items if offered)",
    )
    crawl.add_argument(
        "--crawl-cache",
        type=Path,
        help="validators and bodies of remote documents (default ~/.cache/stacsift/crawl.sqlite)",
    )
    crawl.add_argument("--no-crawl-cache", action="store_true", help="fetch everything afresh")


def _count(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must not be negative: {text}")
    return value


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1: {text}")
    return value


def _seconds(text: str) -> float:
    """A duration: not negative, and finite (a ``nan`` window would never close a batch)."""
    value = float(text)
    if not math.isfinite(value) or value < 0:
        raise argparse.ArgumentTypeError(f"must be a number of seconds, not negative: {text}")
    return value


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    try:
        code: int = args.run(args, os.environ)
    except StacsiftError as err:
        print(f"stacsift: error: {err}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        return 130
    return code


if __name__ == "__main__":
    sys.exit(main())
