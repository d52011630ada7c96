"""Href parsing: every supported form, odd keys, and refusals (traversal above all)."""

from __future__ import annotations

import pytest

from stacsift.errors import InvalidHref, InvalidParameter
from stacsift.signing.hrefs import HrefParser, ObjectRef

MINIO = "http://127.0.0.1:9000"
PARSER = HrefParser(MINIO, ["https://storage.example.org/s3"])


@pytest.mark.parametrize(
    ("href", "expected"),
    [
        ("s3://cogs/a/b.tif", ObjectRef("cogs", "a/b.tif", MINIO)),
        # AWS, virtual-hosted: with and without a region, legacy dash form, dualstack
        (
            "https://cogs.s3.eu-central-1.amazonaws.com/a/b.tif",
            ObjectRef("cogs", "a/b.tif", None, "eu-central-1"),
        ),
        ("https://cogs.s3.amazonaws.com/a/b.tif", ObjectRef("cogs", "a/b.tif", None, None)),
        (
            "https://cogs.s3-us-west-2.amazonaws.com/b.tif",
            ObjectRef("cogs", "b.tif", None, "us-west-2"),
        ),
        (
            "https://cogs.s3.dualstack.ap-southeast-2.amazonaws.com/b.tif",
            ObjectRef("cogs", "b.tif", None, "ap-southeast-2"),
        ),
        (
            "https://my.dotted.bucket.s3.us-east-2.amazonaws.com/b.tif",
            ObjectRef("my.dotted.bucket", "b.tif", None, "us-east-2"),
        ),
        # AWS, path-style
        (
            "https://s3.us-gov-west-1.amazonaws.com/cogs/b.tif",
            ObjectRef("cogs", "b.tif", None, "us-gov-west-1"),
        ),
        ("https://s3.amazonaws.com/cogs/b.tif", ObjectRef("cogs", "b.tif", None, None)),
        # Wasabi, path-style (the ODSE layout) and virtual-hosted
        (
            "https://s3.eu-central-1.wasabisys.com/eumap/lcv/lcv_landcover.tif",
            ObjectRef(
                "eumap",
                "lcv/lcv_landcover.tif",
                "https://s3.eu-central-1.wasabisys.com",
                "eu-central-1",
            ),
        ),
        (
            "https://s3.wasabisys.com/eumap/a.tif",
            ObjectRef("eumap", "a.tif", "https://s3.wasabisys.com", "us-east-1"),
        ),
        (
            "https://eumap.s3.us-west-1.wasabisys.com/a.tif",
            ObjectRef("eumap", "a.tif", "https://s3.us-west-1.wasabisys.com", "us-west-1"),
        ),
        # configured endpoints, path-style (the default one and one with a base path)
        ("http://127.0.0.1:9000/cogs/a.tif", ObjectRef("cogs", "a.tif", MINIO)),
        (
            "https://STORAGE.example.org/s3/cogs/a.tif",
            ObjectRef("cogs", "a.tif", "https://storage.example.org/s3"),
        ),
    ],
)
def test_supported_forms(href: str, expected: ObjectRef) -> None:
    assert PARSER.parse(href) == expected


@pytest.mark.parametrize(
    ("href", "key"),
    [
        ("s3://cogs/rio tiler/cög 100%.tif", "rio tiler/cög 100%.tif"),  # raw, as people write
        ("s3://cogs/rio%20tiler/c%C3%B6g%20100%25.tif", "rio tiler/cög 100%.tif"),  # a URI
        (
            "https://cogs.s3.amazonaws.com/rio%20tiler/c%C3%B6g%20100%25.tif",
            "rio tiler/cög 100%.tif",
        ),
        ("https://cogs.s3.amazonaws.com/a+b%2Bc.tif", "a+b+c.tif"),  # '+' is a plus in a path
        ("s3://cogs/%2520.tif", "%20.tif"),  # a literal "%20" in a key, escaped once
        ("s3://cogs/日本/データ.tif", "日本/データ.tif"),
        ("s3://cogs/a/.hidden/..b.tif", "a/.hidden/..b.tif"),  # dots inside names are fine
    ],
)
def test_keys_with_spaces_unicode_and_percent_escapes(href: str, key: str) -> None:
    assert PARSER.parse(href).key == key


