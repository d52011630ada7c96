"""Which item properties the index answers filters on, and the terms that record them.

The rule (format 4):

- **Every** top-level property whose value is not null is named in ``has`` (IS NULL).
- **Every** string property up to :data:`MAX_VALUE_CHARS` characters, and every boolean, is a
  term ``name␟s:value`` / ``name␟b:true`` in ``props`` (=, IN, LIKE with a literal prefix). A
  longer string is the term ``name␟long``, so that a LIKE prefilter still finds it.
- The numeric properties of :data:`NUMERIC` (the common STAC ones) are fast fields of their
  own (<, <=, >, >=, BETWEEN, =, sortby). A numeric property not listed is filtered by the
  exact evaluator over a bounded scan.

- The string properties of :data:`STRINGS` (format 6) are text fast fields too, for sortby:
  tantivy orders them by their bytes, as Python orders ``str``.

A property value of another type (arrays, objects, numbers outside the list) is not in the
index; filters on it fall back to the evaluator. See docs/search.md for the size this costs.
"""

from __future__ import annotations

import math
from typing import Any

from stacsift.index import schema as f

MAX_VALUE_CHARS = 256
SEPARATOR = "\x1f"

# STAC properties kept as numeric fast fields, and their field names.
NUMERIC = {
    "gsd": f.GSD,
    "eo:cloud_cover": f.CLOUD_COVER,
    "eo:snow_cover": "snow_cover",
    "view:off_nadir": "off_nadir",
    "view:incidence_angle": "incidence_angle",
    "view:azimuth": "view_azimuth",
    "view:sun_azimuth": "sun_azimuth",
    "view:sun_elevation": "sun_elevation",
    "sat:relative_orbit": "relative_orbit",
    "sat:absolute_orbit": "absolute_orbit",
    "proj:epsg": "epsg",
}


# STAC string properties kept as fast fields (sortby), and their field names.
STRINGS = dict(zip(f.STRING_FIELDS, f.STRING_FIELDS, strict=True))


def strings(props: dict[str, Any]) -> tuple[tuple[str, str], ...]:
    """The :data:`STRINGS` properties that are strings of at most :data:`MAX_VALUE_CHARS`."""
    found = []
    for name, field_name in STRINGS.items():
        value = props.get(name)
        if isinstance(value, str) and len(value) <= MAX_VALUE_CHARS:
            found.append((field_name, value))
    return tuple(found)


def numbers(props: dict[str, Any]) -> tuple[tuple[str, float], ...]:
    """The :data:`NUMERIC` properties that are numbers (not booleans, not numeric strings:
    the evaluator does not compare those with numbers either)."""
    found = []
    for name, field_name in NUMERIC.items():
        value = props.get(name)
        if isinstance(value, int | float) and not isinstance(value, bool):
            number = float(value) + 0.0  # -0.0 is 0.0: tantivy's ranges tell them apart
            if math.isfinite(number):
                found.append((field_name, number))
    return tuple(found)


def terms(props: dict[str, Any]) -> tuple[list[str], list[str]]:
    """(``has`` terms, ``props`` terms) of an item's properties."""
    has: list[str] = []
    values: list[str] = []
    for name, value in props.items():
        if value is None or not isinstance(name, str):
            continue
        has.append(name)
        if isinstance(value, bool):
            values.append(value_term(name, value))
        elif isinstance(value, str):
            long = len(value) > MAX_VALUE_CHARS
            values.append(long_term(name) if long else value_term(name, value))
    return has, values


def value_term(name: str, value: str | bool) -> str:
    """The ``props`` term of a string or boolean value."""
    if isinstance(value, bool):
        return f"{name}{SEPARATOR}b:{'true' if value else 'false'}"
    return f"{name}{SEPARATOR}s:{value}"


def long_term(name: str) -> str:
    return f"{name}{SEPARATOR}long"
