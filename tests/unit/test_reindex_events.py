"""Object events in every shape stores deliver them → the object URLs they announce."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote_plus

import orjson
import pytest

from functions.s3_events import MalformedEvent, parse_body
from stacsift.reindex.watch import Watch

KEYS = ["items/a b.json", "items/c++.json", "items/50%.json", "items/ünï/ꙮ.json"]


def s3_notification(key: str, name: str = "ObjectCreated:Put") -> dict[str, Any]:
    """An S3 event notification as S3 sends it: the key URL-encoded, spaces as ``+``."""
    return {
        "Records": [
            {
                "eventVersion": "2.1",
                "eventSource": "aws:s3",
                "eventTime": "2026-12-03T03:00:00.000Z",
                "eventName": name,
                "s3": {
                    "bucket": {"name": "bucket"},
                    "object": {"key": quote_plus(key), "sequencer": "0055AED6DCD90281E5"},
                },
            }
        ]
    }


@pytest.mark.parametrize("key", KEYS)
def test_s3_keys_are_decoded_exactly(key: str) -> None:
    [event] = parse_body(orjson.dumps(s3_notification(key)).decode())
    assert event.url == f"s3://bucket/{key}" and not event.removed
    assert event.time is not None and event.time.year == 2026


def test_removals_are_told_apart_from_creations() -> None:
    [event] = parse_body(orjson.dumps(s3_notification("a.json", "ObjectRemoved:Delete")).decode())
    assert event.removed


@pytest.mark.parametrize("raw", [True, False])
def test_sns_envelopes_raw_or_not(raw: bool) -> None:
    inner = orjson.dumps(s3_notification("x y.json")).decode()
    body = inner if raw else orjson.dumps({"Type": "Notification", "Message": inner}).decode()
    assert [e.url for e in parse_body(body)] == ["s3://bucket/x y.json"]


@pytest.mark.parametrize(("kind", "removed"), [("Object Created", False), ("Object Deleted", True)])
def test_eventbridge_events(kind: str, removed: bool) -> None:
    body = {
        "version": "0",
        "detail-type": kind,
        "source": "aws.s3",
        "time": "2026-12-03T03:00:00Z",
        "detail": {"bucket": {"name": "bucket"}, "object": {"key": "a b+c.json"}},
    }
    [event] = parse_body(orjson.dumps(body).decode())
    assert event.url == "s3://bucket/a b+c.json" and event.removed is removed


def test_test_events_and_other_kinds_announce_nothing() -> None:
    test_event = {"Service": "Amazon S3", "Event": "s3:TestEvent", "Bucket": "bucket"}
    restore = s3_notification("a.json", "ObjectRestore:Completed")
    other = {"detail-type": "Object Restore Completed", "detail": {}}
    for body in (test_event, restore, other):
        assert parse_body(orjson.dumps(body).decode()) == []


@pytest.mark.parametrize(
    "body",
    ["not json", "[1]", '{"Records": "x"}', '{"Records": [{"eventName": "ObjectCreated:Put"}]}'],
)
def test_malformed_messages_say_why(body: str) -> None:
    with pytest.raises(MalformedEvent):
        parse_body(body)


def test_watched_keys() -> None:
    watch = Watch.of(["s3://bucket/stac", "s3://other"], "s3://bucket/stac/index/")
    assert watch.ignores("s3://bucket/stac/a/item.json") is None
    assert watch.ignores("s3://other/x.ndjson") is None
    assert watch.ignores("s3://bucket/elsewhere/item.json") == "not under a watched prefix"
    assert watch.ignores("s3://others/x.json") == "not under a watched prefix"
    assert watch.ignores("s3://bucket/stac/index/index/manifest.json") == (
        "the index root's own file"
    )
    assert "'.'" in str(watch.ignores("s3://bucket/stac/.stacsift-mirror/state.json"))
    assert "not .json" in str(watch.ignores("s3://bucket/stac/a/cog.tif"))
