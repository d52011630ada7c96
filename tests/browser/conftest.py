"""Real parts for browser tests: a STAC Browser build, headless Chromium, ``stacsift serve``.

STAC Browser is built once by ``make stac-browser`` and Chromium comes from Debian (``.ci/run``
installs both). Without them CI fails and local runs skip, saying what to run.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, ExitStack, contextmanager
from pathlib import Path

import pytest

from tests.browser import chromium, site
from tests.browser.chromium import Browser, Page
from tests.browser.site import DIST
from tests.support.serving import CLI, stacsift_serve

Serve = Callable[[str], str]
Browse = Callable[[str, str], AbstractContextManager[Page]]


def _missing(what: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"{what} is missing; .ci/run installs it")
    pytest.skip(f"{what} is missing")


@pytest.fixture(scope="session")
def dist() -> Path:
    if not (DIST / ".built-from").is_file():
        _missing(f"the STAC Browser build in {DIST} (make stac-browser)")
    return DIST


@pytest.fixture(scope="session")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Browser]:
    if chromium.executable() is None:
        _missing("chromium (apt-get install chromium)")
    work = tmp_path_factory.mktemp("chromium")
    with chromium.launch(work / "profile", work / "chromium.log") as running:
        yield running


@pytest.fixture(scope="session")
def serve(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Serve]:
    """Factory: ``stacsift build SOURCE`` then ``stacsift serve`` it, once per source; its URL."""
    urls: dict[str, str] = {}
    with ExitStack() as servers:

        def start(source: str) -> str:
            if source not in urls:
                work = tmp_path_factory.mktemp("served")
                urls[source] = servers.enter_context(stacsift_serve(source, work)) + "/"
            return urls[source]

        yield start


@pytest.fixture(scope="session")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The catalog ``stacsift sample`` writes (what ``make run`` serves)."""
    directory = tmp_path_factory.mktemp("sample")
    subprocess.run([*CLI, "sample", str(directory)], check=True, capture_output=True)
    return directory / "catalog.json"


@pytest.fixture
def browse(dist: Path, browser: Browser) -> Browse:
    """Factory: a tab showing STAC Browser for the API at ``api`` on the route ``route``."""

    @contextmanager
    def open_page(api: str, route: str) -> Iterator[Page]:
        with site.serve(dist, api) as url, browser.page() as page:
            page.goto(f"{url}#{route}")
            yield page

    return open_page
