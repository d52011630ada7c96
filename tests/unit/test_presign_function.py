"""The presign Lambda handler, called with API Gateway v2 events as on AWS (no sockets).

Statuses and JSON errors for bad input, the redirect, the batch, and that neither the secret nor
a signature reaches the logs.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import quote

import orjson
import pytest

from functions.gateway import Handler, LocalContext, to_event
from functions.presign import make_handler
from stacsift.settings import PresignSettings, StoreSettings
from stacsift.signing.policy import parse_allow

SECRET = "wJalr-SENTINEL-SECRET-bPxRfiCYEXAMPLEKEY"
TOKEN = "SENTINEL-SESSION-TOKEN-FwoGZXIvYXdzEJr"
SETTINGS = PresignSettings(
    allow=parse_allow("cogs/public").rules,
    store=StoreSettings(
        region="eu-central-1",
        access_key_id="ASIAEXAMPLE",
        secret_access_key=SECRET,
        session_token=TOKEN,
    ),
    max_expires=7200,
)
HANDLER: Handler = make_handler(SETTINGS)
GOOD = "s3://cogs/public/rio tiler/cög.tif"


def call(method: str, target: str, body: Any = None) -> tuple[int, dict[str, str], Any]:
    data = orjson.dumps(body) if body is not None else b""
    headers = {"host": "api.example", "content-type": "application/json"}
    event = to_event(method, target, headers, data, "127.0.0.1")
    result = HANDLER(event, LocalContext(aws_request_id="r-1"))
    text = result.get("body") or ""
    return result["statusCode"], result.get("headers") or {}, orjson.loads(text) if text else None


def sign_target(href: str, extra: str = "") -> str:
    return f"/sign?href={quote(href, safe='')}{extra}"


def test_one_href_gives_its_url_and_expiry_uncached() -> None:
    status, headers, body = call("GET", sign_target(GOOD, "&expires=120"))
    assert status == 200
    assert body["href"] == GOOD
    assert body["url"].startswith(
        "https://cogs.s3.eu-central-1.amazonaws.com/public/rio%20tiler/c%C3%B6g.tif?"
    )
    assert "X-Amz-Expires=120&" in body["url"]
    assert body["expires_in"] == 120
    assert body["expiry"].endswith("Z")
    assert headers["Cache-Control"] == "no-store"


def test_default_expiry_is_an_hour() -> None:
    _, _, body = call("GET", sign_target(GOOD))
    assert "X-Amz-Expires=3600&" in body["url"]


def test_redirect_answers_307_to_the_signed_url() -> None:
    status, headers, _ = call("GET", sign_target(GOOD, "&redirect=true"))
    assert status == 307
    assert headers["Location"].startswith("https://cogs.s3.eu-central-1.amazonaws.com/public/")
    assert "X-Amz-Signature=" in headers["Location"]


@pytest.mark.parametrize(
    ("target", "status", "code", "says"),
    [
        (sign_target("s3://private/a.tif"), 403, "Forbidden", "bucket 'private' is not"),
        (sign_target("s3://cogs/secret/a.tif"), 403, "Forbidden", "outside the allow-listed"),
        (
            sign_target("s3://cogs/public/../secret/a.tif"),
            400,
            "InvalidParameterValue",
            "traversal",
        ),
        (
            sign_target("s3://cogs/public/%2e%2e/secret/a.tif"),
            400,
            "InvalidParameterValue",
            "traversal",
        ),
        (sign_target(GOOD, "&expires=7201"), 400, "InvalidParameterValue", "at most 7200"),
        (sign_target(GOOD, "&expires=soon"), 400, "InvalidParameterValue", "whole number"),
        (sign_target(GOOD, "&redirect=maybe"), 400, "InvalidParameterValue", "true or false"),
        (sign_target("./relative.tif"), 400, "InvalidParameterValue", "relative"),
        (sign_target("https://example.com/a.tif"), 400, "InvalidParameterValue", "not an object"),
        ("/sign", 400, "InvalidParameterValue", "href: is required"),
        ("/sign?href=", 400, "InvalidParameterValue", "href: is required"),
    ],
)
def test_refusals_are_json_with_the_reason(target: str, status: int, code: str, says: str) -> None:
    got, _, body = call("GET", target)
    assert (got, body["code"]) == (status, code)
    assert says in body["description"]


def test_many_hrefs_in_one_post_each_signed_or_refused() -> None:
    hrefs = [GOOD, "s3://private/a.tif", "s3://cogs/public/../x.tif", "s3://cogs/public/b.tif"]
    status, _, body = call("POST", "/sign", {"hrefs": hrefs, "expires": 60})
    assert status == 200
    assert body["expires_in"] == 60
    results = body["hrefs"]
    assert [r["href"] for r in results] == hrefs
    assert [r.get("status", 200) for r in results] == [200, 403, 400, 200]
    assert "X-Amz-Expires=60&" in results[3]["url"]
    assert results[1]["code"] == "Forbidden"


def test_a_bare_list_is_a_batch_too() -> None:
    status, _, body = call("POST", "/sign", [GOOD])
    assert status == 200
    assert "X-Amz-Expires=3600&" in body["hrefs"][0]["url"]


@pytest.mark.parametrize(
    ("body", "says"),
    [
        ({"hrefs": []}, "non-empty list"),
        ({"hrefs": [1, 2]}, "list of strings"),
        ({"href": GOOD}, "list of strings"),
        ("s3://cogs/public/a.tif", "list of strings"),
        ({"hrefs": [GOOD] * 1001}, "at most 1000"),
        ({"hrefs": [GOOD], "expires": 99999}, "at most 7200"),
    ],
)
def test_bad_batches_are_400(body: Any, says: str) -> None:
    status, _, out = call("POST", "/sign", body)
    assert status == 400
    assert says in out["description"]


def test_a_body_that_is_not_json_is_400() -> None:
    event = to_event("POST", "/sign", {"content-type": "application/json"}, b"{nope", "::1")
    result = HANDLER(event, LocalContext())
    assert result["statusCode"] == 400
    assert "not valid JSON" in orjson.loads(result["body"])["description"]


def test_other_methods_are_405_and_unknown_paths_404() -> None:
    put, headers, body = call("PUT", sign_target(GOOD))
    missing, _, _ = call("GET", "/nowhere")
    assert (put, body["code"]) == (405, "MethodNotAllowed")
    assert "GET" in headers["Allow"]
    assert missing == 404


def test_item_signing_without_an_index_says_so() -> None:
    status, _, body = call("GET", "/sign/collections/c/items/i")
    assert status == 503
    assert "STACSIFT_ROOT" in body["description"]


def test_no_secret_token_or_signature_in_logs_or_responses(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    responses = [
        call("GET", sign_target(GOOD)),
        call("GET", sign_target(GOOD, "&redirect=true")),
        call("GET", sign_target("s3://private/a.tif")),
        call("POST", "/sign", {"hrefs": [GOOD, "s3://private/a.tif"]}),
    ]
    logged = caplog.text + "".join(repr(vars(record)) for record in caplog.records)
    assert "signed s3://cogs/public/rio tiler/cög.tif" in logged  # the requests were logged
    assert "refused: s3://private/a.tif" in logged
    for secret in (SECRET, TOKEN, "X-Amz-Signature", "X-Amz-Credential"):
        assert secret not in logged
    assert all(SECRET not in orjson.dumps(r).decode() for r in responses)


@pytest.mark.parametrize(
    ("method", "target", "body"),
    [
        ("GET", sign_target(GOOD), None),
        ("POST", "/sign", {"hrefs": [GOOD]}),
        ("GET", "/sign/collections/c/items/i", None),
    ],
)
def test_with_presigning_off_every_route_says_so(method: str, target: str, body: Any) -> None:
    handler: Handler = make_handler(PresignSettings(store=SETTINGS.store))
    event = to_event(
        method, target, {"host": "api.example"}, orjson.dumps(body) if body else b"", "::1"
    )
    result = handler(event, LocalContext(aws_request_id="r-off"))
    answer = orjson.loads(result["body"])
    assert (result["statusCode"], answer["code"]) == (403, "PresigningOff")
    assert "STACSIFT_PRESIGN_ALLOW" in answer["description"]
