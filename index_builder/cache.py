"""The crawl cache: each remote document's validators and last body, for cheap re-crawls.

For every document fetched over HTTP(S) or S3 the cache keeps its ``ETag``, ``Last-Modified``,
a SHA-256 of the body, and the body itself. The next crawl sends ``If-None-Match`` /
``If-Modified-Since``; a ``304 Not Modified`` costs no body transfer, and the builder still gets
the object, from the cached body. Local files are not cached: reading them is as cheap.

It is one SQLite file, written only by the crawl's coordinating thread, in batched transactions.
Several crawls may share it (SQLite serialises writers).
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path

from stacsift.errors import StacsiftError

SCHEMA = """
CREATE TABLE IF NOT EXISTS documents (
    key TEXT PRIMARY KEY,
    etag TEXT,
    last_modified TEXT,
    sha256 TEXT NOT NULL,
    body BLOB NOT NULL
)
"""
BATCH = 500


class CacheError(StacsiftError):
    """The crawl cache cannot be opened or written."""


@dataclass(frozen=True, slots=True)
class Validators:
    """What a conditional request needs to know about the cached copy."""

    etag: str | None
    last_modified: str | None
    sha256: str


class CrawlCache:
    """A SQLite file of ``request key → validators, body``. Close it (or use ``with``).

    The file is opened (and created) on first use, so crawls of local catalogs leave none.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._connection: sqlite3.Connection | None = None
        self._pending = 0

    @property
    def _db(self) -> sqlite3.Connection:
        if self._connection is None:
            self._connection = self._open()
        return self._connection

    def _open(self) -> sqlite3.Connection:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            db = sqlite3.connect(self.path, check_same_thread=False)
        except (OSError, sqlite3.Error) as err:
            raise CacheError(f"cannot open the crawl cache {self.path}: {err}") from err
        try:
            # A cache need not survive a power cut intact, only never be corrupt: WAL with
            # NORMAL sync does that without an fsync per commit.
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            db.execute(SCHEMA)
            db.commit()
        except sqlite3.Error as err:
            db.close()
            raise CacheError(f"cannot open the crawl cache {self.path}: {err}") from err
        return db

    def __enter__(self) -> CrawlCache:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def validators(self, key: str) -> Validators | None:
        row = self._db.execute(
            "SELECT etag, last_modified, sha256 FROM documents WHERE key = ?", (key,)
        ).fetchone()
        return None if row is None else Validators(row[0], row[1], row[2])

    def body(self, key: str) -> bytes | None:
        row = self._db.execute("SELECT body FROM documents WHERE key = ?", (key,)).fetchone()
        return None if row is None else bytes(row[0])

    def store(
        self, key: str, etag: str | None, last_modified: str | None, sha256: str, body: bytes
    ) -> None:
        try:
            self._db.execute(
                "INSERT OR REPLACE INTO documents VALUES (?, ?, ?, ?, ?)",
                (key, etag, last_modified, sha256, body),
            )
        except sqlite3.Error as err:
            raise CacheError(f"cannot write the crawl cache {self.path}: {err}") from err
        self._pending += 1
        if self._pending >= BATCH:
            self.flush()

    def forget(self, key: str) -> None:
        self._db.execute("DELETE FROM documents WHERE key = ?", (key,))

    def flush(self) -> None:
        if self._connection is None:
            return
        try:
            self._connection.commit()
        except sqlite3.Error as err:
            raise CacheError(f"cannot write the crawl cache {self.path}: {err}") from err
        self._pending = 0

    def close(self) -> None:
        if self._connection is None:
            return
        try:
            self.flush()
        finally:
            self._connection.close()
            self._connection = None
