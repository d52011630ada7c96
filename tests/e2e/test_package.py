"""The Lambda zips: under Lambda's limit, and working in a bare Python 3.12 with nothing but the
zip on ``sys.path`` (as on the python3.12 runtime, less its boto3)."""

from __future__ import annotations

import json
import subprocess
import zipfile
from pathlib import Path
from typing import Any

from functions.gateway import Handler, LocalContext, to_event
from functions.search import make_handler
from index_builder.build import build
from infra import bundle
from stacsift.settings import SearchSettings, StoreSettings
from stacsift.store import open_bucket

BARE = """
import json, os, sys
code = sys.argv[1]
sys.path.insert(0, code)
request = json.loads(sys.stdin.read())
os.environ.update(request["env"])
{body}
"""

SEARCH = """
from functions.search import handler
from functions.gateway import LocalContext
out = handler(request["event"], LocalContext(aws_request_id="bare"))
json.dump({"out": out, "path": sys.path, "modules": sorted(sys.modules)}, sys.stdout)
"""

BUILD = """
from index_builder.build import build
from stacsift.settings import StoreSettings
from stacsift.store import open_bucket
result = build([request["source"]], open_bucket(request["root"], StoreSettings(), create=True))
json.dump({"generation": result.manifest.generation, "modules": sorted(sys.modules)}, sys.stdout)
"""


def run_bare(python: Path, zip_path: Path, tmp: Path, body: str, request: dict[str, Any]) -> Any:
    code = tmp / f"code-{zip_path.stem}"
    with zipfile.ZipFile(zip_path) as archive:
        archive.extractall(code)
    done = subprocess.run(
        [str(python), "-I", "-S", "-c", BARE.format(body=body), str(code)],
        input=json.dumps(request),
        capture_output=True,
        text=True,
        check=False,
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp)},
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout)


def search_here(root: Path, tmp: Path, event: dict[str, Any]) -> dict[str, Any]:
    """The same request answered by this checkout's search handler, in this process."""
    handler: Handler = make_handler(SearchSettings(root=str(root), cache_dir=tmp / "here"))
    return handler(event, LocalContext())


def test_every_zip_fits_lambda(lambda_zips: dict[str, Path]) -> None:
    assert set(lambda_zips) == {"search", "presign", "reindex"}
    for path in lambda_zips.values():
        sizes = bundle.measure(path)
        assert sizes.unzipped <= bundle.UNZIPPED_LIMIT, sizes.line()
    with zipfile.ZipFile(lambda_zips["search"]) as archive:
        tops = {name.split("/", 1)[0] for name in archive.namelist()}
    assert not tops & {"pyarrow", "pystac", "boto3", "botocore", "pandas", "index_builder"}


def test_search_zip_answers_in_a_bare_python(
    lambda_zips: dict[str, Path], runtime_python: Path, fixtures: Path, tmp_path: Path
) -> None:
    root = tmp_path / "index"
    catalog = fixtures / "catalogs" / "pystac-test-case-4" / "catalog.json"
    build([str(catalog)], open_bucket(str(root), StoreSettings(), create=True))
    event = to_event("GET", "/search?q=label&limit=100", {"host": "api.test"}, b"", "127.0.0.1")
    request = {
        "event": event,
        "env": {"STACSIFT_ROOT": str(root), "STACSIFT_CACHE_DIR": str(tmp_path / "c")},
    }
    answer = run_bare(runtime_python, lambda_zips["search"], tmp_path, SEARCH, request)

    code = str(tmp_path / "code-search")
    assert all(
        p == code or not p.endswith(("site-packages", "dist-packages")) for p in answer["path"]
    )
    assert not {"pyarrow", "pystac", "boto3"} & {m.split(".")[0] for m in answer["modules"]}
    bare = answer["out"]
    assert bare["statusCode"] == 200, bare["body"]
    here = search_here(root, tmp_path, event)
    ours, theirs = json.loads(bare["body"]), json.loads(here["body"])
    assert ours["numberMatched"] == theirs["numberMatched"] > 0
    assert [f["id"] for f in ours["features"]] == [f["id"] for f in theirs["features"]]


def test_reindex_zip_builds_an_index_in_a_bare_python(
    lambda_zips: dict[str, Path], runtime_python: Path, fixtures: Path, tmp_path: Path
) -> None:
    """The builder's pyarrow, with Flight, Substrait bindings, S3 and tests left out, still
    writes the table and the index."""
    root = tmp_path / "built"
    catalog = fixtures / "catalogs" / "pystac-test-case-4" / "catalog.json"
    request = {"source": str(catalog), "root": str(root), "env": {}}
    answer = run_bare(runtime_python, lambda_zips["reindex"], tmp_path, BUILD, request)
    assert answer["generation"] == 1
    assert "pyarrow.parquet" in answer["modules"]
    event = to_event("GET", "/search?limit=1", {"host": "api.test"}, b"", "127.0.0.1")
    here = search_here(root, tmp_path, event)
    assert json.loads(here["body"])["numberMatched"] == 62
    assert list((root / "table").rglob("*.parquet"))
