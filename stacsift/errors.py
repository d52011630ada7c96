"""Exceptions of the stacsift core.

Every error the core raises on purpose is a :class:`StacsiftError`; edges map the subclasses to
exit codes (CLI) or HTTP statuses (functions) in one table each and never inspect message text.
"""

from __future__ import annotations


class StacsiftError(Exception):
    """Base class of every deliberate stacsift error; ``str(err)`` is a readable one-liner."""


class InvalidParameter(StacsiftError):
    """A request parameter (HTTP or CLI) is malformed; ``parameter`` names it."""

    def __init__(self, parameter: str, message: str) -> None:
        super().__init__(f"{parameter}: {message}")
        self.parameter = parameter
        self.message = message


class GenerationGone(StacsiftError):
    """A page token names a generation of the index that is no longer kept: the search must
    start again from its first page."""


class NotFound(StacsiftError):
    """A collection, item or object that was asked for does not exist."""


class StoreError(StacsiftError):
    """The object store (a bucket or a local folder) could not be reached or used."""


class IndexUnavailable(StacsiftError):
    """There is no readable index at the root (none published yet, or files are missing)."""


class IndexFormatError(IndexUnavailable):
    """The published index is of a format or tantivy version this reader cannot open."""


class IndexFormatOutdated(IndexFormatError):
    """A stacsift index of another format version or tantivy version: a full rebuild
    (``stacsift build --full``) replaces it, continuing its generation numbers."""

    def __init__(self, message: str, generation: int) -> None:
        super().__init__(message)
        self.generation = generation


class SourceError(StacsiftError):
    """A catalog source given by the user cannot be read at all."""


class PublishConflict(StacsiftError):
    """Another writer kept winning the race to publish the manifest; nothing was lost."""


class InvalidHref(InvalidParameter):
    """An href cannot be signed as given: not an object URL, malformed, or a traversal attempt."""

    def __init__(self, href: str, reason: str) -> None:
        super().__init__("href", f"{_clip(href)}: {reason}")
        self.href = href
        self.reason = reason


class NotAllowed(StacsiftError):
    """An href names an object outside the presign allow-list; ``reason`` says which rule."""

    def __init__(self, href: str, reason: str) -> None:
        super().__init__(f"{_clip(href)}: {reason}")
        self.href = href
        self.reason = reason


class PresigningOff(NotAllowed):
    """Nothing may be signed: the allow-list is empty."""

    def __init__(self, href: str = "") -> None:
        super().__init__(href, "presigning is off: set STACSIFT_PRESIGN_ALLOW=bucket[/prefix],…")


def _clip(text: str, limit: int = 300) -> str:
    """User text echoed in an error, shortened so a huge parameter cannot bloat a response."""
    return text if len(text) <= limit else f"{text[:limit]}…"
