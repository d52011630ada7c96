"""SnapStart hooks of the search function, run as the python3.12 runtime runs them (the
``snapshot_restore_py`` registry): the snapshot holds an opened index, a restore re-reads the
manifest at once."""

from __future__ import annotations

import json
from pathlib import Path

from snapshot_restore_py import get_after_restore, get_before_snapshot

from functions.gateway import Handler, LocalContext, to_event
from functions.search import make_handler
from index_builder.build import build
from stacsift.settings import SearchSettings, StoreSettings
from stacsift.store import open_bucket


def matched(handler: Handler) -> int:
    event = to_event("GET", "/search?limit=1", {"host": "api.test"}, b"", "127.0.0.1")
    count: int = json.loads(handler(event, LocalContext())["body"])["numberMatched"]
    return count


def test_restore_rechecks_the_manifest_the_snapshot_held(fixtures: Path, tmp_path: Path) -> None:
    root = str(tmp_path / "index")
    one = str(fixtures / "catalogs" / "pystac-test-case-1" / "catalog.json")
    four = str(fixtures / "catalogs" / "pystac-test-case-4" / "catalog.json")
    build([one], open_bucket(root, StoreSettings(), create=True))
    cache = tmp_path / "cache"
    settings = SearchSettings(root=root, cache_dir=cache, manifest_ttl_seconds=3600)

    befores, afters = len(get_before_snapshot()), len(get_after_restore())
    handler = make_handler(settings)
    new_before = get_before_snapshot()[befores:]
    new_after = get_after_restore()[afters:]
    assert len(new_before) == len(new_after) == 1

    for hook, args, kwargs in reversed(new_before):  # the runtime's order, at publish time
        hook(*args, **kwargs)
    assert any(p.is_file() for p in cache.rglob("*")), "the snapshot holds the index files"
    first = matched(handler)
    assert first == 8

    build([one, four], open_bucket(root, StoreSettings(), create=True))
    assert matched(handler) == first  # within the TTL, the held manifest is still trusted

    for hook, args, kwargs in new_after:  # a restore, hours later
        hook(*args, **kwargs)
    assert matched(handler) == 8 + 62
