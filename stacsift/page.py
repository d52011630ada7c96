"""A page of search results and where the next one starts, and what every way of finding
one shares: loading a hit, the count a request already knows, the stats a datetime filter
uses, and the refusal of a token that continues another search."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import orjson
import tantivy

from stacsift import window
from stacsift.clauses import alone
from stacsift.errors import IndexFormatError, InvalidParameter
from stacsift.index import schema as f
from stacsift.index.reader import OpenIndex
from stacsift.index.stats import KindStats
from stacsift.query.params import SearchRequest
from stacsift.query.tokens import MAX_SKIP, Cursor, Token, Value


@dataclass(frozen=True)
class Hit:
    """One matching object and where it was crawled from."""

    obj: dict[str, Any]
    href: str


@dataclass(frozen=True)
class Page:
    """One page of matching STAC objects, in result order, and where the next one starts.

    ``keys`` are the hits' values of the sort field when it has values to continue after (the
    next page continues after the last one); without them pages continue by counting (relevance
    order), up to :data:`tokens.MAX_SKIP` results. Scans count candidates: ``positions`` are the
    hits' among those examined, ``examined`` how many were when the budget ran out."""

    hits: list[Hit]
    matched: int | None
    generation: int = 0
    start: Cursor = field(default_factory=Cursor)
    back: Cursor | None = None
    keys: tuple[Value, ...] | None = None
    more: bool = False
    search: str = ""  # the fingerprint of the search, so a token only continues it
    positions: tuple[int, ...] | None = None
    examined: int | None = None
    partial: bool = False  # a scan ran out of budget: what the page holds is not all there is
    at_least: bool = False  # ``matched`` is a lower bound: counting stopped there

    def truncated(self, count: int) -> Page:
        """The first ``count`` hits of this page, with the next page starting after them."""
        if count >= len(self.hits):
            return self
        keys = None if self.keys is None else self.keys[:count]
        positions = None if self.positions is None else self.positions[:count]
        return replace(
            self, hits=self.hits[:count], keys=keys, positions=positions, examined=None, more=True
        )

    @property
    def capped(self) -> bool:
        """More results follow, but a token cannot reach them (too many share one sort value,
        or relevance-ordered results beyond :data:`tokens.MAX_SKIP`)."""
        return self.more and self._after().skip > MAX_SKIP

    def next_token(self) -> Token | None:
        if not self.more or self.capped:
            return None
        return Token(
            self.generation, self._after(), self.start, self.matched, self.search, self.at_least
        )

    def prev_token(self) -> Token | None:
        if self.back is None:
            return None
        return Token(self.generation, self.back, None, self.matched, self.search, self.at_least)

    def _after(self) -> Cursor:
        count = len(self.hits)
        if self.positions is not None:
            consumed = self.positions[-1] + 1 if self.positions else 0
            return Cursor(None, self.start.skip + (self.examined or consumed))
        if self.keys is None or count == 0:
            return Cursor(self.start.after, self.start.skip + count)
        last = self.keys[-1]
        run = next((i for i, key in enumerate(reversed(self.keys)) if key != last), count)
        return Cursor(last, run + (self.start.skip if last == self.start.after else 0))

    @property
    def features(self) -> list[dict[str, Any]]:
        return [h.obj for h in self.hits]


def hit_at(searcher: tantivy.Searcher, address: tantivy.DocAddress) -> Hit:
    document = searcher.doc(address)
    raw = document.get_first(f.JSON)
    if not isinstance(raw, bytes):
        raise IndexFormatError("an index document has no stored STAC JSON")
    obj: dict[str, Any] = orjson.loads(raw)
    href = document.get_first(f.HREF)
    return Hit(obj, href if isinstance(href, str) else "")


def foreign_token() -> InvalidParameter:
    return InvalidParameter("token", "continues another search; start from its first page")


def known_count(index: OpenIndex, request: SearchRequest, kind: str) -> window.Count | None:
    """The number of matches without counting them: the first page's (carried by the token),
    or the generation's per-collection counts for a search by collections alone."""
    token = request.token
    if token is not None and token.matched is not None:
        return window.Count(token.matched, token.at_least)
    if kind != f.TYPE_ITEM or not alone(replace(request, collections=())):
        return None
    matched = index.stats(kind).matched(request.collections)
    return None if matched is None else window.Count(matched)


def within(request: SearchRequest, kind: str) -> str | None:
    """The one collection an item search is in (its ``collections`` name one), else None: the
    generation's first values of a sort are then that collection's
    (:meth:`OpenIndex.terms <stacsift.index.reader.OpenIndex.terms>`)."""
    collections = request.collections
    return collections[0] if kind == f.TYPE_ITEM and len(collections) == 1 else None


def interval_stats(index: OpenIndex, request: SearchRequest, kind: str) -> KindStats | None:
    """The stats a datetime filter uses (computed once per generation, on first need)."""
    return index.stats(kind) if request.datetime is not None else None
