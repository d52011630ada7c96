"""Sort STAC objects by ``sortby`` keys in Python, for sorts tantivy cannot do natively, and
the sort fields it can (:data:`NATIVE_SORT`).

Values of different types never raise: missing values sort last in either direction, numbers
before strings, and strings compare as text.
"""

from __future__ import annotations

from functools import cmp_to_key
from typing import Any

from tantivy import FieldType

from stacsift.index import properties
from stacsift.index import schema as f
from stacsift.query.params import SortKey

# sortby fields that map onto one fast field of the index.
NATIVE_SORT = {
    "datetime": f.START,
    "start_datetime": f.START,
    "end_datetime": f.END,
    "id": f.ID,
    "collection": f.COLLECTION,
    **properties.NUMERIC,
    **properties.STRINGS,
}
# Text sort fields whose values are single strings, paged value by value (stacsift.term_groups).
TERM_SORTS = frozenset({f.COLLECTION, *properties.STRINGS.values()})
# The type of each sort field that a page can continue after (text ones continue by counting).
NATIVE_TYPES = {
    f.START: FieldType.Integer,
    f.END: FieldType.Integer,
    **dict.fromkeys(properties.NUMERIC.values(), FieldType.Float),
}


def value_of(obj: dict[str, Any], field: str) -> Any:
    """``id``/``collection`` at the top level, anything else among the properties."""
    if field in ("id", "collection"):
        return obj.get(field)
    properties = obj.get("properties")
    return properties.get(field) if isinstance(properties, dict) else None


def sort_objects(objects: list[dict[str, Any]], keys: tuple[SortKey, ...]) -> list[int]:
    """Indices of ``objects`` in sorted order (stable)."""
    values = [[value_of(obj, k.field) for k in keys] for obj in objects]

    def compare(a: int, b: int) -> int:
        for position, key in enumerate(keys):
            result = _compare(values[a][position], values[b][position], key.descending)
            if result:
                return result
        return 0

    return sorted(range(len(objects)), key=cmp_to_key(compare))


def _compare(left: Any, right: Any, descending: bool) -> int:
    if left is None or right is None:
        return (left is None) - (right is None)  # missing last, whatever the direction
    a, b = _rank(left), _rank(right)
    result = (a > b) - (a < b)
    return -result if descending else result


def _rank(value: Any) -> tuple[int, Any]:
    if isinstance(value, bool):
        return 0, int(value)
    if isinstance(value, int | float):
        return 0, float(value)
    return 1, str(value)
