"""``stacsift build | serve | search | sample`` — argument parsing and error reporting.

Every deliberate error ends as one readable line on stderr and a non-zero exit, never a traceback.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from stacsift import __version__
from stacsift.errors import StacsiftError
from stacsift_cli import commands

EXIT_ERROR = 1


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="stacsift", description=__doc__)
    top.add_argument("--version", action="version", version=f"stacsift {__version__}")
    top.add_argument("-v", "--verbose", action="store_true", help="log progress")
    sub = top.add_subparsers(dest="command", required=True)

    build = sub.add_parser("build", help="crawl catalogs into an index published at ROOT")
    build.add_argument("sources", nargs="+", metavar="SOURCE", help="catalog.json path or folder")
    build.add_argument("--root", required=True, help="folder, file:// or s3://bucket/prefix")
    build.add_argument("--report", type=Path, help="write the crawl report as JSON here")
    build.add_argument("--full", action="store_true", help="rebuild instead of updating")
    build.add_argument("--cache-dir", type=Path, help="local cache of index files")
    build.set_defaults(run=commands.build)

    serve = sub.add_parser("serve", help="serve the STAC API over the index at ROOT")
    serve.add_argument("--root", required=True)
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--cache-dir", type=Path, help="local cache of index files")
    serve.set_defaults(run=commands.serve)

    search = sub.add_parser("search", help="search the index at ROOT")
    search.add_argument("text", nargs="?", help="free text, e.g. 'Forest*' or 'forest,water'")
    search.add_argument("--root", required=True)
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

    sample = sub.add_parser("sample", help="write the sample land-cover catalog to DIR")
    sample.add_argument("directory", type=Path)
    sample.set_defaults(run=commands.sample)
    return top


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
