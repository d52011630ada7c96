"""Parameter parsing: valid forms, and a named InvalidParameter for every malformed one."""

from __future__ import annotations

import pytest

from stacsift.errors import InvalidParameter
from stacsift.query import params


def test_bbox_forms() -> None:
    assert params.parse_bbox("-10,40.5,5,50") == (-10.0, 40.5, 5.0, 50.0)
    assert params.parse_bbox([-10, 40, 0, 5, 50, 100]) == (-10.0, 40.0, 5.0, 50.0)
    assert params.parse_bbox("170,-10,-170,10") == (170.0, -10.0, -170.0, 10.0)
    assert params.parse_bbox(None) is None


@pytest.mark.parametrize(
    "value", ["1,2,3", "1,2,3,4,5", "a,b,c,d", "nan,0,1,1", "0,0,181,1", "0,10,1,5", "0,-91,1,1"]
)
def test_bad_bbox(value: str) -> None:
    with pytest.raises(InvalidParameter) as caught:
        params.parse_bbox(value)
    assert caught.value.parameter == "bbox"


def test_datetime_forms() -> None:
    instant = params.parse_datetime("2020-01-01T00:00:00Z")
    assert instant is not None and instant[0] == instant[1] == 1_577_836_800_000_000
    assert params.parse_datetime("2020-01-01T00:00:00Z/..") == (1_577_836_800_000_000, None)
    assert params.parse_datetime("/2020-01-01T00:00:00+00:00") == (None, 1_577_836_800_000_000)
    assert params.parse_datetime("") is None


@pytest.mark.parametrize(
    "value", ["yesterday", "2020-02-30", "../..", "/", "2021-01-01T00:00:00Z/2020-01-01T00:00:00Z"]
)
def test_bad_datetime(value: str) -> None:
    with pytest.raises(InvalidParameter) as caught:
        params.parse_datetime(value)
    assert caught.value.parameter == "datetime"


def test_limit_is_capped_not_refused() -> None:
    assert params.parse_limit("5000", default=10, maximum=1000) == 1000
    assert params.parse_limit(None, default=10, maximum=1000) == 10


@pytest.mark.parametrize("value", ["0", "-1", "ten", "1.5"])
def test_bad_limit(value: str) -> None:
    with pytest.raises(InvalidParameter):
        params.parse_limit(value, default=10, maximum=1000)


def test_lists() -> None:
    assert params.parse_list("collections", "a, b,,c") == ("a", "b", "c")
    assert params.parse_list("collections", ["a", "b"]) == ("a", "b")
    with pytest.raises(InvalidParameter):
        params.parse_list("collections", [1, 2])


def test_on_the_command_line_a_date_alone_is_that_whole_utc_day() -> None:
    start = 1_582_934_400_000_000  # 2020-02-29T00:00:00Z
    day = (start, start + 86_400_000_000 - 1)
    assert params.parse_datetime("2020-02-29", dates=True) == day
    assert params.parse_datetime("2020-02-29/..", dates=True) == (start, None)
    assert params.parse_datetime("../2020-02-29", dates=True) == (None, day[1])
    with pytest.raises(InvalidParameter, match="not a date"):
        params.parse_datetime("2021-02-29", dates=True)
    with pytest.raises(InvalidParameter, match="RFC 3339"):
        params.parse_datetime("2020-02-29")  # the API: as the STAC API spec requires
