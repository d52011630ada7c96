"""Read a stored object's current state: present → the documents it holds, absent → none.

An object holds one STAC object (item, collection or catalog JSON), a FeatureCollection of
items, or items as newline-delimited JSON (``.ndjson``). Each is recognised, migrated and
leniently repaired as a crawl would (:mod:`stacsift.stac_objects`) and becomes a document whose
``origin`` is the object's URL and version. What cannot be indexed raises :class:`Rejected`
(acknowledged and listed, never retried); a store that fails to answer raises
:class:`~stacsift.errors.StoreError` (retried).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

import orjson

from stacsift.errors import NotFound, StacsiftError
from stacsift.index.documents import Document, Origin, Unindexable, to_document, to_micros
from stacsift.index.origins import ObjectState
from stacsift.settings import StoreSettings
from stacsift.stac_objects import NotUsable, prepare
from stacsift.store import Bucket, ObjectInfo, ObjectTooLarge, open_bucket

logger = logging.getLogger(__name__)


class Rejected(StacsiftError):
    """An object that cannot be indexed, whatever the retries; ``str()`` says why."""


@dataclass(frozen=True)
class Read:
    """An object's state, and what in it was left out (with the reasons)."""

    state: ObjectState
    problems: tuple[str, ...] = ()


class Sources:
    """Read access to the watched buckets (one store per bucket, opened on first use)."""

    def __init__(self, store: StoreSettings, max_bytes: int) -> None:
        self.store = store
        self.max_bytes = max_bytes
        self._buckets: dict[str, Bucket] = {}

    def read(self, url: str) -> Read:
        """The object's current state; raises :class:`Rejected` or a transient StoreError."""
        bucket, key = self._locate(url)
        try:
            data, info = bucket.get_object(key, self.max_bytes)
        except NotFound:
            return Read(ObjectState(url, None))
        except ObjectTooLarge as err:
            raise Rejected(str(err)) from None
        origin = origin_of(url, info)
        documents, problems = documents_of(data, url)
        return Read(ObjectState(url, origin, [d.with_origin(origin) for d in documents]), problems)

    def version(self, url: str) -> Origin | None:
        """The object's current version, or ``None`` if it does not exist."""
        bucket, key = self._locate(url)
        info = bucket.head(key)
        return None if info is None else origin_of(url, info)

    def _locate(self, url: str) -> tuple[Bucket, str]:
        name, _, key = url.removeprefix("s3://").partition("/")
        if name not in self._buckets:
            self._buckets[name] = open_bucket(f"s3://{name}", self.store)
        return self._buckets[name], key


class Reads(Protocol):
    """How the reindexer reads objects: :class:`Sources`, or reads made ahead of time."""

    def read(self, url: str) -> Read: ...

    def version(self, url: str) -> Origin | None: ...


class Prefetched:
    """Reads of ``urls`` made concurrently up front (a batch's records are handled one by one,
    and a store answers many reads at once far faster than in turn). A read's error is raised
    when that URL is read, so that it fails its own record only."""

    def __init__(self, sources: Reads, urls: Sequence[str], threads: int = 16) -> None:
        self.sources = sources
        with ThreadPoolExecutor(max_workers=threads) as pool:
            results = list(pool.map(self._attempt, urls))
        self._reads = dict(zip(urls, results, strict=True))

    def _attempt(self, url: str) -> Read | StacsiftError:
        try:
            return self.sources.read(url)
        except StacsiftError as err:
            return err

    def read(self, url: str) -> Read:
        result = self._reads.pop(url, None)
        if result is None:
            return self.sources.read(url)
        if isinstance(result, StacsiftError):
            raise result
        return result

    def version(self, url: str) -> Origin | None:
        return self.sources.version(url)


def origin_of(url: str, info: ObjectInfo) -> Origin:
    modified = info.last_modified
    micros = to_micros(modified) if isinstance(modified, datetime) else 0
    return Origin(url, micros, info.etag or "")


def documents_of(data: bytes, url: str) -> tuple[list[Document], tuple[str, ...]]:
    """The documents an object's bytes hold, and why any part of it was left out.

    Raises :class:`Rejected` when nothing in it can be indexed."""
    objects = _objects(data, url)
    documents: list[Document] = []
    problems: list[str] = []
    for number, obj in enumerate(objects):
        where = url if len(objects) == 1 else f"{url} (feature {number + 1})"
        try:
            document = _document(obj, url)
        except (NotUsable, Unindexable) as err:
            problems.append(f"{where}: {err}")
            continue
        documents.append(document)
    if problems and not documents:
        raise Rejected("; ".join(problems[:3]) + ("; …" if len(problems) > 3 else ""))
    return documents, tuple(problems)


def _objects(data: bytes, url: str) -> list[dict[str, Any]]:
    try:
        if url.lower().endswith(".ndjson"):
            values = [orjson.loads(line) for line in data.splitlines() if line.strip()]
        else:
            value = orjson.loads(data)
            collection = isinstance(value, dict) and value.get("type") == "FeatureCollection"
            values = value.get("features") if collection else [value]
    except orjson.JSONDecodeError as err:
        raise Rejected(f"malformed JSON: {err}") from None
    if not isinstance(values, list) or not all(isinstance(v, dict) for v in values):
        raise Rejected("not a JSON object (nor a FeatureCollection or ndjson of them)")
    return values


def _document(obj: dict[str, Any], url: str) -> Document:
    """A catalog is indexed as a catalog; its children are not followed: each object that is
    uploaded has its own event."""
    _, prepared = prepare(obj, url, _LOG)
    return to_document(prepared, url)


class _Log:
    """Repairs made while preparing an object, as log lines (a crawl puts them in its report)."""

    def warn(self, href: str, message: str) -> None:
        logger.info("%s: %s", href, message)


_LOG = _Log()
