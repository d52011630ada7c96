"""The layout's import rules (DESIGN.md) and the search handler's small import graph."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import PROJECT

PACKAGES = ("stacsift", "index_builder", "functions", "stacsift_cli")
FORBIDDEN = {
    "stacsift": {"index_builder", "functions", "stacsift_cli"},
    "index_builder": {"functions", "stacsift_cli"},
    "functions": {"index_builder", "stacsift_cli"},
}


def imported_packages(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_package_imports_respect_the_layout(package: str) -> None:
    offenders = {
        str(path.relative_to(PROJECT)): sorted(imported_packages(path) & FORBIDDEN[package])
        for path in (PROJECT / package).rglob("*.py")
    }
    assert {k: v for k, v in offenders.items() if v} == {}


@pytest.mark.parametrize("function", ["functions.search", "functions.presign"])
def test_function_handlers_import_no_pyarrow_or_pystac(function: str) -> None:
    probe = (
        f"import sys, {function}; print(','.join(sorted({{m.split('.')[0] for m in sys.modules}})))"
    )
    loaded = (
        subprocess.run(
            [sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd=PROJECT
        )
        .stdout.strip()
        .split(",")
    )
    heavy = {"pyarrow", "pystac", "stac_geoparquet", "geopandas", "pandas", "boto3"}
    assert heavy & set(loaded) == set()
