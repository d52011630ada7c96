"""No input is a server error: random GET parameters and POST bodies against the real handler.

The handler runs in-process on API Gateway v2 events made by the local gateway's own
``to_event``; every answer must be a 2xx, or a 4xx JSON error with ``code`` and ``description``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from functions.gateway import LocalContext, to_event
from functions.search import make_handler
from tests.integration.naip_api import Served, serve_naip

PARAMETERS = [
    "q",
    "bbox",
    "datetime",
    "limit",
    "token",
    "ids",
    "collections",
    "intersects",
    "sortby",
    "fields",
    "filter",
    "filter-lang",
]
PATHS = ["/search", "/collections", "/collections/naip/items", "/collections/naip"]
TRICKY = st.sampled_from(
    [
        "",
        "..",
        "../..",
        "1,2,3,4",
        "-180,-90,180,90",
        "170,0,-170,10",
        "nan",
        "1e999",
        "-1",
        "0",
        "10000000000000000000000",
        "2020-01-01T00:00:00Z/..",
        '{"type":"Point"}',
        '{"type":"Point","coordinates":[0,0]}',
        "+datetime,-id",
        "properties.gsd,-links",
        "Forest*",
        "*",
        '"unterminated',
        "a AND (b OR",
        "title:x",
        "\x00",
        "é*",
        "id = 'x'",
    ]
)
JSON = st.recursive(
    st.none() | st.booleans() | st.floats(allow_nan=False) | st.integers() | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)

FIXTURE_OK = [HealthCheck.function_scoped_fixture]
Call = Callable[[str, str, bytes], dict[str, Any]]


@pytest.fixture(scope="module")
def call(fixtures: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Call]:
    served: Served = next(serve_naip(fixtures, tmp_path_factory.mktemp("fuzz")))
    handle = make_handler(served.settings)

    def invoke(method: str, target: str, body: bytes) -> dict[str, Any]:
        headers = {"host": "fuzz.local", "content-type": "application/json"}
        event = to_event(method, target, headers, body, "127.0.0.1")
        return handle(event, LocalContext(aws_request_id="fuzz"))  # type: ignore[arg-type]

    yield invoke


def assert_not_a_server_error(response: dict[str, Any]) -> None:
    status = response["statusCode"]
    assert status < 500, response["body"]
    if status >= 400:
        body = orjson.loads(response["body"])
        assert set(body) == {"code", "description"}


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    path=st.sampled_from(PATHS),
    query=st.dictionaries(
        st.sampled_from(PARAMETERS) | st.text(max_size=6), TRICKY | st.text(max_size=30), max_size=5
    ),
)
def test_get_parameters(call: Call, path: str, query: dict[str, str]) -> None:
    assert_not_a_server_error(call("GET", f"{path}?{urlencode(query)}", b""))


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    body=st.dictionaries(st.sampled_from(PARAMETERS) | st.text(max_size=6), JSON, max_size=5) | JSON
)
def test_post_bodies(call: Call, body: Any) -> None:
    assert_not_a_server_error(call("POST", "/search", json.dumps(body).encode()))


@settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(raw=st.binary(max_size=64))
def test_post_garbage_bytes(call: Call, raw: bytes) -> None:
    assert_not_a_server_error(call("POST", "/search", raw))
