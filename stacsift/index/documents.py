"""STAC objects → index documents: pure functions, no I/O.

The builder calls :func:`to_document` for every collection and item it crawled. An object that
cannot be indexed at all raises :class:`Unindexable` with the reason, which the builder records
in its report; details that merely deviate from the schemas are handled leniently.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson

from stacsift import grid
from stacsift.errors import StacsiftError
from stacsift.hrefs import resolved
from stacsift.index import properties
from stacsift.index import schema as f

MIN_TIME = -(2**62)
MAX_TIME = 2**62
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)

# Properties that are machine values, not words a person would search for.
_SKIPPED_PROPERTIES = frozenset(
    {"datetime", "start_datetime", "end_datetime", "created", "updated", "proj:wkt2"}
)


class Unindexable(StacsiftError):
    """A STAC object lacks what the index needs (an id, a datetime, a known type)."""


@dataclass(frozen=True)
class Document:
    """The field values of one index document."""

    key: str
    kind: str
    id: str
    collection: str
    title: str
    text: str
    words: str
    start: int
    end: int
    bbox: tuple[float, float, float, float] | None
    json: bytes
    numbers: tuple[tuple[str, float], ...] = ()
    strings: tuple[tuple[str, str], ...] = ()  # properties.strings: sortable text values
    has: tuple[str, ...] = ()  # properties.terms: the properties an item has
    props: tuple[str, ...] = ()  # and its string and boolean values
    href: str = ""
    state: str = ""  # "<source>\x1f<key>\x1f<digest>": what a re-build compares against
    origin: Origin | None = None  # the stored object it was read from (event reindexing)
    obj: dict[str, Any] | None = field(default=None, compare=False, repr=False)  # the input

    def stac(self) -> dict[str, Any]:
        """The STAC object (the input dict when at hand, else decoded from ``json``)."""
        if self.obj is not None:
            return self.obj
        decoded: dict[str, Any] = orjson.loads(self.json)
        return decoded

    def digest(self) -> str:
        """A short content hash of the object and where it came from."""
        return hashlib.sha1(self.json + self.href.encode(), usedforsecurity=False).hexdigest()[:16]

    def with_source(self, source: str) -> Document:
        return replace(self, state=state_term(source, self.key, self.digest()))

    def with_origin(self, origin: Origin) -> Document:
        return replace(self, origin=origin)

    def fields(self) -> dict[str, Any]:
        values: dict[str, Any] = {
            f.KEY: self.key,
            f.TYPE: self.kind,
            f.ID: self.id,
            f.COLLECTION: self.collection,
            f.TEXT: f"{self.title} {self.text}" if self.title else self.text,
            f.TITLE: self.title,
            f.WORDS: self.words,
            f.START: self.start,
            f.END: self.end,
            f.JSON: self.json,
            f.MONTHS: grid.month_terms(self.start, self.end),
            f.DAYS: grid.day_terms(self.start, self.end),
        }
        if self.bbox is not None:
            values[f.XMIN], values[f.YMIN], values[f.XMAX], values[f.YMAX] = self.bbox
            values[f.CELLS] = grid.item_terms(self.bbox, grid.cell_prefix(self.kind))
            if self.kind == f.TYPE_ITEM:
                values[f.CELL_MONTHS] = grid.cell_month_terms(self.bbox, self.start, self.end)
        for name, value in (*self.numbers, *self.strings):
            values[name] = value
        for name, number in self.numbers:
            values[f.NUMERIC_TERMS[name]] = number
        if self.has:
            values[f.HAS] = list(self.has)
        if self.props:
            values[f.PROPS] = list(self.props)
        if self.href:
            values[f.HREF] = self.href
        if self.state:
            values[f.STATE] = self.state
        if self.origin is not None:
            values[f.ORIGIN] = self.origin.term(self.key)
        return values


STATE_SEPARATOR = "\x1f"


def state_term(source: str, key: str, digest: str) -> str:
    return f"{source}{STATE_SEPARATOR}{key}{STATE_SEPARATOR}{digest}"


def document_key(kind: str, collection: str, object_id: str) -> str:
    """The unique key of an object in the index: items are unique within their collection.

    The collection id is escaped (``%`` and ``/``), so that :func:`parse_key` splits an item
    key exactly even when ids contain slashes."""
    if kind in (f.TYPE_COLLECTION, f.TYPE_CATALOG):
        return f"{kind}:{object_id}"
    escaped = collection.replace("%", "%25").replace("/", "%2F")
    return f"item:{escaped}/{object_id}"


def parse_key(key: str) -> tuple[str, str, str]:
    """(kind, collection, id) of a key made by :func:`document_key`."""
    kind, _, rest = key.partition(":")
    if kind == f.TYPE_COLLECTION:
        return kind, rest, rest
    if kind == f.TYPE_CATALOG:
        return kind, "", rest
    if kind != f.TYPE_ITEM or "/" not in rest:
        raise ValueError(f"not a document key: {key!r}")
    escaped, _, object_id = rest.partition("/")
    return kind, escaped.replace("%2F", "/").replace("%25", "%"), object_id


@dataclass(frozen=True)
class Origin:
    """The stored object a document was read from, and which version of it.

    ``modified`` is the object's Last-Modified in epoch microseconds; with the ETag it tells
    versions apart. Object stores give Last-Modified in whole seconds, so two versions written
    within one second compare as :data:`None` (unknown) and the caller asks the bucket."""

    url: str
    modified: int
    etag: str

    def term(self, key: str) -> str:
        """The ``origin`` term of the document ``key`` read from this version."""
        return STATE_SEPARATOR.join((self.url, f"{self.modified:020d}", self.etag, key))

    def newer_than(self, other: Origin) -> bool | None:
        """Whether this version is newer than ``other`` of the same object; None if unknown."""
        if self.etag == other.etag:
            return False
        if self.modified != other.modified:
            return self.modified > other.modified
        return None


def origin_prefix(url: str) -> str:
    """The prefix of every ``origin`` term of documents read from the object at ``url``."""
    return f"{url}{STATE_SEPARATOR}"


def parse_origin(term: str) -> tuple[Origin, str]:
    """(origin, document key) of an ``origin`` term made by :meth:`Origin.term`."""
    url, modified, etag, key = term.split(STATE_SEPARATOR)
    return Origin(url, int(modified), etag), key


def to_document(obj: dict[str, Any], href: str = "") -> Document:
    """Turn a STAC Collection or Item (as a dict) into an index document.

    ``href`` is where the object was read from (``file://``, ``http(s)://``, ``s3://``): its
    relative link and asset hrefs are made absolute against it (:mod:`stacsift.hrefs`), and it
    is kept for the ``canonical`` link.
    """
    return _document(resolved(obj, href), href)


def _document(obj: dict[str, Any], href: str) -> Document:
    object_id = obj.get("id")
    if not isinstance(object_id, str) or not object_id:
        raise Unindexable("has no string id")
    kind = obj.get("type")
    if kind == "Feature":
        return _item_document(obj, object_id, href)
    if kind == "Collection" or (kind is None and "extent" in obj):
        return _collection_document(obj, object_id, href)
    if kind == "Catalog":
        return _catalog_document(obj, object_id, href)
    raise Unindexable(f"type {kind!r} is neither an Item, a Collection nor a Catalog")


def start_of(obj: dict[str, Any]) -> int:
    """The ``start`` an object is indexed with (an item's, else a collection's)."""
    if obj.get("type") == "Feature":
        props = obj.get("properties")
        return item_interval(props if isinstance(props, dict) else {})[0]
    extent = obj.get("extent")
    return _collection_interval(extent if isinstance(extent, dict) else {})[0]


def _item_document(item: dict[str, Any], item_id: str, href: str) -> Document:
    props = item.get("properties")
    props = props if isinstance(props, dict) else {}
    start, end = item_interval(props)
    collection = item.get("collection") if isinstance(item.get("collection"), str) else ""
    title = _string(props.get("title"))
    words = " ".join(_texts(props))
    ids = f"{item_id} {collection}"
    has, values = properties.terms(props)
    return Document(
        key=document_key(f.TYPE_ITEM, str(collection), item_id),
        kind=f.TYPE_ITEM,
        id=item_id,
        collection=str(collection),
        title=title,
        text=f"{words} {ids}",
        words=f"{words} {ids}",
        start=start,
        end=end,
        bbox=item_bbox(item),
        json=orjson.dumps(item),
        numbers=properties.numbers(props),
        strings=properties.strings(props),
        has=tuple(has),
        props=tuple(values),
        href=href,
        obj=item,
    )


def _collection_document(coll: dict[str, Any], coll_id: str, href: str) -> Document:
    extent = coll.get("extent") if isinstance(coll.get("extent"), dict) else {}
    assert isinstance(extent, dict)  # noqa: S101 - narrowed above, for mypy
    start, end = _collection_interval(extent)
    texts = [
        _string(coll.get("description")),
        *_strings(coll.get("keywords")),
        *_strings(coll.get("providers")),
    ]
    title = _string(coll.get("title"))
    words = " ".join(t for t in (title, *texts, coll_id) if t)
    return Document(
        key=document_key(f.TYPE_COLLECTION, coll_id, coll_id),
        kind=f.TYPE_COLLECTION,
        id=coll_id,
        collection=coll_id,
        title=title,
        text=words,
        words=words,
        start=start,
        end=end,
        bbox=_collection_bbox(extent),
        json=orjson.dumps(coll),
        href=href,
        obj=coll,
    )


def _catalog_document(catalog: dict[str, Any], catalog_id: str, href: str) -> Document:
    """A catalog: kept for browsing the hierarchy (its child links), with its words."""
    title = _string(catalog.get("title"))
    words = " ".join(t for t in (title, _string(catalog.get("description")), catalog_id) if t)
    return Document(
        key=document_key(f.TYPE_CATALOG, "", catalog_id),
        kind=f.TYPE_CATALOG,
        id=catalog_id,
        collection="",
        title=title,
        text=words,
        words=words,
        start=MIN_TIME,
        end=MAX_TIME,
        bbox=None,
        json=orjson.dumps(catalog),
        href=href,
        obj=catalog,
    )


def item_interval(props: dict[str, Any]) -> tuple[int, int]:
    """(start, end) in epoch microseconds from ``datetime`` or ``start_/end_datetime``."""
    single = parse_datetime(props.get("datetime"))
    if props.get("start_datetime") is None and props.get("end_datetime") is None:
        start = end = None  # the common case, spelt out: builds parse millions of these
    else:
        start = parse_datetime(props.get("start_datetime"))
        end = parse_datetime(props.get("end_datetime"), end_of_day=True)
    if start is None and end is None:
        if single is None:
            raise Unindexable("has neither datetime nor start_datetime/end_datetime")
        return single, single
    return (
        start if start is not None else (single if single is not None else MIN_TIME),
        end if end is not None else (single if single is not None else MAX_TIME),
    )


def parse_datetime(value: object, *, end_of_day: bool = False) -> int | None:
    """RFC 3339 → epoch microseconds, leniently: no zone means UTC; a date alone means the
    day's first microsecond, or its last one for the end of an interval (``end_of_day``)."""
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    micros = to_micros(parsed)
    if end_of_day and len(text) == len("YYYY-MM-DD"):
        micros += 86_400_000_000 - 1
    return micros


def to_micros(moment: datetime) -> int:
    return (moment - _EPOCH) // _MICROSECOND  # exact integer arithmetic, in C


def item_bbox(item: dict[str, Any]) -> tuple[float, float, float, float] | None:
    """The item's 2D bbox from ``bbox`` (2D or 3D), else from its geometry; None if it has none."""
    bbox = _bbox4(item.get("bbox"))
    if bbox is not None:
        return bbox
    geometry = item.get("geometry")
    if not isinstance(geometry, dict):
        return None
    from stacsift.geometry import try_shape  # shapely only when an item has no bbox

    shape = try_shape(geometry)
    if shape is None or shape.is_empty:
        return None
    return _bbox4(list(shape.bounds))


def _collection_interval(extent: dict[str, Any]) -> tuple[int, int]:
    try:
        first = extent["temporal"]["interval"][0]
        start, end = parse_datetime(first[0]), parse_datetime(first[1], end_of_day=True)
    except (KeyError, IndexError, TypeError):
        return MIN_TIME, MAX_TIME
    return (MIN_TIME if start is None else start, MAX_TIME if end is None else end)


def _collection_bbox(extent: dict[str, Any]) -> tuple[float, float, float, float] | None:
    try:
        return _bbox4(extent["spatial"]["bbox"][0])
    except (KeyError, IndexError, TypeError):
        return None


def _bbox4(value: object) -> tuple[float, float, float, float] | None:
    if not isinstance(value, list | tuple) or len(value) not in (4, 6):
        return None
    try:
        numbers = [float(v) for v in value]
    except (TypeError, ValueError):
        return None
    if len(numbers) == 6:
        numbers = [numbers[0], numbers[1], numbers[3], numbers[4]]
    west, south, east, north = numbers
    if west > east:  # crosses the antimeridian: widen to all longitudes (a coarse prefilter)
        west, east = -180.0, 180.0
    return west, south, east, north


def _texts(props: dict[str, Any]) -> list[str]:
    found: list[str] = []
    for name, value in props.items():
        if name not in _SKIPPED_PROPERTIES:
            found += _strings(value)
    return found


_URLS = ("http://", "https://")


def _strings(value: object) -> list[str]:
    if isinstance(value, str):
        return [value] if value and not value.startswith(_URLS) else []
    if isinstance(value, list):  # keywords, instruments, … and providers' names
        names = (v.get("name") if isinstance(v, dict) else v for v in value)
        return [v for v in names if isinstance(v, str) and v]
    return []


def _string(value: object) -> str:
    return value if isinstance(value, str) else ""
