"""The crawler's pure parts: link resolution, retry schedules, API paging, progress output."""

from __future__ import annotations

import io
import logging
from dataclasses import dataclass, field
from pathlib import Path

import orjson
import pytest

from index_builder import api
from index_builder.fetch import FetchFailed, Request, Response, Stream, json_content_type
from index_builder.links import resolve, source_url
from index_builder.report import CrawlReport
from index_builder.retry import Retrying, RetryPolicy, parse_retry_after
from stacsift.errors import SourceError
from stacsift_cli.crawling import LogProgress, TerminalProgress, crawl_status


@pytest.mark.parametrize(
    ("base", "href", "expected"),
    [
        ("file:///a/b/catalog.json", "./c/collection.json", "file:///a/b/c/collection.json"),
        ("file:///a/b/catalog.json", "../x.json", "file:///a/x.json"),
        ("file:///a/b/catalog.json", "../../../../x.json", "file:///x.json"),
        ("file:///a/b/catalog.json", "/abs/x.json", "file:///abs/x.json"),
        ("http://h:8/a/b/c.json", "d/e.json#frag", "http://h:8/a/b/d/e.json"),
        ("http://h:8/a/b/c.json", "https://o/x/./y/../z.json", "https://o/x/z.json"),
        ("http://h/a/c.json", "/root.json", "http://h/root.json"),
        ("http://h/a/c.json", "items?limit=5", "http://h/a/items?limit=5"),
        ("http://h/a/c.json", "//other/x.json", "http://other/x.json"),
        ("s3://bucket/p/catalog.json", "./c/collection.json", "s3://bucket/p/c/collection.json"),
        ("s3://bucket/p/q/catalog.json", "../c.json", "s3://bucket/p/c.json"),
        ("s3://bucket/p/catalog.json", "sub/x.json?v=1", "s3://bucket/p/sub/x.json?v=1"),
    ],
)
def test_resolve(base: str, href: str, expected: str) -> None:
    assert resolve(base, href) == expected


def test_source_url_forms(fixtures: Path) -> None:
    folder = fixtures / "catalogs/pystac-test-case-1"
    expected = (folder / "catalog.json").resolve().as_uri()
    assert source_url(str(folder)) == expected
    assert source_url(str(folder / "catalog.json")) == expected
    assert source_url(expected) == expected
    assert source_url("https://example.org/stac") == "https://example.org/stac"
    assert source_url("s3://bucket/catalog.json") == "s3://bucket/catalog.json"
    with pytest.raises(SourceError, match="ftp://x"):
        source_url("ftp://x/catalog.json")
    with pytest.raises(SourceError, match="names no host or bucket"):
        source_url("s3:///catalog.json")


def test_backoff_is_exponential_capped_and_jittered() -> None:
    policy = RetryPolicy(base_seconds=0.5, cap_seconds=3.0)
    assert [policy.delay(n, None, 1.0) for n in (1, 2, 3, 4, 5)] == [0.5, 1.0, 2.0, 3.0, 3.0]
    assert policy.delay(3, None, 0.25) == 0.5
    assert policy.delay(1, 7.0, 0.9) == 7.0  # Retry-After wins, exactly
    assert RetryPolicy(max_retry_after=60).delay(1, 3600.0, 0.9) == 60


def test_retry_after_as_seconds_or_http_date() -> None:
    now = 1_700_000_000.0  # 2023-11-14T22:13:20Z
    assert parse_retry_after("120", now) == 120.0
    assert parse_retry_after("Tue, 14 Nov 2023 22:13:50 GMT", now) == 30.0
    assert parse_retry_after("Tue, 14 Nov 2023 22:00:00 GMT", now) == 0.0
    assert parse_retry_after("soon", now) is None
    assert parse_retry_after(None, now) is None


@dataclass
class Scripted:
    """A fetcher that fails as scripted (injected faults), then answers."""

    failures: list[FetchFailed]
    calls: int = 0
    closed: bool = False
    seen: list[str] = field(default_factory=list)

    def fetch(self, request: Request) -> Response:
        self.calls += 1
        self.seen.append(request.url)
        if self.failures:
            raise self.failures.pop(0)
        return Response(request.url, b"{}")

    def open(self, request: Request) -> Stream:
        return Stream(request.url, chunks=iter([self.fetch(request).body or b""]))

    def close(self) -> None:
        self.closed = True


def test_retrying_sleeps_between_transient_failures_only() -> None:
    sleeps: list[float] = []
    inner = Scripted(
        [
            FetchFailed("u", "HTTP 429", transient=True, retry_after=2.0),
            FetchFailed("u", "timed out", transient=True),
        ]
    )
    fetcher = Retrying(inner, RetryPolicy(attempts=3), sleep=sleeps.append, unit_random=lambda: 1)
    response = fetcher.fetch(Request("u"))
    assert (response.attempts, inner.calls, sleeps) == (3, 3, [2.0, 1.0])


