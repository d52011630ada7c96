"""Which object URLs event-driven reindexing reads, and why it ignores the others."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

SUFFIXES = (".json", ".geojson", ".ndjson")


@dataclass(frozen=True)
class Watch:
    """The watched ``s3://bucket/prefix`` locations, and the index root they must not feed."""

    locations: tuple[str, ...]
    root: str

    @classmethod
    def of(cls, locations: Sequence[str], root: str) -> Watch:
        return cls(tuple(_folder_or_prefix(x) for x in locations), root.rstrip("/") + "/")

    def ignores(self, url: str) -> str | None:
        """Why the object at ``url`` is not indexed, or ``None`` when it is watched."""
        if not any(url.startswith(location) for location in self.locations):
            return "not under a watched prefix"
        if url.startswith(self.root):
            return "the index root's own file"
        key = url.removeprefix("s3://").partition("/")[2]
        if any(segment.startswith(".") for segment in key.split("/")):
            return "a path segment starts with '.'"
        if not key.lower().endswith(SUFFIXES):
            return "not .json, .geojson or .ndjson"
        if any(ord(c) < 0x20 for c in key):
            return "the key holds control characters"
        return None


def _folder_or_prefix(location: str) -> str:
    """``s3://bucket`` watches the whole bucket (``s3://bucket/``); longer ones are prefixes."""
    return location if "/" in location.removeprefix("s3://") else f"{location}/"
