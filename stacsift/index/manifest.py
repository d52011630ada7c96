"""``index/manifest.json``: the single commit point of an index root.

A generation is readable exactly when the manifest names it: writers upload every immutable file
first and publish the manifest last with a conditional PUT; readers only follow the manifest.
The schema is documented in ``docs/manifest.md``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import orjson

from stacsift.errors import IndexFormatError, IndexFormatOutdated
from stacsift.index.schema import READABLE_FORMATS, TANTIVY_VERSION, active

MANIFEST_KEY = "index/manifest.json"
TANTIVY_PREFIX = "index/tantivy/"
TABLE_PREFIX = "table/"
FORMAT_NAME = "stacsift-index"


@dataclass(frozen=True)
class FileEntry:
    """One immutable file of a generation, by key relative to the root."""

    key: str
    size: int


@dataclass(frozen=True)
class TablePart:
    """One GeoParquet part of the item table."""

    key: str
    collection: str
    rows: int
    size: int
    shard: int = 0
    """Which of the collection's parts this is: its items' ids hash to it
    (:mod:`stacsift.table_shards`)."""
    shards: int = 1
    """How many parts the collection's items are split into."""


@dataclass(frozen=True)
class CollectionSummary:
    """Per-collection figures, so clients and pruning need not open the index."""

    items: int
    bbox: list[float] | None
    interval: list[str | None]
    queryables: dict[str, dict[str, Any]] = field(default_factory=dict)
    """``{property: JSON schema}`` of the collection's items (:mod:`stacsift.queryables`)."""


@dataclass(frozen=True)
class Manifest:
    """What one generation of the index consists of."""

    generation: int
    created: str
    tantivy_meta: str
    tantivy_files: list[FileEntry]
    table_parts: list[TablePart]
    collections: dict[str, CollectionSummary]
    sources: list[str]
    stats: dict[str, Any] = field(default_factory=dict)
    format: str = FORMAT_NAME
    format_version: int = field(default_factory=active)  # what writers write (schema.layout)
    tantivy_version: str = TANTIVY_VERSION

    def to_json(self) -> bytes:
        return orjson.dumps(asdict(self), option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS)

    @classmethod
    def from_json(
        cls, data: bytes, where: str, formats: tuple[int, ...] = READABLE_FORMATS
    ) -> Manifest:
        """Parse a manifest, refusing formats other than ``formats`` with a clear message
        (readers open the current and the previous formats; writers only the one they write)."""
        try:
            raw = orjson.loads(data)
        except orjson.JSONDecodeError as err:
            raise IndexFormatError(f"{where} is not valid JSON: {err}") from err
        if not isinstance(raw, dict) or raw.get("format") != FORMAT_NAME:
            raise IndexFormatError(f"{where} is not a stacsift index manifest")
        version = raw.get("format_version")
        if version not in formats or isinstance(version, bool):
            raise _outdated(
                raw,
                f"{where} has index format {version!r}; this stacsift "
                f"{'reads' if len(formats) > 1 else 'updates'} format "
                f"{' or '.join(map(str, formats))}: rebuild the index (stacsift build --full) "
                "or upgrade stacsift",
            )
        if raw.get("tantivy_version") != TANTIVY_VERSION:
            raise _outdated(
                raw,
                f"{where} was built with tantivy {raw.get('tantivy_version')!r}; this stacsift "
                f"uses tantivy {TANTIVY_VERSION}: rebuild the index (stacsift build --full) or "
                "align the versions",
            )
        try:
            return cls(
                generation=int(raw["generation"]),
                created=str(raw["created"]),
                tantivy_meta=str(raw["tantivy_meta"]),
                tantivy_files=[FileEntry(**e) for e in raw["tantivy_files"]],
                table_parts=[TablePart(**p) for p in raw["table_parts"]],
                collections={k: CollectionSummary(**v) for k, v in raw["collections"].items()},
                sources=list(raw["sources"]),
                stats=dict(raw.get("stats", {})),
                format_version=int(version),
            )
        except (KeyError, TypeError, ValueError) as err:
            raise IndexFormatError(f"{where} is missing or has a malformed field: {err}") from err


def _outdated(raw: dict[str, Any], message: str) -> IndexFormatError:
    """The error for a stacsift manifest of another version: outdated (replaceable by a full
    rebuild) when its generation number can be read, else just unreadable."""
    generation = raw.get("generation")
    if isinstance(generation, int) and not isinstance(generation, bool) and generation >= 0:
        return IndexFormatOutdated(message, generation)
    return IndexFormatError(message)


def placeholder(generation: int) -> Manifest:
    """Stands for an outdated generation that a full rebuild replaces: only its number."""
    return Manifest(generation, "", "", [], [], {}, [])
