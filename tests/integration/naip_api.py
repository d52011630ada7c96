"""A module-scoped STAC API over the 1,000 NAIP items, served through the local gateway."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from functions.gateway import make_server
from functions.search import make_handler
from stacsift.index.reader import IndexReader, OpenIndex
from stacsift.settings import SearchSettings, StoreSettings
from stacsift.store import open_bucket
from tests.support.naip import build_naip


@dataclass(frozen=True)
class Served:
    url: str
    index: OpenIndex
    settings: SearchSettings


def serve_naip(fixtures: Path, work: Path) -> Iterator[Served]:
    root = str(work / "root")
    build_naip(fixtures, open_bucket(root, StoreSettings(), create=True), work)
    settings = SearchSettings(root=root, cache_dir=work / "cache")
    reader = IndexReader(open_bucket(root, StoreSettings()), work / "direct-cache")
    server = make_server(make_handler(settings), "127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}"
        yield Served(url, reader.current(), settings)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
