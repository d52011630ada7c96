"""The terms of numeric properties' values (format 7): posted for every item that has the
property, and read by windows of a sort's values (stacsift.sort_windows) unless one value may
hold so many items that their postings cost more than the column; an index of format 6 has
none, and its windows range over the column."""

from __future__ import annotations

from typing import Any

import pytest

from stacsift import sort_windows, value_window, window
from stacsift.index import schema
from stacsift.index.reader import IndexReader, OpenIndex
from stacsift.query import translate
from stacsift.query.params import SearchRequest, SortKey
from tests.integration.test_value_windows import _build, _pages
from tests.support.paging import recorded


@pytest.fixture(scope="module")
def by_format(tmp_path_factory: pytest.TempPathFactory) -> dict[int, OpenIndex]:
    """The same items in an index of format 6 and of format 7."""
    indexes = {}
    for version in (6, 7):
        work = tmp_path_factory.mktemp(f"terms-{version}")
        with schema.layout(version):
            bucket = _build(work)
        indexes[version] = IndexReader(bucket, work / "cache").current()
    return indexes


@pytest.mark.parametrize(
    ("field", "low", "high"),
    [
        ("cloud_cover", None, 10.0),
        ("cloud_cover", 9.7, 9.7),
        ("cloud_cover", 30.0, None),
        ("gsd", None, 10.0),
        ("gsd", 30.0, 30.0),
        ("gsd", 20.0, None),
    ],
)
def test_numeric_values_are_posted_as_terms(
    by_format: dict[int, OpenIndex], field: str, low: float | None, high: float | None
) -> None:
    # GIVEN an index of format 7
    searcher = by_format[7].searcher()
    # WHEN a range of a numeric property's values (or one value) is searched on its column
    # and on its terms
    found = [
        window.count_of(searcher.search(translate.float_range(name, low, high), count=True))
        for name in (field, schema.NUMERIC_TERMS[field])
    ]
    # THEN both match the same items, some
    assert found[0] == found[1] > 0


@pytest.mark.parametrize(
    ("version", "name", "ranged"),
    [
        (7, "eo:cloud_cover", "cloud_cover_terms"),
        (7, "gsd", "gsd"),  # a third of the items share each value
        (6, "eo:cloud_cover", "cloud_cover"),
    ],
)
@pytest.mark.parametrize("descending", [False, True])
def test_windows_range_over_terms_of_values_few_items_share(
    by_format: dict[int, OpenIndex],
    monkeypatch: pytest.MonkeyPatch,
    version: int,
    name: str,
    ranged: str,
    descending: bool,
) -> None:
    # GIVEN an index counted as big, of format 6 or 7
    index = by_format[version]
    assert index.manifest.format_version == version
    request = SearchRequest(sortby=(SortKey(name, descending),), limit=9)
    full = _pages(index, request)
    monkeypatch.setattr(window, "MIN_OBJECTS", 1)
    monkeypatch.setattr(sort_windows, "POSTED_PAY", 0)  # as on a big index
    fields = _ranged_fields(monkeypatch)
    # WHEN a sort by a numeric property is paged with windows of its values
    paged = _pages(index, request)
    # THEN the windows ranged over the terms of the values on format 7 when few items share
    # one, else over the column, and paged as the full search does
    assert set(fields) == {ranged}
    assert paged == full


@pytest.mark.parametrize(("version", "windowed"), [(7, True), (6, False)])
def test_windows_over_terms_take_collections_however_many_others(
    by_format: dict[int, OpenIndex], monkeypatch: pytest.MonkeyPatch, version: int, windowed: bool
) -> None:
    # GIVEN an index counted as big, with more other collections than a window would exclude
    index = by_format[version]
    request = SearchRequest(sortby=(SortKey("eo:cloud_cover"),), collections=("arctic",), limit=2)
    full = _pages(index, request)
    monkeypatch.setattr(window, "MIN_OBJECTS", 1)
    monkeypatch.setattr(sort_windows, "POSTED_PAY", 0)  # as on a big index
    monkeypatch.setattr(sort_windows, "MAX_EXCLUDED", 0)
    answered = recorded(monkeypatch, value_window, "windowed")
    # WHEN a sort by a number of spread values in a collection is paged
    paged = _pages(index, request)
    # THEN windows over the terms of its values answered on format 7, with the collection
    # beside them, and the full search on format 6 (it would exclude the others); the same pages
    assert any(answered) is windowed
    assert paged == full


@pytest.mark.parametrize(("version", "windowed"), [(7, True), (6, False)])
@pytest.mark.parametrize("bbox", [(-10.0, -10.0, 10.0, 10.0), (1.0, 1.0, 30.0, 30.0)])
def test_windows_over_terms_take_a_bbox(
    by_format: dict[int, OpenIndex],
    monkeypatch: pytest.MonkeyPatch,
    version: int,
    windowed: bool,
    bbox: tuple[float, float, float, float],
) -> None:
    # GIVEN an index counted as big, whose items lie in a box or touch its corner
    index = by_format[version]
    request = SearchRequest(sortby=(SortKey("eo:cloud_cover", True),), bbox=bbox, limit=2)
    full = _pages(index, request)
    monkeypatch.setattr(window, "MIN_OBJECTS", 1)
    monkeypatch.setattr(sort_windows, "POSTED_PAY", 0)  # as on a big index
    answered = recorded(monkeypatch, value_window, "windowed")
    # WHEN a sort by a number of spread values in the box is paged
    paged = _pages(index, request)
    # THEN windows over the terms of its values answered on format 7, the box checked by its
    # range clauses, and the full search on format 6 (the box's cells would be enumerated by
    # every window); the same pages
    assert any(answered) is windowed
    assert paged == full
    assert sum(len(ids) for ids, _ in paged) == paged[0][1]
    assert paged[0][0]


def _ranged_fields(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The field each call of value_window.windowed ranges over."""
    fields: list[str] = []
    real = value_window.windowed

    def spy(search: Any, field: str, *rest: Any) -> Any:
        fields.append(field)
        return real(search, field, *rest)

    monkeypatch.setattr(value_window, "windowed", spy)
    return fields
