"""The crawl's coordinator: concurrent fetching, deterministic breadth-first order.

Documents are fetched by a pool of threads (local files are read in place: no thread is faster),
at most ``concurrency`` at once and ``per_host`` per host, but *processed* strictly in the order
they were discovered — the order a sequential breadth-first walk would take: sources in the order
given, links in document order. So the objects come out in the same order on every run, however
the network behaves, and "the first object with an id wins" is a deterministic rule.

Only this thread touches the report, the visited set and the cache.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from dataclasses import dataclass, replace
from enum import Enum
from fnmatch import translate
from functools import partial
from typing import Any

import orjson

from index_builder import api
from index_builder.cache import CrawlCache
from index_builder.crawled import Crawled, CrawlOptions
from index_builder.fetch import Fetcher, FetchFailed, Request, Response
from index_builder.hosts import HostLanes
from index_builder.links import link_href, links_of, resolve, scheme_of
from index_builder.report import CrawlReport
from stacsift.errors import SourceError
from stacsift.stac_objects import NotUsable, prepare

logger = logging.getLogger(__name__)

NDJSON_SUFFIXES = (".ndjson", ".jsonl", ".geojsonl", ".ndgeojson", ".geojsons")
NDJSON_TYPES = ("ndjson", "jsonl", "json-seq", "jsonlines")
PROGRESS_SECONDS = 0.25


class Role(Enum):
    ROOT = "root"
    LINK = "link"
    COLLECTIONS = "collections page"
    ITEMS = "items page"


@dataclass(frozen=True, slots=True)
class Job:
    """A document to fetch, and what it is expected to be."""

    request: Request
    role: Role
    depth: int
    collection: str | None = None
    api: api.Api | None = None
    source: str = ""


Outcome = Response | FetchFailed
Progress = Callable[[CrawlReport], None]


class Walk:
    """One crawl of some sources; iterate :meth:`run` once."""

    def __init__(
        self,
        options: CrawlOptions,
        fetcher: Fetcher,
        report: CrawlReport,
        *,
        cache: CrawlCache | None = None,
        progress: Progress | None = None,
        clock: Callable[[], float],
    ) -> None:
        self.options = options
        self.fetcher = fetcher
        self.report = report
        self.cache = cache
        self.progress = progress
        self.clock = clock
        self.pending: deque[Job] = deque()
        self.inflight: deque[tuple[Job, Request, Future[Outcome] | Outcome]] = deque()
        self.seen: set[str] = set()
        self.window = max(2 * options.concurrency, 1)
        self.items = 0
        self._lanes: HostLanes | None = None
        self._include = _patterns(options.include)
        self._exclude = _patterns(options.exclude)
        self._next_progress = 0.0
        self._searched: set[str] = set()

    def run(self, roots: list[tuple[str, str]]) -> Iterator[Crawled]:
        """Crawl ``(source as given, its URL)`` pairs; yields objects in breadth-first order."""
        for source, url in roots:
            self._enqueue(Job(self._root_request(url), Role.ROOT, 0, source=source))
        try:
            while self.pending or self.inflight:
                self._fill()
                job, request, outcome = self._next_done()
                yield from self._process(job, request, outcome)
                self._tick()
        finally:
            if self._lanes is not None:
                self._lanes.shutdown()
            if self.cache is not None:
                self.cache.flush()
        if self.progress is not None:
            self.progress(self.report)

    # -- scheduling ---------------------------------------------------------------------------

    def _root_request(self, url: str) -> Request:
        ndjson = url.lower().endswith(NDJSON_SUFFIXES)
        limit = self.options.max_ndjson_bytes if ndjson else self.options.max_document_bytes
        return Request(url, max_bytes=limit)

    def _enqueue(self, job: Job) -> None:
        key = job.request.key
        if key not in self.seen:
            self.seen.add(key)
            self.pending.append(job)

    def _fill(self) -> None:
        while self.pending and len(self.inflight) < self.window:
            job = self.pending.popleft()
            request = job.request
            if scheme_of(request.url) == "file":
                self.inflight.append((job, request, self._fetch(request)))
                continue
            request = self._conditional(request)
            self.inflight.append((job, request, self._submit(request)))

    def _conditional(self, request: Request) -> Request:
        if self.cache is None:
            return request
        cached = self.cache.validators(request.key)
        if cached is None or not (cached.etag or cached.last_modified):
            return request
        return replace(request, etag=cached.etag, last_modified=cached.last_modified)

    def _submit(self, request: Request) -> Future[Outcome]:
        if self._lanes is None:
            self._lanes = HostLanes(
                self.options.concurrency, self.options.per_host, "stacsift-fetch"
            )
        return self._lanes.submit(request.url, partial(self._fetch, request))

    def _fetch(self, request: Request) -> Outcome:
        try:
            return self.fetcher.fetch(request)
        except FetchFailed as err:
            return err

    def _next_done(self) -> tuple[Job, Request, Outcome]:
        job, request, pending = self.inflight.popleft()
        outcome = pending.result() if isinstance(pending, Future) else pending
        return job, request, outcome

    def _tick(self) -> None:
        if self.progress is None:
            return
        now = self.clock()
        if now >= self._next_progress:
            self._next_progress = now + PROGRESS_SECONDS
            self.progress(self.report)

    # -- processing ---------------------------------------------------------------------------

    def _process(self, job: Job, request: Request, outcome: Outcome) -> Iterator[Crawled]:
        if isinstance(outcome, FetchFailed):
            if scheme_of(request.url) != "file":
                self.report.transfer.requests += 1
                self.report.transfer.retries += outcome.attempts - 1
            self._fail(job, request.url, outcome.reason)
            return
        loaded = self._body(job, request, outcome)
        if loaded is None:
            return
        body, version = loaded
        url = outcome.url
        if url != request.url:  # redirected: the document lives at (and links from) ``url``
            if url in self.seen:
                return
            self.seen.add(url)
        if job.role is Role.ROOT and _is_ndjson(url, body, outcome.content_type):
            yield from self._lines(job, url, body, version)
            return
        try:
            document = orjson.loads(body)
        except orjson.JSONDecodeError as err:
            self._fail(job, url, f"not JSON: {err}")
            return
        if not isinstance(document, dict):
            self._fail(job, url, "not a JSON object")
            return
        yield from self._document(job, url, document, version)

    def _body(self, job: Job, request: Request, response: Response) -> tuple[bytes, str] | None:
        """The body (from the cache for 304s) and its SHA-256; records what it cost."""
        remote = scheme_of(request.url) != "file"
        if remote:
            self._count_transfer(response)
        if response.body is None:
            cached = self.cache.body(request.key) if self.cache is not None else None
            validators = self.cache.validators(request.key) if self.cache is not None else None
            if cached is None or validators is None:
                self._fail(job, request.url, "304 Not Modified, but the cached copy is gone")
                return None
            return cached, validators.sha256
        version = hashlib.sha256(response.body).hexdigest()
        if remote and self.cache is not None and (response.etag or response.last_modified):
            self.cache.store(
                request.key, response.etag, response.last_modified, version, response.body
            )
        return response.body, version

    def _count_transfer(self, response: Response) -> None:
        transfer = self.report.transfer
        transfer.requests += 1
        transfer.retries += response.attempts - 1
        if response.body is None:
            transfer.not_modified += 1
        else:
            transfer.bodies += 1
            transfer.bytes += len(response.body)

    def _fail(self, job: Job, url: str, reason: str) -> None:
        if job.role is Role.ROOT:
            raise SourceError(f"{job.source}: {reason}")
        logger.debug("skipped %s: %s", url, reason)
        self.report.skip(url, reason)

    def _document(
        self, job: Job, url: str, document: dict[str, Any], version: str
    ) -> Iterator[Crawled]:
        if document.get("type") == "FeatureCollection":
            yield from self._items_page(job, url, document, version)
        elif job.role is Role.COLLECTIONS:
            yield from self._collections_page(job, url, document, version)
        elif job.role is Role.ROOT and api.is_landing_page(document):
            yield from self._landing_page(job, url, document, version)
        else:
            crawled = self._accept(job, url, document, version)
            if crawled is not None:
                yield crawled
                if crawled.kind != "Item":
                    self._follow(job, url, crawled)

    def _accept(
        self, job: Job, href: str, document: dict[str, Any], version: str
    ) -> Crawled | None:
        """Check, repair and count one object; ``None`` if it is skipped or filtered out."""
        try:
            kind, document = prepare(document, href, self.report)
        except NotUsable as err:
            self._fail(job, href, str(err))
            return None
        if kind == "Item":
            if job.collection and not document.get("collection"):
                document["collection"] = job.collection
            if not self._wanted(document.get("collection")):
                self.report.filtered += 1
                return None
            if self._items_full():
                return None
            self.items += 1
        elif kind == "Collection" and not self._wanted(document["id"]):
            self.report.filtered += 1
            return None
        self.report.counts[kind] += 1
        return Crawled(kind, href, document, version)

    def _follow(self, job: Job, url: str, crawled: Crawled) -> None:
        """Queue the child and item links of a catalog or collection."""
        if self.options.max_depth is not None and job.depth >= self.options.max_depth:
            return
        document = crawled.data
        owner = document["id"] if crawled.kind == "Collection" else job.collection
        links = links_of(document)
        has_items = any(link.get("rel") == "item" for link in links)
        for link in links:
            rel = link.get("rel")
            if rel != "child" and rel != "item" and (rel != "items" or has_items):
                continue
            href = link.get("href")
            if not isinstance(href, str) or not href:
                self.report.warn(url, f"a {rel} link has no href; ignored")
                continue
            if rel != "child" and self._items_full():
                continue
            target = resolve(url, href)
            if rel == "items":
                query = {"limit": str(self.options.page_size)}
                request = Request(api.with_query(target, query), max_bytes=self._max_bytes)
                self._enqueue(Job(request, Role.ITEMS, job.depth + 1, owner))
            else:
                request = Request(target, max_bytes=self._max_bytes)
                self._enqueue(Job(request, Role.LINK, job.depth + 1, owner))

    @property
    def _max_bytes(self) -> int:
        return self.options.max_document_bytes

    def _items_full(self) -> bool:
        limit = self.options.max_items
        if limit is not None and self.items >= limit:
            self.report.truncated = True
            return True
        return False

    def _wanted(self, collection: object) -> bool:
        cid = collection if isinstance(collection, str) else ""
        if self._include is not None and not self._include.match(cid):
            return False
        return self._exclude is None or not self._exclude.match(cid)

    # -- pages and files of many objects --------------------------------------------------------

    def _items_page(
        self, job: Job, url: str, page: dict[str, Any], version: str
    ) -> Iterator[Crawled]:
        features = page.get("features")
        if not isinstance(features, list):
            self._fail(job, url, "a FeatureCollection without a features list")
            return
        member_job = replace(job, role=Role.ITEMS)  # a bad member is no reason to fail a root
        for number, feature in enumerate(features):
            if not isinstance(feature, dict):
                self.report.skip(f"{url}#{number}", "not a JSON object")
                continue
            href = _member_href(url, feature, number)
            crawled = self._accept(member_job, href, feature, version)
            if crawled is not None:
                yield crawled
        following = api.next_request(page, job.request)
        if following is not None and features and not self._items_full():
            self._enqueue(replace(member_job, request=following))

    def _collections_page(
        self, job: Job, url: str, page: dict[str, Any], version: str
    ) -> Iterator[Crawled]:
        collections = page.get("collections")
        if not isinstance(collections, list):
            self._fail(job, url, "a collections page without a collections list")
            return
        for number, collection in enumerate(collections):
            if not isinstance(collection, dict):
                self.report.skip(f"{url}#{number}", "not a JSON object")
                continue
            crawled = self._accept(job, _member_href(url, collection, number), collection, version)
            if crawled is not None:
                yield crawled
                self._queue_items(job, crawled.data)
        following = api.next_request(page, job.request)
        if following is not None and collections:
            self._enqueue(replace(job, request=following))

    def _queue_items(self, job: Job, collection: dict[str, Any]) -> None:
        depth = self.options.max_depth
        if job.api is None or job.api.url in self._searched:
            return  # not an API, or one whose items come from one search over everything
        if (depth is not None and job.depth >= depth) or self._items_full():
            return
        options = self.options
        request = api.items_request(
            job.api, collection, options.items_via, options.page_size, self._max_bytes
        )
        if request is None:
            self.report.skip(str(collection["id"]), "the API offers no way to list its items")
            return
        self._enqueue(Job(request, Role.ITEMS, job.depth + 1, str(collection["id"]), job.api))

    def _landing_page(
        self, job: Job, url: str, landing: dict[str, Any], version: str
    ) -> Iterator[Crawled]:
        crawled = self._accept(job, url, landing, version)
        if crawled is None:
            return
        yield crawled
        if self.options.max_depth == 0:
            return
        found = api.Api.from_landing(url, landing)
        listing = api.collections_request(found, self._max_bytes)
        if listing is not None:
            self._enqueue(Job(listing, Role.COLLECTIONS, 1, api=found))
        whole = self.options.items_via in ("search", "search-post") and not (
            self._include or self._exclude
        )
        if listing is not None and not whole:
            return  # items are listed per collection, as the collections come in
        options = self.options
        search = api.search_request(
            found, None, options.items_via, options.page_size, self._max_bytes
        )
        if search is None:
            raise SourceError(f"{job.source}: a STAC API without collections or search")
        self._searched.add(found.url)
        self._enqueue(Job(search, Role.ITEMS, 1, api=found))

    def _lines(self, job: Job, url: str, body: bytes, version: str) -> Iterator[Crawled]:
        """A newline-delimited JSON file: one STAC object per line, links not followed."""
        line_job = replace(job, role=Role.LINK)
        for number, line in enumerate(body.splitlines(), start=1):
            if not line.strip():
                continue
            href = f"{url}#{number}"
            try:
                document = orjson.loads(line)
            except orjson.JSONDecodeError as err:
                self.report.skip(href, f"not JSON: {err}")
                continue
            if not isinstance(document, dict):
                self.report.skip(href, "not a JSON object")
                continue
            crawled = self._accept(line_job, href, document, version)
            if crawled is not None:
                yield crawled


def _member_href(url: str, member: dict[str, Any], number: int) -> str:
    """Where an object inside a page is: its own self link, else the page and its id."""
    own = link_href(member, "self")
    if own is not None and "://" in own:
        return own
    object_id = member.get("id")
    return f"{url}#{object_id if isinstance(object_id, str) and object_id else number}"


def _is_ndjson(url: str, body: bytes, content_type: str | None) -> bool:
    """Whether a root is newline-delimited JSON: by name, by type, or by the look of it."""
    path = url.split("?", 1)[0].lower()
    if path.endswith(NDJSON_SUFFIXES):
        return True
    if content_type and any(t in content_type.lower() for t in NDJSON_TYPES):
        return True
    first, _, rest = body.strip().partition(b"\n")
    if not rest.strip() or not first.rstrip().endswith(b"}"):
        return False
    try:
        return isinstance(orjson.loads(first), dict) and isinstance(
            orjson.loads(rest.lstrip().partition(b"\n")[0]), dict
        )
    except orjson.JSONDecodeError:
        return False


def _patterns(patterns: tuple[str, ...]) -> re.Pattern[str] | None:
    if not patterns:
        return None
    return re.compile("|".join(f"(?:{translate(p)})" for p in patterns))