@pytest.mark.parametrize(
    "href",
    [
        "s3://cogs/public/../secret.tif",
        "s3://cogs/public/./a.tif",
        "s3://cogs/..",
        "s3://cogs/public/%2e%2e/secret.tif",
        "s3://cogs/public/%2E%2E/secret.tif",
        "s3://cogs/public/.%2e/secret.tif",
        "s3://cogs/public/%252e%252e/secret.tif",  # encoded twice
        "s3://cogs/public/..%2fsecret.tif",
        "s3://cogs/public/%2e%2e%2fsecret.tif",
        "s3://cogs/public/..\\secret.tif",
        "s3://cogs/public/%2e%2e%5csecret.tif",
        "https://cogs.s3.amazonaws.com/public/%2e%2e/secret.tif",
        "https://s3.eu-central-1.wasabisys.com/cogs/public/../secret.tif",
        "http://127.0.0.1:9000/cogs/public/%2E%2E/secret.tif",
    ],
)
def test_traversal_is_refused(href: str) -> None:
    with pytest.raises(InvalidHref, match="traversal"):
        PARSER.parse(href)


@pytest.mark.parametrize(
    ("href", "reason"),
    [
        ("./relative.tif", "relative"),
        ("/abs/path.tif", "relative"),
        ("file:///etc/passwd", "scheme 'file'"),
        ("ftp://cogs/a.tif", "scheme 'ftp'"),
        ("https://example.com/cogs/a.tif", "not an object URL"),
        ("http://cogs.s3.amazonaws.com/a.tif", "not an object URL"),  # only https for AWS
        ("https://cogs.s3.amazonaws.com:8443/a.tif", "not an object URL"),
        ("http://127.0.0.1:9001/cogs/a.tif", "not an object URL"),  # an unknown port
        ("https://user:pw@cogs.s3.amazonaws.com/a.tif", "user information"),
        ("s3://cogs/a.tif?versionId=1", "query"),
        ("s3://cogs/a.tif#frag", "fragment"),
        ("s3://cogs", "no object"),
        ("s3://cogs/", "no object"),
        ("https://s3.amazonaws.com/cogs", "no object"),
        ("s3://cogs/folder/", "folder"),
        ("s3://cogs/a//b.tif", "empty path segment"),
        ("s3://cogs//a.tif", "empty path segment"),
        ("s3://Bad_Bucket!/a.tif", "not a valid bucket"),
        ("s3://a/b.tif", "not a valid bucket"),
        ("s3://cogs/a\x00.tif", "control characters"),
        ("s3://cogs/a%00.tif", "control characters"),
        ("s3://cogs/%ff.tif", "not UTF-8"),
        ("http://[::1/cogs/a.tif", "not a valid URL"),
        (f"s3://cogs/{'k' * 1100}", "longer than 1024 bytes"),
        (f"s3://cogs/{'k' * 5000}", "longer than 4096 characters"),
    ],
)
def test_what_is_not_one_object_is_refused_with_a_reason(href: str, reason: str) -> None:
    with pytest.raises(InvalidHref) as caught:
        PARSER.parse(href)
    assert reason in caught.value.reason
    assert caught.value.parameter == "href"


def test_s3_hrefs_go_to_aws_without_a_default_endpoint() -> None:
    assert HrefParser().parse("s3://cogs/a.tif") == ObjectRef("cogs", "a.tif", None, None)


def test_a_malformed_endpoint_is_a_configuration_error() -> None:
    with pytest.raises(InvalidParameter, match="endpoints"):
        HrefParser(None, ["minio:9000"])
