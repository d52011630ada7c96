"""Which crawled folders ``stacsift serve`` serves, under which names, and what they map to."""

from __future__ import annotations

from pathlib import Path

import pytest

from stacsift.errors import NotFound
from stacsift.files import ServedFolders


def test_folders_are_named_by_their_base_name(tmp_path: Path) -> None:
    sources = [
        (tmp_path / ".stacsift-sample/catalog.json").as_uri(),
        (tmp_path / "a/sample/catalog.json").as_uri(),
        (tmp_path / "a/sample/catalog.json").as_uri(),
        "https://example.org/sample/catalog.json",
    ]
    folders = ServedFolders.of_sources(sources).folders
    assert folders == {
        "stacsift-sample": tmp_path / ".stacsift-sample",
        "sample": tmp_path / "a/sample",
    }


def test_file_hrefs_under_a_folder_become_files_urls(tmp_path: Path) -> None:
    folders = ServedFolders.of_sources([(tmp_path / "lc/catalog.json").as_uri()])
    href = (tmp_path / "lc/x/a b.tif").as_uri()
    assert folders.url(href, "http://h") == "http://h/files/lc/x/a%20b.tif"
    assert folders.url((tmp_path / "other.tif").as_uri(), "http://h") is None
    assert folders.url("s3://b/lc/x.tif", "http://h") is None


def test_paths_resolve_inside_their_folder_only(tmp_path: Path) -> None:
    (tmp_path / "lc/x").mkdir(parents=True)
    (tmp_path / "lc/x/a.tif").write_bytes(b"II*\0")
    (tmp_path / "secret.txt").write_text("no")
    (tmp_path / "lc/link.txt").symlink_to(tmp_path / "secret.txt")
    folders = ServedFolders.of_sources([(tmp_path / "lc/catalog.json").as_uri()])
    assert folders.path("lc/x/a.tif") == (tmp_path / "lc/x/a.tif").resolve()
    for bad in ("lc/../secret.txt", "lc/link.txt", "lc//x/a.tif", "lc/x", "lc", "nope/a.tif"):
        with pytest.raises(NotFound):
            folders.path(bad)
