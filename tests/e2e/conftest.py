"""The e2e tier: the functions packaged as Lambda zips for this machine, and the stack deployed
from infra/template.yaml on MiniStack (its own process on a free loopback port)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from infra import package, stack
from tests.conftest import PROJECT

HOST_ARCH = stack.host_arch()


@pytest.fixture(scope="session")
def lambda_zips(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """``dist/lambda/<function>.zip`` for this machine's architecture, in a session folder."""
    out = tmp_path_factory.mktemp("stack") / "dist" / "lambda"
    cache = PROJECT / ".cache" / "lambda-deps"
    return {f.name: package.package(f, HOST_ARCH, out, cache).path for f in package.FUNCTIONS}


@pytest.fixture(scope="session")
def runtime_python() -> Path:
    """A CPython 3.12, the Lambda runtime's version: required in CI, a skip elsewhere."""
    python = package.runtime_python()
    if python is None:
        if os.environ.get("CI"):
            pytest.fail("CI needs a Python 3.12 (pyenv's, or python3.12 on PATH)")
        pytest.skip("no Python 3.12 here (pyenv install 3.12)")
    return python


@pytest.fixture(scope="session")
def deployed(
    lambda_zips: dict[str, Path], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, str]]:
    """infra/template.yaml deployed with the zips on a MiniStack of this session; its outputs."""
    missing = [p for p in (stack.MINISTACK_PYTHON, stack.SAM) if not p.exists()]
    if missing:
        reason = f"{missing[0]} is missing (make ministack stack-tools)"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    work = tmp_path_factory.mktemp("ministack")
    emulator = stack.start_ministack(work)
    try:
        yield stack.deploy(emulator, lambda_zips, work, arch=HOST_ARCH)
    finally:
        stack.stop(emulator)
