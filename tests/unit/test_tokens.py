"""Page tokens: what is issued decodes to the same page, and nothing else decodes at all."""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import replace
from urllib.parse import parse_qs, urlsplit

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from functions import stac_api
from stacsift.errors import InvalidParameter
from stacsift.query import tokens
from stacsift.query.tokens import MAX_SKIP, MISSING, Cursor, Token
from stacsift.search import Hit, Page

KEY = b"a key of the deployment"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _signed(payload: object, key: bytes = KEY) -> str:
    """A token of the real format with any payload (or JSON text), signed as the API would."""
    raw = payload if isinstance(payload, bytes) else orjson.dumps(payload)
    return f"{_b64(raw)}.{_b64(hmac.new(key, raw, hashlib.sha256).digest()[:16])}"


@pytest.mark.parametrize(
    "token",
    [
        Token(3, Cursor()),
        Token(7, Cursor(1_600_000_000_000_000, 2), Cursor(), 200_000, "abc"),
        Token(1, Cursor(2.5, 0), Cursor(9.0, 1), None),
        Token(1, Cursor(MISSING, MAX_SKIP), None, 5),
        Token(2, Cursor("item-9", 0)),
        Token(2, Cursor(1_600_000_000_000_000, 0), None, 10_000, "abc", at_least=True),
    ],
)
def test_round_trip(token: Token) -> None:
    assert tokens.decode(tokens.encode(token, KEY), KEY) == token


def test_the_offset_that_aborted_the_process_is_refused() -> None:
    # GIVEN the tokens in the old format (a 48 GB allocation, a 500) and in the new one
    old = _b64(orjson.dumps({"g": 1, "o": 1_000_000_000}))
    huge = [1, 1, None, 1_000_000_000, None, None, None, ""]
    # ints beyond 64 bits cannot even be written by orjson: the JSON text is given directly
    beyond = b'[1,1,null,10000000000000000000000000000000000000000,null,null,null,""]'
    for text in [old, _signed(huge), _signed(beyond)]:
        with pytest.raises(InvalidParameter) as caught:
            tokens.decode(text, KEY)
        assert caught.value.parameter == "token"


@pytest.mark.parametrize(
    "payload",
    [
        [1, 1, None, -1, None, None, None, ""],  # negative skip
        [1, -1, None, 0, None, None, None, ""],  # negative generation
        b'[1,1,1e999,0,null,null,null,""]',  # infinite
        [1, 1, True, 0, None, None, None, ""],
        [1, 1, "x" * 5000, 0, None, None, None, ""],
        [1, 1, [1], 0, None, None, None, ""],
        [1, 1, None, 0, None, 10**9, None, ""],  # the back cursor is checked as well
        [1, 1, None, 0, None, None, -3, ""],  # negative count
        [1, 1, None, 0, None, None, {"ge": -3}, ""],  # negative lower bound
        [1, 1, None, 0, None, None, {"ge": None}, ""],
        [1, 1, None, 0, None, None, {"ge": 5, "le": 9}, ""],
        [1, 1, None, 0, None, None, {}, ""],
        [2, 1, None, 0, None, None, None, ""],  # another version
        [1, 1, None, 0, None, None, None],  # short
        {"g": 1, "o": 5},
    ],
)
def test_signed_but_out_of_bounds_is_refused(payload: object) -> None:
    with pytest.raises(InvalidParameter):
        tokens.decode(_signed(payload), KEY)


def test_tampered_or_foreign_tokens_are_refused() -> None:
    good = tokens.encode(Token(4, Cursor(10, 1)), KEY)
    payload, _, tag = good.partition(".")
    flipped = payload[:-1] + ("A" if payload[-1] != "A" else "B")
    for text in [
        f"{flipped}.{tag}",
        tokens.encode(Token(4, Cursor(10, 1)), b"another deployment"),
        payload,
        "." * 10,
        "x" * (tokens.MAX_TOKEN_CHARS + 1),
        "é.é",
    ]:
        with pytest.raises(InvalidParameter):
            tokens.decode(text, KEY)


@given(st.text(max_size=300))
def test_any_text_is_refused_or_decoded(text: str) -> None:
    try:
        tokens.decode(text, KEY)
    except InvalidParameter as err:
        assert err.parameter == "token"


def test_derived_keys_differ_per_root() -> None:
    assert tokens.derive_key("s3://a/index/") != tokens.derive_key("s3://b/index/")


def test_a_lower_bound_of_the_count_is_said_and_carried_to_the_next_page() -> None:
    # GIVEN a page whose search stopped counting at its limit
    hit = Hit({"type": "Feature", "id": "a", "collection": "c", "links": []}, "")
    page = Page([hit], 10_000, 3, Cursor(), keys=(1_600_000_000_000_000,), more=True)
    page = replace(page, at_least=True, search="abc")
    # WHEN it is answered
    body = stac_api.item_collection(
        "http://x", "/search", page, {}, post=False, fields=None, key=KEY
    )
    # THEN numberMatched is absent, the lower bound is said, and the next page carries it
    assert "numberMatched" not in body
    assert body[stac_api.AT_LEAST] == 10_000
    href = next(lk["href"] for lk in body["links"] if lk["rel"] == "next")
    token = tokens.decode(parse_qs(urlsplit(href).query)["token"][0], KEY)
    assert (token.matched, token.at_least, token.generation) == (10_000, True, 3)
