"""CQL2 filters for the STAC API Filter extension: parse cql2-text and cql2-json, evaluate on items.

Supported: ``AND``, ``OR``, ``NOT``; ``=``, ``<>``, ``<``, ``<=``, ``>``, ``>=``; ``LIKE`` (``%``,
``_``, ``\\`` escape), ``BETWEEN``, ``IN`` and their ``NOT`` forms; ``IS [NOT] NULL``; ``CASEI`` and
``ACCENTI``; literals: strings, numbers, ``TRUE``/``FALSE``, ``TIMESTAMP``, ``DATE``,
``INTERVAL``, WKT or GeoJSON geometries and bboxes; the spatial predicates ``S_INTERSECTS``,
``S_DISJOINT``, ``S_CONTAINS``, ``S_WITHIN``, ``S_TOUCHES``, ``S_CROSSES``, ``S_OVERLAPS``,
``S_EQUALS`` and all fifteen temporal ones (``T_INTERSECTS``, ``T_BEFORE``, …). Not supported
(a 400): arithmetic, array predicates (``A_CONTAINS``, …) and other functions.

Comparisons follow three-valued logic, see :mod:`stacsift.query.cql2_eval`. Parsing never raises
anything but :class:`~stacsift.errors.InvalidParameter`; evaluation never raises.
"""

from __future__ import annotations

from typing import Any

import orjson

from stacsift.errors import InvalidParameter
from stacsift.query.cql2_ast import MAX_TEXT_LENGTH, Expr, invalid
from stacsift.query.cql2_eval import evaluate, properties_used
from stacsift.query.cql2_json import parse_json
from stacsift.query.cql2_text import parse_text

__all__ = ["Expr", "evaluate", "parse", "parse_json", "parse_text", "properties_used"]

TEXT = "cql2-text"
JSON = "cql2-json"


def parse(value: str | dict[str, Any] | None, lang: str | None) -> Expr | None:
    """``filter`` and ``filter-lang`` as a request gives them → a filter, or None for none.

    From GET, ``value`` is a string and the language defaults to cql2-text; with cql2-json the
    string is decoded as JSON. From POST, ``value`` is usually already-decoded JSON and the
    language defaults to cql2-json. An unknown language is ``InvalidParameter("filter-lang")``.
    """
    language = _language(lang, value)
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if language == TEXT:
        if not isinstance(value, str):
            raise invalid("a cql2-text filter must be a string")
        return parse_text(value)
    return parse_json(_decode(value) if isinstance(value, str) else value)


def _language(lang: str | None, value: object) -> str:
    if lang is None or (isinstance(lang, str) and not lang.strip()):
        return TEXT if isinstance(value, str) else JSON
    if not isinstance(lang, str) or lang.strip().lower() not in (TEXT, JSON):
        raise InvalidParameter("filter-lang", f"must be {TEXT} or {JSON}, got {lang!r:.40}")
    return lang.strip().lower()


def _decode(text: str) -> object:
    if len(text) > MAX_TEXT_LENGTH:
        raise invalid(f"is longer than {MAX_TEXT_LENGTH} characters")
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        raise invalid("is not valid JSON (filter-lang is cql2-json)") from None