def test_retrying_gives_up_with_the_count_and_never_retries_permanent_failures() -> None:
    sleeps: list[float] = []
    lasting = Scripted([FetchFailed("u", "HTTP 503", transient=True)] * 5)
    fetcher = Retrying(lasting, RetryPolicy(attempts=3), sleep=sleeps.append)
    with pytest.raises(FetchFailed, match=r"HTTP 503 \(after 3 attempts\)") as failed:
        fetcher.fetch(Request("u"))
    assert failed.value.attempts == 3
    broken = Scripted([FetchFailed("u", "broken link: HTTP 404")])
    with pytest.raises(FetchFailed, match=r"404$"):
        Retrying(broken, RetryPolicy(), sleep=sleeps.append).fetch(Request("u"))
    assert (broken.calls, len(sleeps)) == (1, 2)


def test_content_types_that_may_hold_json() -> None:
    accepted = ["application/json", "application/geo+json; charset=utf-8", "text/plain", None]
    refused = ["text/html", "image/tiff; application=geotiff", "application/xml"]
    assert all(json_content_type(t) for t in accepted)
    assert not any(json_content_type(t) for t in refused)


LANDING = {
    "type": "Catalog",
    "stac_version": "1.0.0",
    "id": "api",
    "description": "d",
    "conformsTo": [
        "https://api.stacspec.org/v1.0.0/core",
        "https://api.stacspec.org/v1.0.0/item-search",
    ],
    "links": [
        {"rel": "data", "href": "./collections"},
        {"rel": "search", "href": "./search", "method": "POST"},
    ],
}


def test_landing_page_and_requests_for_items() -> None:
    found = api.Api.from_landing("http://h/stac/", LANDING)
    assert api.is_landing_page(LANDING)
    assert found.collections_url == "http://h/stac/collections"
    assert found.search_methods == {"POST"}
    collection = {"id": "naip", "links": []}
    request = api.items_request(found, collection, "auto", 100, 1000)
    assert request is not None
    assert (request.method, request.url) == ("POST", "http://h/stac/search")
    assert orjson.loads(request.body or b"") == {"limit": 100, "collections": ["naip"]}
    linked = {"id": "naip", "links": [{"rel": "items", "href": "http://h/stac/c/naip/items"}]}
    request = api.items_request(found, linked, "auto", 100, 1000)
    assert request is not None and request.url == "http://h/stac/c/naip/items?limit=100"


def test_next_links_for_get_and_post_pages() -> None:
    get_page = {"links": [{"rel": "next", "href": "?token=abc"}]}
    following = api.next_request(get_page, Request("http://h/search?limit=5"))
    assert following == Request("http://h/search?token=abc")
    post = Request("http://h/search", "POST", b'{"limit": 5, "collections": ["a"]}')
    merged = {"rel": "next", "href": "/search", "method": "POST", "merge": True}
    page = {"links": [{**merged, "body": {"token": "t2"}}]}
    following = api.next_request(page, post)
    assert following is not None and following.method == "POST"
    assert orjson.loads(following.body or b"") == {"limit": 5, "collections": ["a"], "token": "t2"}
    assert api.next_request({"links": []}, post) is None


def test_terminal_progress_redraws_one_line() -> None:
    out = io.StringIO()
    ticks = iter([0.0, 2.0, 4.0])
    bar = TerminalProgress(out, crawl_status, clock=lambda: next(ticks))
    report = CrawlReport()
    report.counts.update(Catalog=1, Collection=2, Item=1_997)
    bar(report)
    report.counts["Item"] = 3_997
    bar(report)
    bar.finish()
    lines = out.getvalue().split("\r")[1:]
    assert lines[0].startswith("crawling: 2,000 objects (1 catalogs, 2 collections, 1,997 items)")
    assert "1,000/s" in lines[0] and "1,000/s" in lines[1]
    assert out.getvalue().endswith("\n")


def test_progress_is_logged_every_few_seconds_when_not_on_a_terminal(
    caplog: pytest.LogCaptureFixture,
) -> None:
    ticks = iter([0.0, 1.0, 6.0, 7.0])
    progress = LogProgress(clock=lambda: next(ticks))
    report = CrawlReport()
    report.counts.update(Catalog=1, Collection=2, Item=597)
    with caplog.at_level(logging.INFO, logger="stacsift.progress"):
        progress(report)  # at 1 s: too soon
        progress(report)  # at 6 s: logged
        progress(report)  # at 7 s: too soon again
    assert [r.getMessage() for r in caplog.records] == [
        "crawl objects=600 catalogs=1 collections=2 items=597 skipped=0 rate=100/s"
    ]
