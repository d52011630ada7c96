"""The mirror against a misbehaving HTTP source: interruptions, changes, truncation, bad checksums.

GIVEN a copy of the ESA CCI land-cover catalog (5 COGs, one netCDF asset that is not there)
served by a loopback HTTP server that sends ETags, answers conditional requests and injects
faults, WHEN it is mirrored into a folder with ``--assets all``, THEN an interrupted run is
resumed without copying again what was done; an unchanged re-run transfers no body at all and a
file changed upstream is the only one copied again; a truncated download or a wrong
``file:checksum`` / ``file:size`` is retried, reported and never recorded or linked as good; the
404 asset is reported while the rest carries on; 5xx and 429 answers are retried and redirects
followed; ``--delete`` removes what vanished upstream.
"""

from __future__ import annotations

import hashlib
import os
import posixpath
import shutil
import threading
from collections.abc import Iterable, Iterator
from pathlib import Path

import orjson
import pytest
from obstore.store import LocalStore

from index_builder.cache import CrawlCache
from index_builder.mirror import MirrorOptions
from index_builder.mirror_copy import AssetSelection
from index_builder.mirror_state import STATE_KEY
from stacsift.store import Bucket
from tests.support.fixture_server import FixtureServer, Script, serve_folder
from tests.support.mirroring import mirror

ITEM = "C3S-LC-L4-LCCS-Map-300m-P1Y-2018-v2.1.1-N79W180"
ITEM_PATH = f"esa-cci-lc/{ITEM}/{ITEM}.json"
COG = f"/esa-cci-lc/{ITEM}/{ITEM}-lccs_class.tif"
ALL = MirrorOptions(assets=AssetSelection.parse("all"), concurrency=1)


class Interrupting(Bucket):
    """A folder whose ``after``-th streamed put is interrupted, as if the process were stopped."""

    def __init__(self, root: Path, after: int) -> None:
        root.mkdir(parents=True, exist_ok=True)
        super().__init__(LocalStore(root), root.as_uri(), local_root=root)
        self.left = after

    def put_stream(self, key: str, chunks: Iterable[bytes]) -> None:
        self.left -= 1
        if self.left < 0:
            raise KeyboardInterrupt
        super().put_stream(key, chunks)


class InterruptingJson(Bucket):
    """A folder whose ``after``-th JSON put is interrupted, as if the process were stopped."""

    def __init__(self, root: Path, after: int) -> None:
        root.mkdir(parents=True, exist_ok=True)
        super().__init__(LocalStore(root), root.as_uri(), local_root=root)
        self.left = after

    def put(self, key: str, data: bytes) -> str | None:
        if key.endswith(".json"):
            self.left -= 1
            if self.left < 0:
                raise KeyboardInterrupt
        return super().put(key, data)


class Recording(Bucket):
    """A folder that remembers in which order objects were written: a JSON object when its put
    begins, an asset once its streamed put has ended."""

    def __init__(self, root: Path) -> None:
        root.mkdir(parents=True, exist_ok=True)
        super().__init__(LocalStore(root), root.as_uri(), local_root=root)
        self.order: list[str] = []
        self._lock = threading.Lock()

    def put(self, key: str, data: bytes) -> str | None:
        with self._lock:
            self.order.append(key)
        return super().put(key, data)

    def put_stream(self, key: str, chunks: Iterable[bytes]) -> None:
        super().put_stream(key, chunks)
        with self._lock:
            self.order.append(key)


@pytest.fixture
def source(fixtures: Path, tmp_path: Path) -> Path:
    """A writable copy of the catalog (tests change files upstream)."""
    copy = tmp_path / "source"
    shutil.copytree(fixtures / "catalogs/esa-cci-lc", copy)
    for path in copy.rglob("*"):
        path.chmod(0o755 if path.is_dir() else 0o644)
    return copy


@pytest.fixture
def served(source: Path) -> Iterator[FixtureServer]:
    with serve_folder(source) as server:
        yield server


def _dest(tmp_path: Path) -> Bucket:
    root = tmp_path / "dest"
    root.mkdir(exist_ok=True)
    return Bucket(LocalStore(root), root.as_uri(), local_root=root)


def _bodies(server: FixtureServer, suffix: str = ".tif") -> int:
    """Bodies (200s) the server sent for paths ending in ``suffix``; the log is then cleared."""
    count = sum(1 for e in server.log if e.status == 200 and e.path.endswith(suffix))
    server.log.clear()
    return count


