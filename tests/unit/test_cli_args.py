"""Command-line options are checked when parsed: a bad value is a one-line usage error."""

from __future__ import annotations

import pytest

from stacsift_cli.main import parser

WORKER = ["worker", "--queue-url", "http://localhost/000000000000/q", "--root", "s3://b/i"]


@pytest.mark.parametrize("option", ["--window", "--until-idle"])
@pytest.mark.parametrize("value", ["nan", "inf", "-1", "soon"])
def test_worker_durations_are_finite_and_not_negative(
    option: str, value: str, capsys: pytest.CaptureFixture[str]
) -> None:
    # a nan or endless window never closes a batch that is not full; a negative idle time
    # was sent to SQS as a negative wait (a traceback)
    with pytest.raises(SystemExit):
        parser().parse_args([*WORKER, option, value])
    assert option in capsys.readouterr().err
    args = parser().parse_args([*WORKER, option, "0.5"])
    assert (args.window, args.until_idle) == ((0.5, None) if option == "--window" else (0.0, 0.5))
