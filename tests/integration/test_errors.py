"""Bad input gets one readable line and a non-zero exit (CLI), or a 4xx JSON error (HTTP)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from stacsift.settings import StoreSettings
from stacsift.store import Bucket
from tests.http import request
from tests.integration.conftest import ServeFn, free_port


def run_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "stacsift_cli.main", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **(env or {})},
        check=False,
    )


def assert_one_line_error(result: subprocess.CompletedProcess[str], *words: str) -> None:
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("stacsift: error: ")
    for word in words:
        assert word in lines[0]


def test_missing_source_path(tmp_path: Path) -> None:
    result = run_cli("build", str(tmp_path / "no-such-catalog.json"), "--root", str(tmp_path))
    assert_one_line_error(result, "no-such-catalog.json")


def test_unreachable_root(fixtures: Path) -> None:
    closed = f"http://127.0.0.1:{free_port()}"
    source = str(fixtures / "catalogs/pystac-test-case-1/catalog.json")
    env = {
        "AWS_ENDPOINT_URL": closed,
        "AWS_ACCESS_KEY_ID": "x",
        "AWS_SECRET_ACCESS_KEY": "y",
        "AWS_REGION": "us-east-1",
        "STACSIFT_STORE_TIMEOUT": "3",
    }
    build = run_cli("build", source, "--root", "s3://nowhere/prefix", env=env)
    search = run_cli("search", "forest", "--root", "s3://nowhere/prefix", env=env)
    assert_one_line_error(build, "s3://nowhere/prefix")
    assert_one_line_error(search, "s3://nowhere/prefix")


def test_root_without_index(tmp_path: Path) -> None:
    missing = run_cli("search", "x", "--root", str(tmp_path / "absent"))
    empty = run_cli("search", "x", "--root", str(tmp_path))
    assert_one_line_error(missing, "does not exist")
    assert_one_line_error(empty, "no index")


def test_unsupported_root_scheme(tmp_path: Path) -> None:
    result = run_cli("search", "x", "--root", "ftp://example/x")
    assert_one_line_error(result, "root")


@pytest.mark.parametrize(
    ("option", "value", "names"),
    [
        ("--bbox", "1,2,3", "bbox"),
        ("--bbox", "a,b,c,d", "bbox"),
        ("--bbox", "0,80,1,-80", "bbox"),
        ("--datetime", "yesterday", "datetime"),
        ("--limit", "-3", "limit"),
    ],
)
def test_malformed_cli_parameters(option: str, value: str, names: str, tmp_path: Path) -> None:
    result = run_cli("search", "x", "--root", str(tmp_path), option, value)
    assert_one_line_error(result, names)


@pytest.fixture
def api(
    fixtures: Path,
    built: Callable[[list[str], str, StoreSettings], Bucket],
    serve: ServeFn,
    local_root: str,
) -> str:
    built([str(fixtures / "catalogs/pystac-test-case-1")], local_root, StoreSettings())
    return serve(local_root, StoreSettings())


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ("bbox=1,2,3", "bbox"),
        ("bbox=west,south,east,north", "bbox"),
        ("bbox=0,0,200,1", "bbox"),
        ("datetime=2020-13-45", "datetime"),
        ("datetime=2021-01-01T00:00:00Z/2020-01-01T00:00:00Z", "datetime"),
        ("datetime=../..", "datetime"),
        ("limit=0", "limit"),
        ("limit=ten", "limit"),
        ("token=not-a-token", "token"),
    ],
)
def test_malformed_http_parameters_are_400(api: str, query: str, parameter: str) -> None:
    status, headers, body = request(f"{api}/search?{query}")
    assert status == 400
    assert headers["Content-Type"].startswith("application/json")
    assert body["code"] == "InvalidParameterValue"
    assert body["description"].startswith(f"{parameter}:")


def test_malformed_post_body_is_400(api: str) -> None:
    not_json = request(f"{api}/search", "POST", b"{not json")
    not_object = request(f"{api}/search", "POST", b"[1, 2]")
    bad_bbox = request(f"{api}/search", "POST", b'{"bbox": "everywhere"}')
    assert [r[0] for r in (not_json, not_object, bad_bbox)] == [400, 400, 400]
    assert not_json[2]["description"].startswith("body:")
    assert bad_bbox[2]["description"].startswith("bbox:")


def test_unknown_collection_item_and_route_are_404(api: str) -> None:
    collection = request(f"{api}/collections/nope")
    items = request(f"{api}/collections/nope/items")
    item = request(f"{api}/collections/area-1-1/items/nope")
    route = request(f"{api}/nowhere")
    assert [r[0] for r in (collection, items, item, route)] == [404, 404, 404, 404]
    assert all(r[2]["code"] == "NotFound" for r in (collection, items, item, route))


def test_serving_a_root_without_index_fails_clearly(tmp_path: Path) -> None:
    result = run_cli("serve", "--root", str(tmp_path), "--port", str(free_port()))
    assert_one_line_error(result, "no index")


def test_serving_on_a_taken_port_fails_clearly(
    fixtures: Path, built: Callable[[list[str], str, StoreSettings], Bucket], local_root: str
) -> None:
    built([str(fixtures / "catalogs/pystac-test-case-1")], local_root, StoreSettings())
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run_cli("serve", "--root", local_root, "--port", str(port))
    assert_one_line_error(result, f"127.0.0.1:{port}")


def test_gc_and_rebuild_from_the_command_line(fixtures: Path, tmp_path: Path) -> None:
    root, source = str(tmp_path / "root"), str(fixtures / "catalogs/pystac-test-case-1")
    first = run_cli("build", source, "--root", root, "--cache-dir", str(tmp_path / "c"))
    again = run_cli("build", source, "--root", root, "--cache-dir", str(tmp_path / "c"))
    full = run_cli("build", source, "--root", root, "--full", "--cache-dir", str(tmp_path / "c"))
    gc = run_cli("gc", "--root", root, "--keep", "1", "--grace", "0s")
    bad = run_cli("gc", "--root", root, "--grace", "soon")
    assert (
        "generation 1 published" in first.stdout and "15 objects written" in first.stdout
    )  # 3 + 4 + 8
    assert "unchanged since generation 1" in again.stdout
    assert "generation 2 published" in full.stdout
    assert gc.returncode == 0 and "kept generations [2]" in gc.stdout
    assert_one_line_error(bad, "grace")
