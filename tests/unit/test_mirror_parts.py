"""The mirror's pure parts: names, relative hrefs, multihash checks, asset selection, rewriting."""

from __future__ import annotations

import hashlib
import io
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from index_builder.mirror import MirrorReport
from index_builder.mirror_copy import AssetSelection
from index_builder.mirror_paths import PLAIN, item_key, relative, safe_name
from index_builder.mirror_rewrite import ALTERNATE_ASSETS, point_at_copy, rewrite
from index_builder.multihash import BadChecksum, Verifier
from stacsift_cli.crawling import TerminalProgress
from stacsift_cli.mirroring import mirror_status


@settings(max_examples=300)
@given(st.text(min_size=1, max_size=120), st.text(min_size=1, max_size=120))
def test_names_are_plain_stable_and_never_shared(first: str, second: str) -> None:
    name = safe_name(first)
    assert PLAIN.fullmatch(name.replace("~", "-"))
    assert name == safe_name(first)
    assert "/" not in name and name not in (".", "..")
    if first != second:
        assert name != safe_name(second)


def test_plain_ids_keep_their_names_and_others_get_a_slug_and_hash() -> None:
    assert safe_name("S2A_MSIL2A_20240101") == "S2A_MSIL2A_20240101"
    assert safe_name("tiles/31/U/FS").startswith("tiles-31-U-FS~")
    assert safe_name("Zürich Süd").startswith("Zurich-Sud~")
    assert safe_name("..").startswith("~")
    assert item_key("a/b", "x y") == f"a/b/{safe_name('x y')}/{safe_name('x y')}.json"


def test_relative_hrefs() -> None:
    assert relative("c/i/i.json", "catalog.json") == "../../catalog.json"
    assert relative("catalog.json", "c/collection.json") == "./c/collection.json"
    assert relative("c/collection.json", "c/i/i.json") == "./i/i.json"
    assert relative("c/i/i.json", "c/i/data.tif") == "./data.tif"


def test_checksums_and_sizes() -> None:
    body = b"land cover"
    sha256 = "1220" + hashlib.sha256(body).hexdigest()
    md5 = "d50110" + hashlib.md5(body).hexdigest()  # noqa: S324 - a checksum, not security
    for checksum in (sha256, md5):
        verifier = Verifier(len(body), checksum)
        verifier.update(body)
        assert verifier.problem() is None
    short = Verifier(len(body), sha256)
    short.update(body[:4])
    assert short.problem() == f"size 4 bytes, expected {len(body)}"
    wrong = Verifier(None, sha256)
    wrong.update(body.upper())
    assert wrong.problem() == "checksum mismatch (file:checksum)"
    for bad in ("zz", "1220ab", "9999" + "00" * 2):
        with pytest.raises(BadChecksum):
            Verifier(None, bad)


def test_asset_selection() -> None:
    data = {"roles": ["data"]}
    thumb = {"roles": ["thumbnail"]}
    assert not AssetSelection.parse("none").anything
    assert AssetSelection.parse("all").wants("x", thumb, "x.png")
    roles = AssetSelection.parse("data,overview")
    assert roles.wants("a", data, "a.tif") and not roles.wants("t", thumb, "t.png")
    pattern = AssetSelection.parse("*.tif")
    assert pattern.wants("a", thumb, "a.tif") and not pattern.wants("b", data, "b.nc")


def test_rewrite_keeps_other_links_absolute_and_drops_structural_and_api_links() -> None:
    item: dict[str, Any] = {
        "type": "Feature",
        "id": "i",
        "links": [
            {"rel": "self", "href": "https://api/collections/c/items/i"},
            {"rel": "parent", "href": "../collection.json"},
            {"rel": "license", "href": "../LICENSE#terms"},
            {"rel": "next", "href": "?page=2"},
        ],
        "assets": {"data": {"href": "./data.tif"}},
    }
    out = rewrite(item, "https://host/c/i/i.json", "Item")
    assert out["links"] == [{"rel": "license", "href": "https://host/c/LICENSE#terms"}]
    assert out["assets"]["data"]["href"] == "https://host/c/i/data.tif"
    assert item["assets"]["data"]["href"] == "./data.tif"  # the crawled object is untouched
    point_at_copy(out, "data", "./data.tif")
    assert out["assets"]["data"]["href"] == "./data.tif"
    assert out["assets"]["data"]["alternate"]["source"]["href"] == "https://host/c/i/data.tif"
    assert out["stac_extensions"] == [ALTERNATE_ASSETS]


def test_mirror_progress_redraws_one_line_at_most_four_times_a_second() -> None:
    out = io.StringIO()
    ticks = iter([0.0, 0.1, 0.2, 2.0])
    bar = TerminalProgress(out, mirror_status, clock=lambda: next(ticks), every=0.25)
    report = MirrorReport()
    report.mirrored["Item"] = 100
    report.copied["Asset"] = 3
    report.bytes = 2_500_000
    bar(report)  # at 0.1 s: drawn
    report.mirrored["Item"] = 400
    bar(report)  # at 0.2 s: too soon, skipped
    bar(report)  # at 2.0 s: drawn
    bar.finish()
    lines = out.getvalue().split("\r")[1:]
    assert len(lines) == 2
    assert lines[0].startswith("mirroring: 100 objects · 3 copied · 0 unchanged · 2.5 MB")
    assert "1,000/s" in lines[0] and "200/s" in lines[1]
    assert out.getvalue().endswith("\n")
