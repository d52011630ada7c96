"""The presigner with the real obstore signer (signing is local computation: no sockets here).

Whether the signatures verify is for a server to say: tests/integration/test_presign.py asks
LocalStack. These check what is signed, where the URL points, and what is left alone.
"""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from stacsift.errors import InvalidHref, NotAllowed, StacsiftError
from stacsift.settings import PresignSettings, StoreSettings
from stacsift.signing.hrefs import ObjectRef
from stacsift.signing.policy import parse_allow
from stacsift.signing.presigner import EXPIRY_PROPERTY, Presigner, Signed, presigner, resolve
from stacsift.signing.signer import ObstoreSigner

NOW = 1_800_000_000.75  # 2027-01-15T08:00:00.75Z
SECRET = "sEcReT-never-shown-0123456789abcdef"
STORE = StoreSettings(region="eu-central-1", access_key_id="AKIDEXAMPLE", secret_access_key=SECRET)


def make(allow: str = "cogs/public,open", **changes: Any) -> Presigner:
    settings = PresignSettings(allow=parse_allow(allow).rules, store=STORE, **changes)
    made = presigner(settings)
    made.clock = lambda: NOW
    return made


def query(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


def test_s3_href_signed_for_aws_virtual_hosted_with_the_expiry_asked_for() -> None:
    signed = make().sign("s3://cogs/public/rio tiler/cög 100%.tif", 600)
    parts = urlsplit(signed.url)
    assert (parts.scheme, parts.netloc) == ("https", "cogs.s3.eu-central-1.amazonaws.com")
    assert parts.path == "/public/rio%20tiler/c%C3%B6g%20100%25.tif"
    params = query(signed.url)
    assert params["X-Amz-Expires"] == "600"
    assert params["X-Amz-Credential"].startswith("AKIDEXAMPLE/")
    assert params["X-Amz-Credential"].endswith("/eu-central-1/s3/aws4_request")
    assert len(params["X-Amz-Signature"]) == 64
    assert signed.expiry == datetime(2027, 1, 15, 8, 10, 0, tzinfo=UTC)  # whole second + 600 s


def test_region_and_endpoint_of_the_href_win() -> None:
    wasabi = make().sign("https://s3.eu-central-2.wasabisys.com/open/x.tif", 60).url
    aws = make().sign("https://open.s3.us-west-2.amazonaws.com/x.tif", 60).url
    dotted = make("my.bucket").sign("s3://my.bucket/x.tif", 60).url
    assert wasabi.startswith("https://s3.eu-central-2.wasabisys.com/open/x.tif?")
    assert "/eu-central-2/s3/" in query(wasabi)["X-Amz-Credential"]
    assert aws.startswith("https://open.s3.us-west-2.amazonaws.com/x.tif?")
    assert dotted.startswith("https://s3.eu-central-1.amazonaws.com/my.bucket/x.tif?")  # TLS-safe


def test_only_get_is_signed_and_the_secret_never_appears() -> None:
    token_store = StoreSettings(
        region="eu-central-1",
        access_key_id="ASIAEXAMPLE",
        secret_access_key=SECRET,
        session_token="session-token-of-the-role",
    )
    settings = PresignSettings(allow=parse_allow("open").rules, store=token_store)
    url = presigner(settings).sign("s3://open/a.tif", 60).url
    assert SECRET not in url
    # SigV4 needs the temporary credentials' token in the URL: it is useless without the secret.
    assert query(url)["X-Amz-Security-Token"] == "session-token-of-the-role"
    assert "X-Amz-SignedHeaders" in url and "GET" not in repr(settings)


def test_requester_pays_buckets_get_the_request_payer_parameter() -> None:
    url = make(requester_pays=True).sign("s3://open/a.tif", 60).url
    assert query(url)["x-amz-request-payer"] == "requester"


def test_refusals_are_typed() -> None:
    with pytest.raises(NotAllowed):
        make().sign("s3://cogs/secret/a.tif", 60)
    with pytest.raises(InvalidHref):
        make().sign("s3://cogs/public/../secret/a.tif", 60)


def test_many_hrefs_each_signed_or_refused_in_order() -> None:
    hrefs = [
        "s3://open/a.tif",
        "s3://elsewhere/a.tif",
        "s3://cogs/public/b.tif",
        "s3://cogs/public/%2e%2e/c.tif",
        "s3://open/d.tif",
    ]
    expiry, results = make().sign_many(hrefs, 60)
    kinds: list[type[Signed | StacsiftError]] = [type(r) for r in results]
    assert kinds == [Signed, NotAllowed, Signed, InvalidHref, Signed]
    signed = [r for r in results if isinstance(r, Signed)]
    assert [urlsplit(s.url).path for s in signed] == ["/a.tif", "/public/b.tif", "/d.tif"]
    assert [s.href for s in signed] == [hrefs[0], hrefs[2], hrefs[4]]
    assert all(s.expiry == expiry for s in signed)


def item(assets: dict[str, Any], self_href: str | None = None) -> dict[str, Any]:
    links = [{"rel": "self", "href": self_href}] if self_href else []
    return {
        "type": "Feature",
        "id": "tile",
        "properties": {"datetime": "2020-01-01T00:00:00Z"},
        "links": links,
        "assets": assets,
    }


def test_item_assets_signed_relative_ones_against_self_and_the_rest_left_alone() -> None:
    original = item(
        {
            "relative": {"href": "./tile_b1.tif", "type": "image/tiff"},
            "absolute": {"href": "s3://open/other/b2.tif", "roles": ["data"]},
            "up": {"href": "../../../thumb.png"},
            "not-allowed": {"href": "s3://private/b3.tif"},
            "elsewhere": {"href": "https://example.com/metadata.xml"},
            "no-href": {"title": "broken asset"},
        },
        self_href="s3://cogs/public/coll/tile/tile.json",
    )
    kept = copy.deepcopy(original)
    result = make().sign_item(original, 900)
    assets = result.item["assets"]
    assert result.signed == ("relative", "absolute")
    assert urlsplit(assets["relative"]["href"]).path == "/public/coll/tile/tile_b1.tif"
    assert assets["relative"]["type"] == "image/tiff"
    assert urlsplit(assets["absolute"]["href"]).netloc == "open.s3.eu-central-1.amazonaws.com"
    assert assets["absolute"]["roles"] == ["data"]
    for name in ("up", "not-allowed", "elsewhere", "no-href"):  # "up" leaves cogs/public/
        assert assets[name] == kept["assets"][name]
    assert result.item["properties"][EXPIRY_PROPERTY] == "2027-01-15T08:15:00Z"
    assert original == kept  # the input is not changed


def test_an_item_with_nothing_signable_is_returned_as_it_is() -> None:
    original = item({"data": {"href": "./relative-without-self.tif"}})
    result = make().sign_item(original, 60)
    assert result.signed == ()
    assert result.item == original
    assert EXPIRY_PROPERTY not in result.item["properties"]


@pytest.mark.parametrize(
    ("href", "base", "expected"),
    [
        ("./b.tif", "s3://bkt/a/item.json", "s3://bkt/a/b.tif"),
        ("../c/b.tif", "s3://bkt/a/x/item.json", "s3://bkt/a/c/b.tif"),
        ("b.tif", "https://h.example/a/item.json", "https://h.example/a/b.tif"),
        ("s3://other/b.tif", "s3://bkt/a/item.json", "s3://other/b.tif"),
        ("./b.tif", None, "./b.tif"),
        ("./b.tif", "file:///tmp/item.json", "./b.tif"),
    ],
)
def test_resolve(href: str, base: str | None, expected: str) -> None:
    assert resolve(href, base) == expected


def test_a_key_obstore_refuses_is_bad_input_not_a_server_error() -> None:
    signer = ObstoreSigner(STORE)
    with pytest.raises(InvalidHref, match="cannot be signed"):
        signer.sign(ObjectRef("open", "a//b.tif"), timedelta(seconds=60))


def test_relative_assets_resolve_against_where_the_item_was_crawled_first() -> None:
    crawled = item({"data": {"href": "./b1.tif"}}, self_href="s3://cogs/public/elsewhere/x.json")
    from_source = make().sign_item(crawled, 60, source="s3://open/items/tile/tile.json")
    from_self = make().sign_item(crawled, 60, source="file:///tmp/catalog/tile/tile.json")
    assert urlsplit(from_source.item["assets"]["data"]["href"]).path == "/items/tile/b1.tif"
    assert urlsplit(from_self.item["assets"]["data"]["href"]).path == "/public/elsewhere/b1.tif"