def test_an_interrupted_run_resumes_without_copying_again(
    served: FixtureServer, tmp_path: Path
) -> None:
    url = f"{served.url}/catalog.json"
    with pytest.raises(KeyboardInterrupt):
        mirror([url], Interrupting(tmp_path / "dest", after=2), tmp_path / "work", ALL)
    assert len(list((tmp_path / "dest").rglob("*.tif"))) == 2  # then the interruption
    served.log.clear()
    dest = _dest(tmp_path)
    assert dest.etag(STATE_KEY) is not None  # the state was saved on the way out

    resumed = mirror([url], dest, tmp_path / "work", ALL)
    assert resumed.copied["Asset"] == 3
    assert resumed.unchanged == 2
    assert _bodies(served) == 3
    assert resumed.mirrored["Asset"] == 5


def test_a_run_interrupted_while_writing_json_resumes_without_writing_it_again(
    served: FixtureServer, tmp_path: Path
) -> None:
    url = f"{served.url}/catalog.json"
    json_only = MirrorOptions(concurrency=1)
    with pytest.raises(KeyboardInterrupt):
        mirror([url], InterruptingJson(tmp_path / "dest", after=1), tmp_path / "work", json_only)
    assert [p.name for p in (tmp_path / "dest").rglob("*.json")] == [f"{ITEM}.json"]

    resumed = mirror([url], _dest(tmp_path), tmp_path / "work", json_only)
    assert resumed.copied == {"Catalog": 1, "Collection": 2, "Item": 1, "Asset": 0}
    assert resumed.unchanged == 1  # the item written before the interruption
    assert resumed.mirrored["Item"] == 2


def test_items_are_written_after_their_copies_and_the_root_last(
    served: FixtureServer, tmp_path: Path
) -> None:
    dest = Recording(tmp_path / "dest")
    options = MirrorOptions(assets=AssetSelection.parse("all"), concurrency=4)
    report = mirror([f"{served.url}/catalog.json"], dest, tmp_path / "work", options)
    assert report.copied["Asset"] == 5
    written = {key: at for at, key in enumerate(dest.order)}
    pointed = 0
    for key, at in written.items():
        if not key.endswith(".json"):
            continue
        document = orjson.loads((tmp_path / "dest" / key).read_bytes())
        below = [link["href"] for link in document["links"] if link["rel"] in ("child", "item")]
        copies = [a["href"] for a in document.get("assets", {}).values() if "://" not in a["href"]]
        pointed += len(copies)
        for href in below + copies:
            target = posixpath.normpath(posixpath.join(posixpath.dirname(key), href))
            assert written[target] < at, f"{key} was written before {target}"
    assert pointed == 5  # every copy is linked, by a document written after it
    assert dest.order[-1] == "catalog.json"


def test_an_unchanged_rerun_transfers_nothing_and_a_change_is_copied_again(
    served: FixtureServer, source: Path, tmp_path: Path
) -> None:
    url = f"{served.url}/catalog.json"
    dest = _dest(tmp_path)
    with CrawlCache(tmp_path / "crawl.sqlite") as cache:
        first = mirror([url], dest, tmp_path / "work", ALL, cache=cache)
        assert first.copied == {"Catalog": 1, "Collection": 2, "Item": 2, "Asset": 5}
        assert [(f.href.removeprefix(served.url), f.reason) for f in first.failures] == [
            (
                "/tests/data-files/external/C3S-LC-L4-LCCS-Map-300m-P1Y-2018-v2.1.1.nc",
                "broken link: HTTP 404",
            )
        ]
        served.log.clear()

        again = mirror([url], dest, tmp_path / "work", ALL, cache=cache)
        assert again.total_copied == 0
        assert again.unchanged == 10
        assert [e for e in served.log if e.status == 200] == []
        assert again.crawl.transfer.bodies == 0

        changed = source / COG.lstrip("/")
        changed.write_bytes(changed.read_bytes() + b"\0" * 16)
        os.utime(changed, ns=(changed.stat().st_mtime_ns + 10**9,) * 2)
        served.log.clear()
        third = mirror([url], dest, tmp_path / "work", ALL, cache=cache)
    assert third.copied == {"Catalog": 0, "Collection": 0, "Item": 0, "Asset": 1}
    assert [e.path for e in served.log if e.status == 200] == [COG]
    assert (tmp_path / "dest" / COG.lstrip("/")).read_bytes() == changed.read_bytes()


