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
(:mod:`stacsift.grid`), so that most candidates need no range check at all.
Common queryables (``gsd``, ``eo:cloud_cover``) are fast fields too, for filters and sorting.
The STAC JSON itself is a stored bytes field, so a page of results needs no second store;
``href`` keeps where the object was crawled from (served as its ``canonical`` link).
``state`` records what a build compared (source, key, content digest); ``origin`` records the
stored object an event-driven reindex read it from and its version (URL, Last-Modified, ETag),
so that deleting the object deletes what it contributed and a stale read never wins.
"""

from __future__ import annotations

import tantivy

# Bumped whenever the schema or its meaning changes; readers refuse other versions.
FORMAT_VERSION = 4
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

TYPE_ITEM = "item"
TYPE_COLLECTION = "collection"
TYPE_CATALOG = "catalog"  # browsed through the hierarchy (stacsift.hierarchy), never searched


def build_schema() -> tantivy.Schema:
    builder = tantivy.SchemaBuilder()
    # Exact values are only ever matched, never scored or phrased: no frequencies, no positions.
    for raw in (KEY, TYPE, ID, COLLECTION):
        builder.add_text_field(raw, tokenizer_name="raw", fast=True, index_option="basic")
    builder.add_text_field(TEXT, tokenizer_name="en_stem")
    builder.add_text_field(TITLE, tokenizer_name="en_stem", index_option="freq")
    builder.add_text_field(WORDS, tokenizer_name="default")
    # Numbers are filtered and sorted on their fast fields (tantivy's range queries use them
    # when a field has one); terms for them in the inverted index would cost a third of the
    # indexing time and never be read.
    for number in (START, END):
        builder.add_integer_field(number, indexed=False, fast=True)
    for number in (XMIN, YMIN, XMAX, YMAX, *NUMERIC_FIELDS):
        builder.add_float_field(number, indexed=False, fast=True)
    builder.add_text_field(CELLS, tokenizer_name="raw", index_option="basic")
    builder.add_text_field(MONTHS, tokenizer_name="raw", index_option="basic")
    builder.add_text_field(PROPS, tokenizer_name="raw", index_option="basic")
    builder.add_text_field(HAS, tokenizer_name="raw", index_option="basic")
    builder.add_text_field(STATE, tokenizer_name="raw", index_option="basic")
    builder.add_text_field(ORIGIN, tokenizer_name="raw", index_option="basic")
    builder.add_text_field(HREF, stored=True, tokenizer_name="raw", index_option="basic")
    builder.add_bytes_field(JSON, stored=True)
    return builder.build()


SCHEMA = build_schema()
