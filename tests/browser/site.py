"""Serves a STAC Browser build on loopback, configured at run time for one STAC API.

The build loads ``/config.js`` before it starts (see ``build-stac-browser.sh``); this server
writes that file for the catalog under test, so one build serves every test.
"""

from __future__ import annotations

import argparse
import contextlib
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import orjson

DIST = Path(__file__).resolve().parents[2] / ".cache" / "stac-browser" / "dist"


class _Site(SimpleHTTPRequestHandler):
    config: bytes = b""

    def do_GET(self) -> None:
        if self.path.split("?")[0] == "/config.js":
            self.send_response(200)
            self.send_header("content-type", "text/javascript")
            self.send_header("content-length", str(len(self.config)))
            self.end_headers()
            self.wfile.write(self.config)
        else:
            super().do_GET()

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the tests read the page, not the access log."""


def _server(dist: Path, catalog_url: str, host: str, port: int) -> ThreadingHTTPServer:
    config = {"catalogUrl": catalog_url, "locale": "en", "detectLocaleFromBrowser": False}
    script = b"window.STAC_BROWSER_CONFIG = " + orjson.dumps(config) + b";\n"
    handler = type("Site", (_Site,), {"config": script})
    return ThreadingHTTPServer((host, port), partial(handler, directory=str(dist)))


@contextmanager
def serve(dist: Path, catalog_url: str) -> Iterator[str]:
    """Serve ``dist`` with STAC Browser pointed at ``catalog_url``; yields the site's URL."""
    server = _server(dist, catalog_url, "127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def main() -> None:
    """``make browse``: serve the build for a person, until Ctrl-C."""
    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--api", required=True, help="the STAC API's URL")
    parser.add_argument("--dist", type=Path, default=DIST)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8080)
    args = parser.parse_args()
    server = _server(args.dist, args.api, args.host, args.port)
    print(f"STAC Browser for {args.api} at http://{args.host}:{server.server_address[1]}/")
    with contextlib.suppress(KeyboardInterrupt):
        server.serve_forever()
    server.server_close()


if __name__ == "__main__":
    main()
