"""The outputs that define an index format, pinned per ``FORMAT_VERSION``: the tantivy schema
as written to disk, the cell terms of bboxes, the month terms of intervals, (format 5) the
cell-month terms of both and (format 6) the day terms of intervals.

A change to any of them changes what old indexes mean, so it must come with a new format
version (and readers of the previous one). Regenerate the files on purpose only:
``python -m tests.unit.test_format_golden write``.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path
from typing import Any

import orjson
import pytest
import tantivy

from stacsift import grid
from stacsift.index import schema
from stacsift.index.documents import to_micros

GOLDEN = Path(__file__).parent / "golden"
BOXES: list[tuple[float, float, float, float]] = [
    (10.0, 50.0, 10.5, 50.5),
    (-180.0, -90.0, 180.0, 90.0),
    (179.5, -1.0, -179.5, 1.0),
    (-5.625, 0.0, 0.0, 5.625),
    (-73.9, 40.6, -73.7, 40.9),
    (100.0, -10.0, 150.0, 20.0),
]
INTERVALS = [
    ("2020-01-15T00:00:00+00:00", "2020-01-15T00:00:00+00:00"),
    ("2019-12-31T23:59:59+00:00", "2020-02-01T00:00:00+00:00"),
    ("2000-01-01T00:00:00+00:00", "2010-01-01T00:00:00+00:00"),
    ("1969-12-31T00:00:00+00:00", "1970-01-01T00:00:00+00:00"),
]
# (a year in six cells is more cell-month terms than an item gets: its months become ``long``)
CELL_MONTH_INTERVALS = [*INTERVALS, ("2020-01-01T00:00:00+00:00", "2020-12-31T00:00:00+00:00")]


def _micros(text: str) -> int:
    from datetime import datetime

    return to_micros(datetime.fromisoformat(text))


def _on_disk_schema(version: int) -> Any:
    with tempfile.TemporaryDirectory() as folder:
        index = tantivy.Index(schema.SCHEMAS[version], path=folder)
        index.writer(15_000_000, 1).commit()
        return orjson.loads((Path(folder) / "meta.json").read_bytes())["schema"]


def current(version: int) -> dict[str, Any]:
    """What format ``version`` writes today."""
    outputs = {
        "format_version": version,
        "tantivy_version": schema.TANTIVY_VERSION,
        "schema": _on_disk_schema(version),
        "cells": {
            ",".join(map(str, box)): {
                kind: grid.item_terms(box, grid.cell_prefix(kind))
                for kind in (schema.TYPE_ITEM, schema.TYPE_COLLECTION)
            }
            for box in BOXES
        },
        "months": {
            f"{start}/{end}": grid.month_terms(_micros(start), _micros(end))
            for start, end in INTERVALS
        },
    }
    if schema.ADDED_IN[schema.CELL_MONTHS] <= version:
        outputs["cell_months"] = {
            f"{','.join(map(str, box))} {start}/{end}": grid.cell_month_terms(
                box, _micros(start), _micros(end)
            )
            for box in BOXES
            for start, end in CELL_MONTH_INTERVALS
        }
    if schema.ADDED_IN[schema.DAYS] <= version:
        outputs["days"] = {
            f"{start}/{end}": grid.day_terms(_micros(start), _micros(end))
            for start, end in INTERVALS
        }
    return outputs


def path(version: int) -> Path:
    return GOLDEN / f"format-{version}.json"


@pytest.mark.parametrize("version", schema.READABLE_FORMATS)
def test_format_outputs_match_their_golden_file(version: int) -> None:
    golden = orjson.loads(path(version).read_bytes())
    assert current(version) == golden, (
        f"index format {version} changed: bump FORMAT_VERSION (and keep reading the previous "
        "one), or regenerate on purpose with python -m tests.unit.test_format_golden write"
    )


def test_the_current_format_has_a_golden_file() -> None:
    assert schema.FORMAT_VERSION in schema.READABLE_FORMATS
    assert path(schema.FORMAT_VERSION).is_file()


def test_the_installed_tantivy_is_the_pinned_one() -> None:
    schema.check_tantivy()
    from stacsift.errors import IndexFormatError

    with pytest.raises(IndexFormatError, match="pins tantivy"):
        schema.check_tantivy("0.0.1")


def write() -> None:
    GOLDEN.mkdir(exist_ok=True)
    for version in schema.READABLE_FORMATS:
        data = orjson.dumps(current(version), option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS)
        path(version).write_bytes(data + b"\n")
        print(f"wrote {path(version)}")


if __name__ == "__main__":
    if sys.argv[1:] != ["write"]:
        sys.exit("usage: python -m tests.unit.test_format_golden write")
    write()
