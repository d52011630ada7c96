"""Open the current generation of an index root, caching its immutable files locally.

The reader follows only the manifest. It keeps the manifest's ETag and re-checks it at most every
``ttl_seconds``; a new generation downloads just the files the cache lacks. If a new generation
cannot be opened (missing or corrupt files), the previous one stays served and the failure is
logged; with no previous one the error reaches the caller.
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import TypeVar

import tantivy

from stacsift.errors import (
    GenerationGone,
    IndexFormatError,
    IndexUnavailable,
    NotFound,
    StacsiftError,
)
from stacsift.index import schema
from stacsift.index.manifest import MANIFEST_KEY, TANTIVY_PREFIX, Manifest
from stacsift.index.publish import history_key
from stacsift.index.stats import (
    Bounds,
    Counted,
    KindStats,
    first_terms,
    kind_stats,
    most_tied,
    value_bounds,
)
from stacsift.settings import StoreSettings
from stacsift.store import Bucket, open_bucket

logger = logging.getLogger(__name__)
K = TypeVar("K")
V = TypeVar("V")
OTHER_GENERATIONS = 2  # kept generations held open for page tokens made on them


KEPT = 256  # answers an opened generation keeps per question (a collection's first values)


@dataclass(frozen=True)
class OpenIndex:
    """One opened generation."""

    manifest: Manifest
    etag: str | None
    index: tantivy.Index
    _stats: dict[str, KindStats] = field(default_factory=dict, compare=False, repr=False)
    _bounds: dict[tuple[str, str], Bounds | None] = field(
        default_factory=dict, compare=False, repr=False
    )
    _terms: dict[tuple[str, str, bool, str | None], Counted] = field(
        default_factory=dict, compare=False, repr=False
    )
    _tied: dict[tuple[str, str], int] = field(default_factory=dict, compare=False, repr=False)
    _kept: threading.Lock = field(default_factory=threading.Lock, compare=False, repr=False)

    def searcher(self) -> tantivy.Searcher:
        return self.index.searcher()

    def stats(self, kind: str) -> KindStats:
        """Counts and time ranges of the objects of ``kind``, computed once per generation."""
        return self._once(self._stats, kind, lambda searcher: kind_stats(searcher, kind))

    def bounds(self, kind: str, name: str) -> Bounds | None:
        """The range of a numeric fast field's values over the objects of ``kind``, computed
        once per generation, on first need (at 2,000,000 items, about 35 ms)."""
        return self._once(
            self._bounds, (kind, name), lambda searcher: value_bounds(searcher, kind, name)
        )

    def tied(self, kind: str, name: str) -> int:
        """At most how many objects of ``kind`` share one value of a numeric fast field,
        computed once per generation, on first need (at 2,000,000 items, about 40 ms)."""
        return self._once(
            self._tied, (kind, name), lambda searcher: most_tied(searcher, kind, name)
        )

    def terms(self, kind: str, name: str, descending: bool, within: str | None = None) -> Counted:
        """The first values of a text fast field in a sort by it, with their counts (over the
        objects of the collection ``within`` when given), computed once per generation,
        direction and collection, on first need (at 2,000,000 items, about 20 ms; the
        collections' lists kept are the last :data:`KEPT` asked for)."""
        key = (kind, name, descending, within)
        return self._once(
            self._terms, key, lambda searcher: first_terms(searcher, kind, name, descending, within)
        )

    def _once(self, cache: dict[K, V], key: K, compute: Callable[[tantivy.Searcher], V]) -> V:
        """``compute`` on this generation, in its format's layout, the first time ``key`` is
        asked for; what it found after that (the oldest of :data:`KEPT` answers is dropped for
        a new one: a request may name any collection)."""
        with self._kept:
            if key in cache:
                return cache[key]
        with schema.layout(self.manifest.format_version):
            found = compute(self.searcher())
        with self._kept:
            while len(cache) >= KEPT:
                cache.pop(next(iter(cache)))
            cache[key] = found
        return found


class IndexReader:
    """Serve the current generation of ``bucket``'s index from ``cache_dir``."""

    def __init__(
        self,
        bucket: Bucket,
        cache_dir: Path,
        ttl_seconds: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        schema.check_tantivy()
        self.bucket = bucket
        self.cache = cache_root(bucket, cache_dir)
        self.ttl = ttl_seconds
        self.clock = clock
        self._open: OpenIndex | None = None
        self._older: OrderedDict[int, OpenIndex] = OrderedDict()
        self._checked = float("-inf")
        self._lock = threading.Lock()

    def current(self) -> OpenIndex:
        """The newest readable generation (re-checking the manifest when the TTL has passed)."""
        with self._lock:
            if self._open is not None and self.clock() - self._checked < self.ttl:
                return self._open
            try:
                self._open = self._refresh(self._open)
            except StacsiftError:
                if self._open is None:
                    raise
                logger.warning(
                    "keeping generation %s", self._open.manifest.generation, exc_info=True
                )
            self._checked = self.clock()
            return self._open

    def generation(self, number: int) -> OpenIndex:
        """Generation ``number``, so that a page continues where its token was made: the
        current one, or another one while the root keeps its manifest copy and files
        (:func:`stacsift.index.publish.history_key`); else GenerationGone."""
        current = self.current()
        if number == current.manifest.generation:
            return current
        with self._lock:
            if number in self._older:
                self._older.move_to_end(number)
                return self._older[number]
            opened = self._open_kept(number)
            self._older[number] = opened
            while len(self._older) > OTHER_GENERATIONS:
                self._older.popitem(last=False)
            return opened

    def _open_kept(self, number: int) -> OpenIndex:
        gone = GenerationGone(
            f"token: generation {number} of the index is no longer kept; "
            "start again from the first page"
        )
        try:
            data = self.bucket.get(history_key(number))
            manifest = Manifest.from_json(data, f"{self.bucket.url}/{history_key(number)}")
            if manifest.generation != number:
                raise gone
            directory = materialize(self.bucket, manifest, None, self.cache)
            index = tantivy.Index.open(str(directory))
        except (NotFound, IndexUnavailable, ValueError, OSError) as err:
            raise gone from err
        logger.info("opened kept generation %s of %s", number, self.bucket.url)
        return OpenIndex(manifest, None, index)

    def _refresh(self, previous: OpenIndex | None) -> OpenIndex:
        if previous is not None and self.bucket.etag(MANIFEST_KEY) == previous.etag:
            return previous
        try:
            data, etag = self.bucket.get_with_etag(MANIFEST_KEY)
        except NotFound as err:
            raise IndexUnavailable(f"no index at {self.bucket.url}: run `stacsift build`") from err
        manifest = Manifest.from_json(data, f"{self.bucket.url}/{MANIFEST_KEY}")
        directory = materialize(self.bucket, manifest, etag, self.cache)
        try:
            index = tantivy.Index.open(str(directory))
        except (ValueError, OSError) as err:
            raise IndexFormatError(
                f"generation {manifest.generation} at {self.bucket.url} cannot be opened: {err}"
            ) from err
        logger.info("opened generation %s of %s", manifest.generation, self.bucket.url)
        served = [manifest, *(o.manifest for o in self._older.values())]
        if previous is not None:  # a request may still be searching it
            served.append(previous.manifest)
        evict(self.cache, served)
        return OpenIndex(manifest, etag, index)


def open_reader(
    root: str, store: StoreSettings, cache_dir: Path, ttl_seconds: float
) -> IndexReader:
    """A reader of the index at ``root`` (a folder, ``file://`` or ``s3://`` URL)."""
    return IndexReader(open_bucket(root, store), cache_dir, ttl_seconds)


def cache_root(bucket: Bucket, cache_dir: Path) -> Path:
    """The cache folder of one index root (several roots may share a cache directory)."""
    return cache_dir / hashlib.sha256(bucket.url.encode()).hexdigest()[:16]


def materialize(bucket: Bucket, manifest: Manifest, etag: str | None, cache: Path) -> Path:
    """A directory holding exactly this generation's files (hard links into the cache).

    Files are immutable and uniquely named, so a file once cached is never fetched again.
    """
    tag = hashlib.sha256((etag or manifest.created).encode()).hexdigest()[:12]
    directory = cache / f"gen-{manifest.generation}-{tag}"
    if directory.is_dir():
        return directory
    staging = cache / f".staging-{os.getpid()}-{threading.get_ident()}"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    try:
        link_generation(bucket, manifest, cache, staging)
        staging.rename(directory)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return directory


def evict(cache: Path, served: Sequence[Manifest]) -> int:
    """Delete the cached files and generation folders of generations no longer ``served``, so
    that a cache receiving a new generation every few seconds stays the size of what it
    serves (Lambda's ``/tmp`` is small). Returns how many files and folders went."""
    keep = {blob_path(cache, e.key) for m in served for e in m.tantivy_files}
    generations = {m.generation for m in served}
    gone = 0
    files = cache / "files"
    for path in files.iterdir() if files.is_dir() else ():
        if path not in keep:
            path.unlink(missing_ok=True)
            gone += 1
    for folder in cache.glob("gen-*"):
        number = folder.name.split("-")[1]
        if not number.isdigit() or int(number) not in generations:
            shutil.rmtree(folder, ignore_errors=True)
            gone += 1
    return gone


def blob_path(cache: Path, key: str) -> Path:
    """Where the cache keeps the tantivy file ``key`` (keys are unique across generations;
    deletion files of one name may exist under several builds' folders)."""
    return cache / "files" / key.removeprefix(TANTIVY_PREFIX).replace("/", "--")


def link_generation(bucket: Bucket, manifest: Manifest, cache: Path, target: Path) -> None:
    """Fill ``target`` with the generation's segment files (linked) and its ``meta.json``."""
    (cache / "files").mkdir(parents=True, exist_ok=True)
    for entry in manifest.tantivy_files:
        blob = blob_path(cache, entry.key)
        name = PurePosixPath(entry.key).name  # as tantivy's meta.json names it
        if not blob.is_file() or blob.stat().st_size != entry.size:
            _fetch(bucket, entry.key, blob, manifest)
        if blob.stat().st_size != entry.size:
            raise IndexUnavailable(f"{entry.key} has the wrong size; the upload is corrupt")
        os.link(blob, target / name)
    _fetch(bucket, manifest.tantivy_meta, target / "meta.json", manifest)


def _fetch(bucket: Bucket, key: str, dest: Path, manifest: Manifest) -> None:
    try:
        bucket.download(key, dest)
    except NotFound as err:
        raise IndexUnavailable(
            f"generation {manifest.generation} at {bucket.url} lacks {key}"
        ) from err
