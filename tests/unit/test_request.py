"""Raw GET/POST search parameters → SearchRequest, with named errors for what is malformed."""

from __future__ import annotations

from typing import Any

import pytest

from stacsift.errors import InvalidParameter
from stacsift.query.params import Fields, SortKey
from stacsift.query.request import Limits, parse_search

LIMITS = Limits(default=10, maximum=100)
KEY = b"test-key"
POINT = {"type": "Point", "coordinates": [10.0, 50.0]}


def test_get_and_post_forms_agree() -> None:
    get = parse_search(
        {
            "bbox": "1,2,3,4",
            "collections": "a,b",
            "sortby": "-datetime,+id",
            "limit": "5",
            "fields": "id,-assets",
        },
        post=False,
        limits=LIMITS,
        token_key=KEY,
    )
    post = parse_search(
        {
            "bbox": [1, 2, 3, 4],
            "collections": ["a", "b"],
            "limit": 5,
            "sortby": [{"field": "datetime", "direction": "desc"}, {"field": "id"}],
            "fields": {"include": ["id"], "exclude": ["assets"]},
        },
        post=True,
        limits=LIMITS,
        token_key=KEY,
    )
    assert get == post
    assert get.sortby == (SortKey("datetime", True), SortKey("id", False))
    assert get.fields == Fields(("id",), ("assets",))


def test_limit_is_capped() -> None:
    assert parse_search({"limit": "5000"}, post=False, limits=LIMITS, token_key=KEY).limit == 100


def test_q_list_means_any_term() -> None:
    request = parse_search({"q": ["forest", "open water"]}, post=True, limits=LIMITS, token_key=KEY)
    assert request.q == 'forest,"open water"'


@pytest.mark.parametrize(
    ("raw", "post", "parameter"),
    [
        ({"bbox": "1,2,3,4"}, True, "bbox"),
        ({"bbox": [1, 2, 3, 4], "intersects": POINT}, True, "intersects"),
        ({"intersects": "not json"}, False, "intersects"),
        ({"intersects": {"type": "Point"}}, True, "intersects"),
        ({"intersects": {"type": "Feature", "geometry": POINT}}, True, "intersects"),
        ({"sortby": [{"field": "id", "direction": "sideways"}]}, True, "sortby"),
        ({"sortby": 3}, True, "sortby"),
        ({"fields": 3}, True, "fields"),
        ({"q": 3}, True, "q"),
        ({"datetime": 2020}, True, "datetime"),
        ({"datetime": "1985-04-12"}, False, "datetime"),
        ({"datetime": "1985-12-12T23:20:50.52"}, False, "datetime"),
        ({"token": ["x"]}, True, "token"),
        ({"ids": [1, 2]}, True, "ids"),
    ],
)
def test_malformed(raw: dict[str, Any], post: bool, parameter: str) -> None:
    with pytest.raises(InvalidParameter) as caught:
        parse_search(raw, post=post, limits=LIMITS, token_key=KEY)
    assert caught.value.parameter == parameter
