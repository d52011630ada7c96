"""Real parts for integration tests: a moto S3 server in its own process, and the gateway.

moto runs as a separate process (not ``ThreadedMotoServer``): GDAL/rasterio hold the GIL during
HTTP, which deadlocks an in-process server.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING, Any

import boto3
import pytest

from functions.gateway import make_server
from functions.search import make_handler
from index_builder.build import build
from infra import stack
from stacsift.settings import SearchSettings, StoreSettings
from stacsift.store import Bucket, open_bucket
from tests import localstack as localstack_host
from tests.conftest import PROJECT

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_sqs import SQSClient

STARTUP_SECONDS = 30.0
NAIP_FOLDER = "items/planetary-computer-naip"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_for_port(port: int, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{process.args!r} exited with {process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)  # polling for readiness, not timing anything
    raise RuntimeError(f"{process.args!r} did not listen on {port} in {STARTUP_SECONDS}s")


@contextmanager
def listening(command: list[str], port: int, **popen: Any) -> Iterator[subprocess.Popen[bytes]]:
    """Run ``command`` (a server that will listen on ``port``) in its own process until the block
    ends; yields it once the port accepts connections. ``popen`` goes to ``subprocess.Popen``."""
    process = subprocess.Popen(command, **popen)
    try:
        wait_for_port(port, process)
        yield process
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture(scope="session")
def s3_store() -> Iterator[StoreSettings]:
    """Settings pointing at a moto S3 server started for this test session."""
    port = free_port()
    moto = [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)]
    with listening(moto, port, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL):
        yield StoreSettings(
            endpoint=f"http://127.0.0.1:{port}",
            region="us-east-1",
            access_key_id="testing",
            secret_access_key="testing",
            timeout_seconds=10,
        )


@pytest.fixture
def s3_root(s3_store: StoreSettings) -> str:
    """A fresh ``s3://`` root in a new bucket on the emulator."""
    name = f"stacsift-{uuid.uuid4().hex[:12]}"
    s3_client(s3_store).create_bucket(Bucket=name)
    return f"s3://{name}/catalogs/test"


@pytest.fixture
def local_root(tmp_path: Path) -> str:
    return str(tmp_path / "root")


ServeFn = Callable[[str, StoreSettings], str]


@pytest.fixture
def serve(tmp_path: Path) -> Iterator[ServeFn]:
    """Factory: serve ROOT through the local gateway; returns its base URL. Stops at teardown."""
    servers: list[tuple[ThreadingHTTPServer, threading.Thread]] = []

    def start(root: str, store: StoreSettings) -> str:
        settings = SearchSettings(
            root=root, store=store, cache_dir=tmp_path / f"cache-{len(servers)}"
        )
        server = make_server(make_handler(settings), "127.0.0.1", 0)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        servers.append((server, thread))
        return f"http://127.0.0.1:{server.server_address[1]}"

    yield start
    for server, thread in servers:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@pytest.fixture
def built(tmp_path: Path) -> Callable[[list[str], str, StoreSettings], Bucket]:
    """Factory: build sources into ROOT and return its bucket."""

    def run(sources: list[str], root: str, store: StoreSettings) -> Bucket:
        bucket = open_bucket(root, store, create=True)
        build(sources, bucket, work_dir=tmp_path)
        return bucket

    return run


@pytest.fixture(scope="session")
def naip_api(fixtures: Path) -> Iterator[str]:
    """``rustac serve`` on a free port, loaded with the NAIP collection and items."""
    rustac = Path(sys.executable).with_name("rustac")
    port = free_port()
    command = [
        str(rustac),
        "serve",
        "--addr",
        f"127.0.0.1:{port}",
        str(fixtures / NAIP_FOLDER / "naip-collection.json"),
        str(fixtures / NAIP_FOLDER / "naip-items.ndjson"),
    ]
    with listening(command, port, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL):
        yield f"http://127.0.0.1:{port}/"


@pytest.fixture(scope="session")
def localstack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StoreSettings]:
    """Settings pointing at LocalStack (signatures and expiry checked), started for this session."""
    localstack_host.require_venv()
    work = tmp_path_factory.mktemp("localstack")
    with localstack_host.running(free_port(), work / "volume", work / "localstack.log") as url:
        yield StoreSettings(
            endpoint=url,
            region="us-east-1",
            access_key_id=localstack_host.ACCESS_KEY,
            secret_access_key=localstack_host.SECRET_KEY,
            timeout_seconds=10,
        )


@pytest.fixture(scope="session")
def ministack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StoreSettings]:
    """Settings pointing at MiniStack (S3 and SQS, with S3 → SQS notifications), in its own
    process for this session (``make ministack`` makes its virtualenv)."""
    if not stack.MINISTACK_PYTHON.exists():
        reason = f"{stack.MINISTACK_PYTHON} is missing: run `make ministack`"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    emulator = stack.start_ministack(tmp_path_factory.mktemp("ministack"))
    try:
        yield StoreSettings(
            endpoint=emulator.endpoint,
            region=stack.REGION,
            access_key_id=stack.CREDENTIALS["AWS_ACCESS_KEY_ID"],
            secret_access_key=stack.CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
            timeout_seconds=10,
        )
    finally:
        stack.stop(emulator)


@pytest.fixture(scope="session")
def counting_proxy(localstack: StoreSettings) -> Iterator[str]:
    """A byte-counting proxy in front of LocalStack, in its own process; yields its URL."""
    with proxied(str(localstack.endpoint)) as url:
        yield url


@contextmanager
def proxied(upstream: str, delay_ms: float = 0.0) -> Iterator[str]:
    """The counting proxy (:mod:`tests.integration.counting_proxy`) in front of ``upstream``,
    holding each request ``delay_ms``, in its own process; yields its URL."""
    port = free_port()
    proxy = [sys.executable, "-m", "tests.integration.counting_proxy", "--port", str(port)]
    command = [*proxy, "--upstream", upstream, "--delay-ms", str(delay_ms)]
    with listening(
        command, port, cwd=PROJECT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    ):
        yield f"http://127.0.0.1:{port}"


def s3_client(store: StoreSettings) -> S3Client:
    return boto3.client("s3", **_client_args(store))


def sqs_client(store: StoreSettings) -> SQSClient:
    """SQS on the same emulator (LocalStack, MiniStack and moto serve both on one port)."""
    return boto3.client("sqs", **_client_args(store))


def _client_args(store: StoreSettings) -> dict[str, Any]:
    return {
        "endpoint_url": store.endpoint,
        "region_name": store.region,
        "aws_access_key_id": store.access_key_id,
        "aws_secret_access_key": store.secret_access_key,
    }


@pytest.fixture(scope="session")
def sample_served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """A real ``stacsift serve`` process over the freshly built sample, as ``make run`` does:
    yields its URL and the sample's ``catalog.json``."""
    from tests.support.serving import CLI, stacsift_serve  # it imports this module

    work = tmp_path_factory.mktemp("run")
    subprocess.run([*CLI, "sample", str(work / "sample")], check=True, capture_output=True)
    with stacsift_serve(str(work / "sample/catalog.json"), work) as url:
        yield url, work / "sample/catalog.json"
