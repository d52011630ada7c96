"""``stacsift build`` then ``stacsift serve``, as a user runs them, each in its own process."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.integration.conftest import free_port, listening

CLI = [sys.executable, "-m", "stacsift_cli.main"]


@contextmanager
def stacsift_serve(source: str, work: Path) -> Iterator[str]:
    """Build ``source`` into ``work/root`` and serve it on a free loopback port until the block
    ends; yields the server's URL (no trailing slash). Its output goes to ``work/serve.log``."""
    root = str(work / "root")
    subprocess.run([*CLI, "build", source, "--root", root], check=True, capture_output=True)
    port = free_port()
    command = [*CLI, "serve", "--root", root, "--port", str(port)]
    with (
        (work / "serve.log").open("wb") as log,
        listening(command, port, stdout=log, stderr=subprocess.STDOUT),
    ):
        yield f"http://127.0.0.1:{port}"