def test_a_truncated_download_is_retried_reported_and_never_linked(
    source: Path, tmp_path: Path
) -> None:
    with serve_folder(source, {COG: Script(then="truncate")}) as server:
        report = mirror([f"{server.url}/catalog.json"], _dest(tmp_path), tmp_path / "work", ALL)
        truncated = sum(1 for e in server.log if e.path == COG)
    failures = {f.href.removeprefix(server.url): f.reason for f in report.failures}
    assert failures[COG].startswith("truncated body")
    assert failures[COG].endswith("(after 5 attempts)")
    assert truncated == 5
    assert report.copied["Asset"] == 4
    copy = tmp_path / "dest" / COG.lstrip("/")
    assert not copy.exists()
    item = orjson.loads((tmp_path / "dest" / ITEM_PATH).read_bytes())
    assert item["assets"]["lccs_class"]["href"] == f"{server.url}{COG}"  # the original
    assert "alternate" not in item["assets"]["lccs_class"]
    assert item["assets"]["change_count"]["href"] == f"./{ITEM}-change_count.tif"


def test_wrong_checksums_and_sizes_are_caught(
    served: FixtureServer, source: Path, tmp_path: Path
) -> None:
    item_file = source / ITEM_PATH
    item = orjson.loads(item_file.read_bytes())
    folder = item_file.parent
    good = hashlib.sha256((folder / f"{ITEM}-change_count.tif").read_bytes()).hexdigest()
    item["assets"]["change_count"]["file:checksum"] = "1220" + good
    item["assets"]["lccs_class"]["file:checksum"] = "1220" + "00" * 32
    item["assets"]["processed_flag"]["file:size"] = 12
    item_file.write_bytes(orjson.dumps(item))

    report = mirror([f"{served.url}/catalog.json"], _dest(tmp_path), tmp_path / "work", ALL)
    failures = {f.href.rsplit("-", 1)[-1]: f.reason for f in report.failures}
    assert failures["lccs_class.tif"] == "checksum mismatch (file:checksum) (after 5 attempts)"
    assert (
        failures["processed_flag.tif"] == "size 26041 bytes, expected 12"
    )  # the server said so: no retry
    assert report.copied["Asset"] == 3
    mirrored = orjson.loads((tmp_path / "dest" / ITEM_PATH).read_bytes())
    assert mirrored["assets"]["change_count"]["href"] == f"./{ITEM}-change_count.tif"
    assert mirrored["assets"]["lccs_class"]["href"] == f"{served.url}{COG}"
    assert not (tmp_path / "dest" / COG.lstrip("/")).exists()


def test_delete_removes_what_vanished_upstream(
    served: FixtureServer, source: Path, tmp_path: Path
) -> None:
    url = f"{served.url}/catalog.json"
    dest = _dest(tmp_path)
    mirror([url], dest, tmp_path / "work", ALL)
    netcdf = "esa-cci-lc-netcdf"
    assert (tmp_path / "dest" / netcdf / "collection.json").exists()

    catalog = orjson.loads((source / "catalog.json").read_bytes())
    catalog["links"] = [link for link in catalog["links"] if netcdf not in link["href"]]
    (source / "catalog.json").write_bytes(orjson.dumps(catalog))
    shutil.rmtree(source / netcdf)
    kept = mirror([url], dest, tmp_path / "work", ALL)
    assert kept.deleted == 0
    assert (tmp_path / "dest" / netcdf / "collection.json").exists()

    pruned = mirror([url], dest, tmp_path / "work", MirrorOptions(ALL.assets, delete=True))
    assert pruned.deleted == 2  # the netCDF collection and its item
    assert not list((tmp_path / "dest" / netcdf).rglob("*.json"))
    assert (tmp_path / "dest" / ITEM_PATH).exists()


def test_busy_servers_and_moved_files_are_copied_all_the_same(source: Path, tmp_path: Path) -> None:
    moved = f"/esa-cci-lc/{ITEM}/{ITEM}-change_count.tif"
    faults = {COG: Script(["500", "429"]), moved: Script([f"redirect:/_moved{moved}"])}
    with serve_folder(source, faults) as server:
        report = mirror([f"{server.url}/catalog.json"], _dest(tmp_path), tmp_path / "work", ALL)
        answers = [(e.path, e.status) for e in server.log if e.path.endswith((COG, moved))]
    assert report.copied["Asset"] == 5
    expected = [(COG, 500), (COG, 429), (COG, 200), (moved, 302), (f"/_moved{moved}", 200)]
    assert sorted(answers) == sorted(expected)
    for path in (COG, moved):
        local = path.lstrip("/")
        assert (tmp_path / "dest" / local).read_bytes() == (source / local).read_bytes()
