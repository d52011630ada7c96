"""A crawl written to a local file first, with a digest of what it found.

The builder spools the whole crawl before indexing anything, so that it can tell — from the
digest of every object's URL and content hash, in crawl order — whether anything changed since
the published generation. If nothing did, nothing is rebuilt or published; otherwise the index
is built by reading the spool back. The spool is newline-delimited JSON on local disk: it costs
a few percent of a build and keeps memory flat however large the catalog.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from pathlib import Path

import orjson

from index_builder.crawled import Crawled

DIGEST_FORMAT = b"stacsift-crawl-1\n"


class Spool:
    """Crawled objects in a file: :meth:`write` them once, :meth:`read` them back any time."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.count = 0
        self.digest = ""

    def write(self, objects: Iterable[Crawled]) -> str:
        """Spool ``objects``; returns (and keeps) the digest of the crawl."""
        digest = hashlib.sha256(DIGEST_FORMAT)
        with self.path.open("wb") as out:
            for obj in objects:
                digest.update(f"{obj.kind}\t{obj.href}\t{obj.version}\n".encode())
                out.write(orjson.dumps([obj.kind, obj.href, obj.version, obj.data]))
                out.write(b"\n")
                self.count += 1
        self.digest = digest.hexdigest()
        return self.digest

    def read(self) -> Iterator[Crawled]:
        with self.path.open("rb") as spooled:
            for line in spooled:
                kind, href, version, data = orjson.loads(line)
                yield Crawled(kind, href, data, version)
