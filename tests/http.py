"""A tiny HTTP client for tests: status and parsed JSON, never raising on 4xx/5xx."""

from __future__ import annotations

import urllib.error
import urllib.request
from typing import Any

import orjson


def request(
    url: str, method: str = "GET", body: bytes | None = None
) -> tuple[int, dict[str, str], Any]:
    req = urllib.request.Request(url, data=body, method=method)  # noqa: S310 - loopback only
    if body is not None:
        req.add_header("content-type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=30) as response:  # noqa: S310
            return response.status, dict(response.headers), orjson.loads(response.read())
    except urllib.error.HTTPError as err:
        return err.code, dict(err.headers), orjson.loads(err.read())


def get(url: str) -> tuple[int, Any]:
    status, _, body = request(url)
    return status, body


def ids(body: dict[str, Any]) -> list[str]:
    return [str(f["id"]) for f in body["features"]]
