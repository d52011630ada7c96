"""The tantivy schema: one index holds collections and items, told apart by ``type``.

Prose goes through English stemming in ``text``, where an object's title comes twice (once
more before all its text), so that BM25 ranks title matches higher with one field to search;
``words`` keeps unstemmed lowercase tokens of the same text plus ids, so that prefixes typed
by people (``Forest*``) can be matched against whole words; ``title`` (stemmed) alone tells a
prefix's title matches from its description matches, which BM25 on ``text`` cannot when the
prefix expands to words of different rarity.

Filters are fast fields: a bbox is checked by four range clauses on ``xmin``/``ymin``/
``xmax``/``ymax``, datetimes are epoch microseconds in ``start``/``end``; ``cells`` and
``months`` hold the quadtree cells and calendar months an object touches
(:mod:`stacsift.grid`), so that most candidates need no range check at all, and
``cell_months`` (items only, format 5) each coarse cell with each month, so that a time
window inside a box is a few short postings (:mod:`stacsift.window`); ``days`` (format 6) the
day of an object's start and the day of its end, so that a window without a box holds a few
hundred objects of a big index rather than a month's tens of thousands.
Common queryables (``gsd``, ``eo:cloud_cover``) are fast fields too, for filters and sorting,
and so are common string properties (``platform``, ``constellation``, ``mission``; format 6)
for sorting. Each numeric queryable also has its values posted as terms (``<name>_terms``,
format 7), so that a narrow window of a sort's values (:mod:`stacsift.value_window`) reads its
few postings rather than the whole column.
The STAC JSON itself is a stored bytes field, so a page of results needs no second store;
``href`` keeps where the object was crawled from (served as its ``canonical`` link).
``state`` records what a build compared (source, key, content digest); ``origin`` records the
stored object an event-driven reindex read it from and its version (URL, Last-Modified, ETag),
so that deleting the object deletes what it contributed and a stale read never wins.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from importlib.metadata import version

import tantivy

from stacsift.errors import IndexFormatError

# Bumped whenever the schema or its meaning changes; readers refuse other versions.
FORMAT_VERSION = 7
TANTIVY_VERSION = "0.27.0"

# Field names, shared by the document builder and the query translator.
KEY = "key"
TYPE = "type"
ID = "id"
COLLECTION = "collection"
TEXT = "text"
TITLE = "title"
WORDS = "words"
START = "start"
END = "end"
XMIN, YMIN, XMAX, YMAX = "xmin", "ymin", "xmax", "ymax"
CELLS = "cells"
MONTHS = "months"
CELL_MONTHS = "cell_months"
DAYS = "days"
STATE = "state"
ORIGIN = "origin"
GSD = "gsd"
CLOUD_COVER = "cloud_cover"
PROPS = "props"  # name␟type:value terms of string and boolean properties
HAS = "has"  # names of the properties an item has (not null)
HREF = "href"
JSON = "json"

# Fast fields of numeric properties (stacsift.index.properties.NUMERIC maps the names).
NUMERIC_FIELDS = (
    GSD,
    CLOUD_COVER,
    "snow_cover",
    "off_nadir",
    "incidence_angle",
    "view_azimuth",
    "sun_azimuth",
    "sun_elevation",
    "relative_orbit",
    "absolute_orbit",
    "epsg",
)

# Each numeric field's values as terms (format 7): tantivy runs a range on a fast field by
# reading the column, every document (1.4 ms at 2,000,000), and on an indexed field by reading
# the postings of the values in the range (0.01 ms for 28 documents).
NUMERIC_TERMS = {number: f"{number}_terms" for number in NUMERIC_FIELDS}

# Fast fields of common string properties, for sortby (format 6; filters use ``props`` terms).
STRING_FIELDS = ("platform", "constellation", "mission")

TYPE_ITEM = "item"
TYPE_COLLECTION = "collection"
TYPE_CATALOG = "catalog"  # browsed through the hierarchy (stacsift.hierarchy), never searched


# The format each field is new in; an index of an older (still readable) format lacks it.
ADDED_IN = {
    **dict.fromkeys((TITLE, PROPS, HAS, ORIGIN, *NUMERIC_FIELDS[2:]), 4),
    CELL_MONTHS: 5,
    **dict.fromkeys((DAYS, *STRING_FIELDS), 6),
    **dict.fromkeys(NUMERIC_TERMS.values(), 7),
}


def build_schema(version: int = FORMAT_VERSION) -> tantivy.Schema:
    """The schema of index format ``version`` (the fields of older formats keep their order)."""
    builder = tantivy.SchemaBuilder()

    def wanted(name: str) -> bool:
        return ADDED_IN.get(name, 0) <= version

    # Exact values are only ever matched, never scored or phrased: no frequencies, no positions.
    for raw in filter(wanted, (KEY, TYPE, ID, COLLECTION, *STRING_FIELDS)):
        builder.add_text_field(raw, tokenizer_name="raw", fast=True, index_option="basic")
    builder.add_text_field(TEXT, tokenizer_name="en_stem")
    if wanted(TITLE):
        builder.add_text_field(TITLE, tokenizer_name="en_stem", index_option="freq")
    builder.add_text_field(WORDS, tokenizer_name="default")
    # Numbers are filtered and sorted on their fast fields (tantivy's range queries use them
    # when a field has one); terms for the bounds and times in the inverted index would cost a
    # third of the indexing time and never be read (numeric properties get theirs in fields
    # of their own, NUMERIC_TERMS, which windows of their values read).
    for number in (START, END):
        builder.add_integer_field(number, indexed=False, fast=True)
    for number in (XMIN, YMIN, XMAX, YMAX, *NUMERIC_FIELDS):
        if wanted(number):
            builder.add_float_field(number, indexed=False, fast=True)
    for terms in (CELLS, MONTHS, PROPS, HAS, STATE, ORIGIN, CELL_MONTHS, DAYS):
        if wanted(terms):
            builder.add_text_field(terms, tokenizer_name="raw", index_option="basic")
    builder.add_text_field(HREF, stored=True, tokenizer_name="raw", index_option="basic")
    builder.add_bytes_field(JSON, stored=True)
    for terms in filter(wanted, NUMERIC_TERMS.values()):
        builder.add_float_field(terms, indexed=True, fast=False)
    return builder.build()


def check_tantivy(installed: str | None = None) -> None:
    """Refuse to read or write with a tantivy other than :data:`TANTIVY_VERSION`: its file
    format is what the index format pins."""
    found = installed or version("tantivy")
    if found != TANTIVY_VERSION:
        raise IndexFormatError(
            f"stacsift's index format pins tantivy {TANTIVY_VERSION}, but {found} is "
            f"installed: install tantivy=={TANTIVY_VERSION} (or bump TANTIVY_VERSION with a new "
            "index format)"
        )


# Readers open this format and the ones before, so that functions and indexes roll out in
# either order (quickwit's "footer trailer rollout"); writers write FORMAT_VERSION, or an
# older one for tests (``stacsift build --format 4``).
READABLE_FORMATS = (3, 4, 5, 6, 7)
SCHEMAS = {version: build_schema(version) for version in READABLE_FORMATS}
SCHEMA = SCHEMAS[FORMAT_VERSION]
_ACTIVE: ContextVar[int] = ContextVar("stacsift_index_format", default=FORMAT_VERSION)


def active() -> int:
    """The index format queries and documents are made for (see :func:`layout`)."""
    return _ACTIVE.get()


def schema() -> tantivy.Schema:
    """The schema of the active format: queries must name fields of the opened index."""
    return SCHEMAS[_ACTIVE.get()]


def terms_of(number: str) -> str | None:
    """The field of a numeric field's values as terms, when the active format has one."""
    terms = NUMERIC_TERMS.get(number)
    return terms if terms is not None and present(terms) else None


def present(field: str) -> bool:
    """Whether the active format has ``field``."""
    return ADDED_IN.get(field, 0) <= _ACTIVE.get()


@contextmanager
def layout(version: int) -> Iterator[None]:
    """Make queries and documents for index format ``version`` within the block."""
    token = _ACTIVE.set(version)
    try:
        yield
    finally:
        _ACTIVE.reset(token)
