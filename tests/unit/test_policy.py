"""The allow-list and the expiry bounds."""

from __future__ import annotations

import pytest

from stacsift.errors import InvalidParameter, NotAllowed
from stacsift.signing.hrefs import ObjectRef
from stacsift.signing.policy import AllowRule, parse_allow, parse_expires

ALLOW = parse_allow(" whole-bucket , cogs/public, cogs/shared/deep/ ,s3://other/x")


def test_entries_parse_into_buckets_and_folder_prefixes() -> None:
    assert ALLOW.rules == (
        AllowRule("whole-bucket"),
        AllowRule("cogs", "public/"),
        AllowRule("cogs", "shared/deep/"),
        AllowRule("other", "x/"),
    )
    assert [str(r) for r in ALLOW.rules][:2] == ["whole-bucket", "cogs/public/"]


@pytest.mark.parametrize(
    ("bucket", "key"),
    [
        ("whole-bucket", "anything/at/all.tif"),
        ("cogs", "public/a.tif"),
        ("cogs", "public/sub/dir/a.tif"),
        ("cogs", "shared/deep/a.tif"),
    ],
)
def test_allowed(bucket: str, key: str) -> None:
    ALLOW.check(ObjectRef(bucket, key), f"s3://{bucket}/{key}")


@pytest.mark.parametrize(
    ("bucket", "key", "reason"),
    [
        ("elsewhere", "public/a.tif", "bucket 'elsewhere' is not in the presign allow-list"),
        ("Cogs", "public/a.tif", "bucket 'Cogs' is not"),  # bucket names match exactly
        ("cogs", "secret/a.tif", "outside the allow-listed prefixes"),
        ("cogs", "public-old/a.tif", "outside"),  # a prefix is a folder, not a name prefix
        ("cogs", "public", "outside"),
        ("cogs", "shared/a.tif", "outside"),
    ],
)
def test_refused_with_the_reason(bucket: str, key: str, reason: str) -> None:
    with pytest.raises(NotAllowed) as caught:
        ALLOW.check(ObjectRef(bucket, key), f"s3://{bucket}/{key}")
    assert reason in caught.value.reason
    assert caught.value.href == f"s3://{bucket}/{key}"


def test_an_empty_allow_list_allows_nothing() -> None:
    empty = parse_allow("")
    assert not empty
    with pytest.raises(NotAllowed):
        empty.check(ObjectRef("cogs", "a.tif"), "s3://cogs/a.tif")


@pytest.mark.parametrize("entry", ["bad bucket", "cogs/../secret", "cogs/a//b", "cogs/./a", "x"])
def test_malformed_entries_are_refused_at_start_up(entry: str) -> None:
    with pytest.raises(InvalidParameter, match="allow"):
        parse_allow(entry)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [(None, 3600), ("", 3600), ("60", 60), (60, 60), ("7200", 7200), (" 1 ", 1)],
)
def test_expires_within_bounds(raw: object, expected: int) -> None:
    assert parse_expires(raw, default=3600, maximum=7200) == expected


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("7201", "at most 7200 seconds"),
        ("0", "at least 1 second"),
        ("-5", "whole number"),
        ("1.5", "whole number"),
        ("1e3", "whole number"),
        ("٣", "whole number"),  # a digit, but not an ASCII one
        ("9" * 40, "whole number"),
        (True, "whole number"),
        ([60], "whole number"),
        (1.0, "whole number"),
    ],
)
def test_expires_out_of_bounds_or_malformed(raw: object, message: str) -> None:
    with pytest.raises(InvalidParameter, match=message) as caught:
        parse_expires(raw, default=3600, maximum=7200)
    assert caught.value.parameter == "expires"
