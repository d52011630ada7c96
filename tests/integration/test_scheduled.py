"""The scheduled reconcile: a full crawl of the configured sources, published only when changed."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from index_builder import scheduled
from stacsift.errors import InvalidParameter
from stacsift.settings import ReconcileSettings


def test_reconcile_publishes_then_converges(fixtures: Path, tmp_path: Path) -> None:
    catalog = tmp_path / "catalog"
    shutil.copytree(fixtures / "catalogs" / "pystac-test-case-1", catalog)
    settings = ReconcileSettings(
        root=str(tmp_path / "index"),
        sources=(str(catalog / "catalog.json"),),
        cache_dir=tmp_path / "cache",
    )
    first = scheduled.summary(scheduled.reconcile(settings))
    assert first["generation"] == 1 and not first["unchanged"]
    assert scheduled.summary(scheduled.reconcile(settings))["unchanged"] is True

    items = sorted(catalog.rglob("*.json"))
    item = next(p for p in items if json.loads(p.read_text()).get("type") == "Feature")
    document = json.loads(item.read_text())
    document["properties"]["title"] = "changed by hand"
    item.write_text(json.dumps(document))
    third = scheduled.summary(scheduled.reconcile(settings))
    assert third["generation"] == 2 and third["changed"] >= 1


def test_the_handler_reads_its_sources_from_the_environment(
    fixtures: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STACSIFT_ROOT", str(tmp_path / "index"))
    monkeypatch.setenv("STACSIFT_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("STACSIFT_RECONCILE_SOURCES", raising=False)
    with pytest.raises(InvalidParameter, match="STACSIFT_RECONCILE_SOURCES"):
        scheduled.handler({}, None)
    source = fixtures / "catalogs" / "pystac-test-case-1" / "catalog.json"
    monkeypatch.setenv("STACSIFT_RECONCILE_SOURCES", str(source))
    assert scheduled.handler({"source": "aws.scheduler"}, None)["generation"] == 1
