"""The mirror's memory, kept under DEST in ``.stacsift-mirror/state.sqlite``.

One row per object written to DEST (JSON or asset): its key, where it came from, the source's
validators (ETag, Last-Modified), size and checksum, the SHA-256 of what was written (JSON), and
the number of the last run that found it upstream. The next run asks the source "changed since?"
with those validators and rewrites a JSON object only if its bytes differ; ``--delete`` removes
what the last complete run did not find.

The file is worked on locally (SQLite) and uploaded to DEST at checkpoints and when a run ends,
also when it fails or is interrupted, so that the next run resumes where this one stopped.
Only the mirror's coordinating thread uses it.
"""

from __future__ import annotations

import shutil
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from index_builder.mirror_paths import STATE_DIR
from stacsift.errors import NotFound
from stacsift.store import Bucket

STATE_KEY = f"{STATE_DIR}/state.sqlite"
BATCH = 1000
SCHEMA = (
    """CREATE TABLE IF NOT EXISTS objects (
        key TEXT PRIMARY KEY,
        source TEXT NOT NULL,
        kind TEXT NOT NULL,
        etag TEXT,
        last_modified TEXT,
        size INTEGER,
        checksum TEXT,
        sha256 TEXT,
        run INTEGER NOT NULL
    )""",
    "CREATE INDEX IF NOT EXISTS objects_source ON objects (source)",
    "CREATE TABLE IF NOT EXISTS runs (run INTEGER PRIMARY KEY, complete INTEGER NOT NULL)",
)


@dataclass(frozen=True, slots=True)
class Record:
    """One object in DEST and what its source was like when it was copied."""

    key: str
    source: str
    kind: str
    etag: str | None = None
    last_modified: str | None = None
    size: int | None = None
    checksum: str | None = None
    sha256: str | None = None


class MirrorState:
    """The state of one DEST; :meth:`load` it, :meth:`save` it back."""

    def __init__(self, bucket: Bucket, work: Path) -> None:
        self.bucket = bucket
        self.path = work / "state.sqlite"
        self._db: sqlite3.Connection | None = None
        self.run = 0
        self._records: list[tuple[object, ...]] = []
        self._touched: list[tuple[int, str]] = []
        self._fresh = True

    def load(self) -> None:
        """Fetch DEST's state (if any) and start a new run."""
        try:
            self.bucket.download(STATE_KEY, self.path)
        except NotFound:
            self.path.unlink(missing_ok=True)
        self._db = sqlite3.connect(self.path)
        # A working copy: what makes the state durable is the upload of a snapshot to DEST, so
        # the local file needs no journal on disk and no fsync.
        self._db.execute("PRAGMA journal_mode=MEMORY")
        self._db.execute("PRAGMA synchronous=OFF")
        for statement in SCHEMA:
            self._db.execute(statement)
        self._fresh = self._db.execute("SELECT 1 FROM objects LIMIT 1").fetchone() is None
        last = self._db.execute("SELECT MAX(run) FROM runs").fetchone()[0]
        self.run = (last or 0) + 1
        self._db.execute("INSERT INTO runs VALUES (?, 0)", (self.run,))
        self._db.commit()

    @property
    def db(self) -> sqlite3.Connection:
        if self._db is None:
            raise RuntimeError("MirrorState.load() first")
        return self._db

    def get(self, key: str) -> Record | None:
        """What an earlier run recorded at ``key`` (none, without asking SQLite, when the
        mirror had nothing when this run began: the first run of a large mirror)."""
        if self._fresh:
            return None
        row = self.db.execute(
            "SELECT key, source, kind, etag, last_modified, size, checksum, sha256 "
            "FROM objects WHERE key = ?",
            (key,),
        ).fetchone()
        return None if row is None else Record(*row)

    def record(self, record: Record) -> None:
        """Remember ``record`` (written in batches: each call into SQLite lets the workers take
        the GIL, and the coordinator then waits to get it back)."""
        self._records.append(
            (
                record.key,
                record.source,
                record.kind,
                record.etag,
                record.last_modified,
                record.size,
                record.checksum,
                record.sha256,
                self.run,
            )
        )
        if len(self._records) >= BATCH:
            self._flush()

    def touch(self, key: str) -> None:
        """``key`` is still upstream (unchanged)."""
        self._touched.append((self.run, key))
        if len(self._touched) >= BATCH:
            self._flush()

    def _flush(self) -> None:
        if self._records:
            self.db.executemany(
                "INSERT OR REPLACE INTO objects VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", self._records
            )
            self._records = []
        if self._touched:
            self.db.executemany("UPDATE objects SET run = ? WHERE key = ?", self._touched)
            self._touched = []

    def stale(self) -> Iterator[Record]:
        """Objects this run did not find upstream (only meaningful once the run is over)."""
        self._flush()
        rows = self.db.execute(
            "SELECT key, source, kind, etag, last_modified, size, checksum, sha256 "
            "FROM objects WHERE run < ? ORDER BY key",
            (self.run,),
        ).fetchall()
        for row in rows:
            yield Record(*row)

    def forget(self, key: str) -> None:
        self._flush()
        self.db.execute("DELETE FROM objects WHERE key = ?", (key,))

    def save(self, *, complete: bool = False) -> None:
        """Commit and upload to DEST (a copy, so that the upload reads a closed, whole file)."""
        self._flush()
        if complete:
            self.db.execute("UPDATE runs SET complete = 1 WHERE run = ?", (self.run,))
        self.db.commit()
        snapshot = self.path.with_name("state.upload.sqlite")
        shutil.copyfile(self.path, snapshot)
        self.bucket.put_file(STATE_KEY, snapshot)

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None
