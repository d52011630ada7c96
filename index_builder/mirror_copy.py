"""The mirror's transfers: which assets to copy, one streamed and verified copy, one JSON write.

A copy streams source → destination (:meth:`Fetcher.open` → :meth:`Bucket.put_stream`): the
file is never whole in memory or on disk. Every chunk goes through a :class:`Verifier`; if the
body ends short or its size or ``file:checksum`` is wrong, the upload is abandoned (nothing is
written), the whole copy is tried again (:meth:`Retrying.call`), and if it keeps failing the
asset is reported and never recorded as good. A copy made before is asked for conditionally
(its source ETag / Last-Modified) and not transferred again while it is unchanged.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Any

import orjson

from index_builder.fetch import FetchFailed, Request, Stream
from index_builder.mirror_state import Record
from index_builder.multihash import BadChecksum, Verifier
from index_builder.retry import Retrying
from stacsift.errors import InvalidParameter, StacsiftError
from stacsift.store import Bucket

GLOB_CHARS = frozenset("*?[")


@dataclass(frozen=True)
class AssetSelection:
    """``--assets``: ``none``, ``all``, roles (``data,overview``) or a pattern (``*.tif``)."""

    every: bool = False
    roles: frozenset[str] = frozenset()
    pattern: str | None = None

    @classmethod
    def parse(cls, text: str) -> AssetSelection:
        value = text.strip()
        if value == "none":
            return cls()
        if value == "all":
            return cls(every=True)
        if GLOB_CHARS & set(value):
            return cls(pattern=value)
        roles = frozenset(part.strip() for part in value.split(",") if part.strip())
        if not roles:
            raise InvalidParameter("assets", "expected none, all, roles or a pattern")
        return cls(roles=roles)

    @property
    def anything(self) -> bool:
        return self.every or bool(self.roles) or self.pattern is not None

    def wants(self, key: str, asset: dict[str, Any], name: str) -> bool:
        """Whether asset ``key`` (file name ``name``) is copied."""
        if self.every:
            return True
        if self.pattern is not None:
            return fnmatchcase(key, self.pattern) or fnmatchcase(name, self.pattern)
        roles = asset.get("roles")
        return isinstance(roles, list) and not self.roles.isdisjoint(map(str, roles))


@dataclass(frozen=True)
class AssetJob:
    """One asset to bring to ``key``; ``known`` is what the last copy there recorded."""

    source: str
    key: str
    known: Record | None
    size: int | None
    checksum: str | None


@dataclass(frozen=True)
class Copied:
    """How an asset copy went: ``record`` is ``None`` when it failed (``failure`` says why)."""

    job: AssetJob
    record: Record | None
    transferred: bool = False
    bytes: int = 0
    failure: str | None = None


@dataclass
class Transfers:
    """What the copies share: where from, where to, whether for real."""

    fetcher: Retrying
    bucket: Bucket
    dry_run: bool = False

    def copy(self, job: AssetJob) -> Copied:
        if self.dry_run:
            return Copied(job, job.known, transferred=job.known is None)
        try:
            return self.fetcher.call(lambda: self._copy_once(job))
        except BadChecksum as err:
            return Copied(job, None, failure=str(err))
        except FetchFailed as err:
            return Copied(job, None, failure=err.reason)
        except StacsiftError as err:
            return Copied(job, None, failure=str(err))

    def _copy_once(self, job: AssetJob) -> Copied:
        known = job.known
        request = Request(
            job.source,
            etag=known.etag if known else None,
            last_modified=known.last_modified if known else None,
        )
        with self.fetcher.open(request) as stream:
            if not stream.modified and known is not None:
                return Copied(job, known)
            expected = job.size if job.size is not None else stream.size
            if job.size is not None and stream.size is not None and stream.size != job.size:
                raise FetchFailed(job.source, f"size {stream.size} bytes, expected {job.size}")
            verifier = Verifier(expected, job.checksum)
            failed: list[FetchFailed] = []
            try:
                self.bucket.put_stream(job.key, _verified(stream, verifier, failed))
            except StacsiftError:
                if failed:  # the source's fault, not the store's: say so, and maybe retry
                    raise failed[0] from None
                raise
        record = Record(
            job.key,
            job.source,
            "Asset",
            etag=stream.etag,
            last_modified=stream.last_modified,
            size=verifier.size,
            checksum=job.checksum,
        )
        return Copied(job, record, transferred=True, bytes=verifier.size)


def _verified(stream: Stream, verifier: Verifier, failed: list[FetchFailed]) -> Iterator[bytes]:
    try:
        for chunk in stream.chunks:
            verifier.update(chunk)
            yield chunk
    except FetchFailed as err:
        failed.append(err)
        raise
    problem = verifier.problem()
    if problem is not None:
        failed.append(FetchFailed(stream.url, problem, transient=True))
        raise failed[-1]


@dataclass(frozen=True)
class Written:
    """A JSON object to put at ``key`` (``written``), or found there unchanged."""

    key: str
    sha256: str
    written: bool
    bytes: int


def encode(key: str, document: dict[str, Any], known: str | None) -> tuple[Written, bytes]:
    """``document``'s bytes as the mirror writes them, and whether they need writing to ``key``:
    not when they are what is there already (``known``, the SHA-256 the state recorded)."""
    body = orjson.dumps(document, option=orjson.OPT_INDENT_2)
    digest = hashlib.sha256(body).hexdigest()
    return Written(key, digest, written=digest != known, bytes=len(body)), body
