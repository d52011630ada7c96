"""Start LocalStack on the host (localstack/host.sh) for one test session, and stop it after.

LocalStack, unlike moto, checks presigned signatures and their expiry
(``S3_SKIP_SIGNATURE_VALIDATION=0``), so signing is tested against it. Its virtualenv is made by
``localstack/setup.sh`` (``make localstack``, which ``make test`` runs first).
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import orjson
import pytest

from tests.conftest import PROJECT

VENV = Path(os.environ.get("LOCALSTACK_VENV") or PROJECT / ".cache/localstack/venv")
LAUNCHER = PROJECT / "localstack/host.sh"
STARTUP_SECONDS = 120.0
STOP_SECONDS = 20.0
ACCESS_KEY = "test"  # LocalStack checks signatures made with its default secret "test"
SECRET_KEY = "test"


def require_venv() -> None:
    """Fail in CI, skip elsewhere, when LocalStack's virtualenv is missing."""
    if (VENV / "bin/python").exists():
        return
    message = f"{VENV} is missing: run `make localstack` (localstack/setup.sh)"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


@contextmanager
def running(port: int, volume: Path, log: Path) -> Iterator[str]:
    """LocalStack listening on ``127.0.0.1:port`` until the block ends; yields its URL."""
    env = {**os.environ, "LOCALSTACK_PORT": str(port), "LOCALSTACK_VOLUME_DIR": str(volume)}
    env["LOCALSTACK_VENV"] = str(VENV)
    with log.open("wb") as out:
        process = subprocess.Popen(
            ["bash", str(LAUNCHER)],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, stopped as a whole below
        )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(url, process, log)
        yield url
    finally:
        _stop(process)


def _wait_ready(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            tail = log.read_text(errors="replace")[-2000:]
            raise RuntimeError(f"LocalStack exited with {process.returncode}:\n{tail}")
        if _s3_ready(url):
            return
        time.sleep(0.1)  # polling for readiness, not timing anything
    raise RuntimeError(f"LocalStack was not ready at {url} in {STARTUP_SECONDS}s; see {log}")


def _s3_ready(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/_localstack/health", timeout=1) as response:  # noqa: S310
            health = orjson.loads(response.read())
    except (OSError, urllib.error.URLError, orjson.JSONDecodeError):
        return False
    return health.get("services", {}).get("s3") in ("available", "running")


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=STOP_SECONDS)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=STOP_SECONDS)
