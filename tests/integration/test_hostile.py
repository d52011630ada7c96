"""No request can hurt the service: hostile and random requests against the real search handler
(in-process, on API Gateway v2 events) and against ``stacsift serve`` in its own process.

Every answer is a 2xx, or a 4xx JSON error with ``code`` and ``description``; no request costs
more than :data:`CPU_SECONDS` of CPU (process CPU time, not wall-clock); the server process
survives them all. ``HOSTILE_EXAMPLES`` scales the random part: 600 (about 1,450 requests) in
``make test``; ``make hostile`` sends about 10,000.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from functions.gateway import LocalContext, to_event
from functions.search import make_handler
from stacsift.query.params import SearchRequest
from stacsift.settings import SearchSettings, StoreSettings
from stacsift.store import open_bucket
from tests.integration.conftest import free_port, listening
from tests.support.naip import build_naip

CPU_SECONDS = 2.0
EXAMPLES = int(os.environ.get("HOSTILE_EXAMPLES", "600"))
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
        "1,2,3,4",
        "-180,-90,180,90",
        "170,0,-170,10",
        "nan",
        "inf",
        "1e999",
        "-1",
        "0",
        "10000000000000000000000",
        "2020-01-01T00:00:00Z/..",
        '{"type":"Point"}',
        '{"type":"Point","coordinates":[0,0]}',
        '{"type":"Point","coordinates":[NaN,0]}',
        "+datetime,-id",
        "-gsd",
        "eo:cloud_cover",
        "properties.gsd,-links",
        "Forest*",
        "a*",
        "*",
        '"unterminated',
        "a AND (b OR",
        "title:x",
        "\x00",
        "é*",
        "id = 'x'",
        "gsd < 1 AND naip:state = 'pa'",
        "S_INTERSECTS(geometry, POLYGON((-80 40, -79 40, -79 41, -80 40)))",
    ]
)
JSON = st.recursive(
    st.none() | st.booleans() | st.floats() | st.integers() | st.text(max_size=20) | TRICKY,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)
FIXTURE_OK = [HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
Answer = tuple[int, Any, float]  # status, JSON body, CPU seconds
Call = Callable[[str, str, bytes, dict[str, str]], Answer]


@pytest.fixture(scope="module")
def root(fixtures: Path, tmp_path_factory: pytest.TempPathFactory) -> str:
    work = tmp_path_factory.mktemp("hostile")
    root = str(work / "root")
    build_naip(fixtures, open_bucket(root, StoreSettings(), create=True), work)
    return root


@pytest.fixture(scope="module")
def search_settings(root: str, tmp_path_factory: pytest.TempPathFactory) -> SearchSettings:
    cache = tmp_path_factory.mktemp("hostile-cache")
    return SearchSettings(root=root, cache_dir=cache, token_key=b"hostile-test-key")


@pytest.fixture(scope="module")
def handler(search_settings: SearchSettings) -> Call:
    handle = make_handler(search_settings)

    def invoke(method: str, target: str, body: bytes, headers: dict[str, str]) -> Answer:
        sent = {"host": "hostile.local", "content-type": "application/json"} | headers
        event = to_event(method, target, sent, body, "127.0.0.1")
        started = time.process_time()
        response = handle(event, LocalContext(aws_request_id="hostile"))  # type: ignore[arg-type]
        spent = time.process_time() - started
        return response["statusCode"], orjson.loads(response["body"] or "null"), spent

    return invoke


@pytest.fixture(scope="module")
def server(
    search_settings: SearchSettings, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Call]:
    """``stacsift serve`` in its own process; CPU time is read from /proc per request."""
    port = free_port()
    env = os.environ | {
        "STACSIFT_TOKEN_KEY": search_settings.token_key.decode(),
        "STACSIFT_CACHE_DIR": str(tmp_path_factory.mktemp("hostile-serve")),
    }
    serve = [sys.executable, "-m", "stacsift_cli.main", "serve", "--root", search_settings.root]
    command = [*serve, "--port", str(port)]
    with listening(command, port, env=env, stdout=subprocess.DEVNULL) as process:

        def invoke(method: str, target: str, body: bytes, headers: dict[str, str]) -> Answer:
            assert process.poll() is None, "stacsift serve died"
            before = _cpu_seconds(process.pid)
            status, answer = _http(port, method, target, body, headers)
            return status, answer, _cpu_seconds(process.pid) - before

        yield invoke
        assert process.poll() is None, "stacsift serve died"


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _http(
    port: int, method: str, target: str, body: bytes, headers: dict[str, str]
) -> tuple[int, Any]:
    import http.client

    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        try:
            connection.request(method, target, body=body or None, headers=headers)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server answered (413) before the whole body was sent, and closed
        response = connection.getresponse()
        data = response.read()
        return response.status, orjson.loads(data) if data else None
    finally:
        connection.close()


def assert_harmless(answer: Answer) -> None:
    status, body, cpu = answer
    assert status < 500, body
    if status >= 400:
        assert set(body) == {"code", "description"}
    assert cpu < CPU_SECONDS


def _signed(payload: bytes, key: bytes) -> str:
    def b64(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).decode().rstrip("=")

    return f"{b64(payload)}.{b64(hmac.new(key, payload, hashlib.sha256).digest()[:16])}"


def _polygon(vertices: int) -> dict[str, Any]:
    ring = [[-80 + i * 1e-6, 40 + (i % 2) * 1e-3] for i in range(vertices)] + [[-80, 40]]
    return {"type": "Polygon", "coordinates": [ring]}


def crafted(key: bytes) -> list[tuple[str, str, bytes, dict[str, str], set[int]]]:
    """(method, target, body, headers, the statuses allowed) of the issue's hostile requests.

    414 is the local server refusing a request line over 64 KiB (API Gateway: 10 KiB)."""
    old = base64.urlsafe_b64encode(b'{"g":1,"o":1000000000}').decode()
    deep_text = "(" * 3000 + "gsd = 1" + ")" * 3000
    leaf = '{"op": "=", "args": [{"property": "gsd"}, 1]}'
    deep_json = '{"op": "not", "args": [' * 3000 + leaf + "]}" * 3000
    tokens = [
        old,
        _signed(b'[1,1,null,1000000000,null,null,null,""]', key),  # huge skip
        _signed(b'[1,1,null,-5,null,null,null,""]', key),  # negative
        _signed(b'[1,1,null,10000000000000000000000000000000000000000,null,null,null,""]', key),
        _signed(b'[1,1,"x",0,null,null,null,""]', key),  # a text cursor on a time sort
        _signed(b'[1,999,null,0,null,null,null,""]', key),  # another generation
        _signed(b'[1,1,null,0,null,null,null,""]', b"another deployment's key"),
        _signed(b'[1,1,null,0,null,null,null,""]', key)[:-2] + "AA",  # tampered tag
        # a time cursor beyond any time, for the search it continues
        _signed(
            orjson.dumps([1, 1, 1e308, 0, None, None, None, SearchRequest().fingerprint()]), key
        ),
    ]
    requests: list[tuple[str, str, bytes, dict[str, str], set[int]]] = [
        ("GET", f"/search?token={quote(t)}", b"", {}, {400, 410}) for t in tokens
    ]
    big_body = orjson.dumps({"intersects": _polygon(200_000)})
    requests += [
        ("GET", "/search?limit=1000000000000000000000000", b"", {}, {200}),
        ("POST", "/search", b'{"limit": 1e999}', {}, {400}),
        ("GET", "/search?bbox=nan,0,1,1", b"", {}, {400}),
        ("GET", "/search?bbox=-inf,0,inf,1", b"", {}, {400}),
        ("POST", "/search", b'{"bbox": [0, 0, 1e999, 1]}', {}, {400}),
        (
            "POST",
            "/search",
            b'{"intersects": {"type": "Point", "coordinates": [NaN, 1]}}',
            {},
            {400},
        ),
        ("POST", "/search", big_body, {}, {400, 413}),
        ("POST", "/search", orjson.dumps({"intersects": _polygon(9_000)}), {}, {200}),
        ("GET", f"/search?intersects={quote(json.dumps(_polygon(20_000)))}", b"", {}, {400, 414}),
        ("GET", f"/search?filter={quote(deep_text)}", b"", {}, {400}),
        (
            "POST",
            "/search",
            b'{"filter": ' + b'{"op":"not","args":[' * 900 + b"{}" + b"]}" * 900 + b"}",
            {},
            {400},
        ),
        (
            "GET",
            f"/search?filter-lang=cql2-json&filter={quote(deep_json)}",
            b"",
            {},
            {400, 414},
        ),
        ("GET", "/search?" + urlencode({"q": "a* " * 5000}), b"", {}, {400}),
        ("GET", "/search?" + urlencode({"q": "a*"}), b"", {}, {200}),
        ("GET", "/search?" + urlencode({"q": "a*,b*,c*,d*"}), b"", {}, {200}),
        ("GET", "/search?" + urlencode({"q": ",".join(f"{c}*" for c in "abcde")}), b"", {}, {400}),
        ("GET", "/search?" + urlencode({"q": "(" * 999 + "forest"}), b"", {}, {400}),
        ("POST", "/search", b"[" * 10_000_000, {}, {400, 413}),
        ("POST", "/search", b" " * 10_000_000, {}, {400, 413}),
        ("GET", "/search?" + urlencode({"fields": ",".join(["a"] * 10_000)}), b"", {}, {400}),
        ("GET", "/search?" + urlencode({"sortby": ",".join(["id"] * 100)}), b"", {}, {400}),
        (
            "GET",
            "/search?" + urlencode({"ids": ",".join(str(i) for i in range(100_000))}),
            b"",
            {},
            {400, 414},
        ),
        ("GET", "/search", b"", {"host": "x" * 5000}, {400}),
        ("GET", "/search", b"", {"host": "evil.example/<script>"}, {400}),
        ("GET", "/search?limit=1", b"", {"x-forwarded-proto": "javascript"}, {200}),
        ("GET", "/search?filter=" + quote("naip:state = 'pa'"), b"", {}, {200}),
    ]
    return requests


def test_crafted_requests_in_process(handler: Call, search_settings: SearchSettings) -> None:
    for method, target, body, headers, allowed in crafted(search_settings.token_key):
        answer = handler(method, target, body, headers)
        assert_harmless(answer)
        assert answer[0] in allowed, (target[:80], answer[1])


def test_crafted_requests_over_http(server: Call, search_settings: SearchSettings) -> None:
    for method, target, body, headers, allowed in crafted(search_settings.token_key):
        answer = server(method, target, body, headers)
        assert_harmless(answer)
        assert answer[0] in allowed, (target[:80], answer[1])


QUERIES = st.dictionaries(
    st.sampled_from(PARAMETERS) | st.text(max_size=6), TRICKY | st.text(max_size=30), max_size=5
)
BODIES = st.dictionaries(st.sampled_from(PARAMETERS) | st.text(max_size=6), JSON, max_size=5) | JSON
TOKENS = st.lists(JSON, min_size=8, max_size=8).map(lambda v: [1, *v[1:]]) | st.lists(JSON)


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=FIXTURE_OK)
@given(path=st.sampled_from(PATHS), query=QUERIES)
def test_random_get(handler: Call, path: str, query: dict[str, str]) -> None:
    assert_harmless(handler("GET", f"{path}?{urlencode(query)}", b"", {}))


@settings(max_examples=EXAMPLES * 2 // 3, deadline=None, suppress_health_check=FIXTURE_OK)
@given(body=BODIES)
def test_random_post(handler: Call, body: Any) -> None:
    assert_harmless(handler("POST", "/search", json.dumps(body).encode(), {}))


@settings(max_examples=EXAMPLES // 5, deadline=None, suppress_health_check=FIXTURE_OK)
@given(payload=TOKENS, sortby=st.sampled_from(["", "-gsd", "eo:cloud_cover", "id"]))
def test_random_signed_tokens(
    handler: Call, search_settings: SearchSettings, payload: list[Any], sortby: str
) -> None:
    token = _signed(json.dumps(payload).encode(), search_settings.token_key)
    assert_harmless(
        handler("GET", "/search?" + urlencode({"token": token, "sortby": sortby}), b"", {})
    )


@settings(max_examples=EXAMPLES // 10, deadline=None, suppress_health_check=FIXTURE_OK)
@given(raw=st.binary(max_size=64))
def test_random_bytes_posted(handler: Call, raw: bytes) -> None:
    assert_harmless(handler("POST", "/search", raw, {}))


@settings(max_examples=EXAMPLES // 5, deadline=None, suppress_health_check=FIXTURE_OK)
@given(path=st.sampled_from(PATHS), query=QUERIES, body=BODIES)
def test_random_requests_over_http(
    server: Call, path: str, query: dict[str, str], body: Any
) -> None:
    assert_harmless(server("GET", f"{path}?{urlencode(query)}", b"", {}))
    assert_harmless(server("POST", "/search", json.dumps(body).encode(), {}))
