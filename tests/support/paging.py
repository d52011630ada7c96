"""Following a search's pages, and recording which calls of a function answered."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace
from typing import Any

import pytest

from stacsift.index.reader import OpenIndex
from stacsift.query.params import SearchRequest
from stacsift.search import Page, search_items
from stacsift.settings import DEFAULT_COUNT_LIMIT


def pages(
    index: OpenIndex, request: SearchRequest, count_limit: int = DEFAULT_COUNT_LIMIT
) -> Iterator[Page]:
    """The pages of ``request``, each after the one before, by its next token, to the last."""
    while True:
        page = search_items(index, request, count_limit=count_limit)
        yield page
        token = page.next_token()
        if token is None:
            return
        request = replace(request, token=token)


def recorded(
    monkeypatch: pytest.MonkeyPatch, owner: object, name: str, answered: list[bool] | None = None
) -> list[bool]:
    """Whether each call of ``owner.name`` answered (returned something other than None), in
    order, appended to ``answered`` when given."""
    found: list[bool] = [] if answered is None else answered
    real: Callable[..., Any] = getattr(owner, name)

    def spy(*args: Any, **kwargs: Any) -> Any:
        result = real(*args, **kwargs)
        found.append(result is not None)
        return result

    monkeypatch.setattr(owner, name, spy)
    return found
