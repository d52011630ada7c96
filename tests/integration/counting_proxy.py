"""A transparent HTTP proxy on loopback that counts the bytes an S3 server sends to clients.

Signed URLs point at this proxy; it forwards each request unchanged (the ``Host`` header too, so
SigV4 signatures still verify upstream) and adds up the body bytes of the responses. Tests read
the count at ``GET /__proxy__/stats`` to show that a COG reader fetched only part of a file.

It runs as its own process (``python -m tests.integration.counting_proxy --upstream URL --port
N``): GDAL holds the GIL during HTTP, so a server in the test process could deadlock.
"""

from __future__ import annotations

import argparse
import http.client
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

import orjson

STATS_PATH = "/__proxy__/stats"
HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade"}


class Counter:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.bytes = 0
        self.requests = 0

    def add(self, size: int) -> None:
        with self.lock:
            self.bytes += size
            self.requests += 1

    def snapshot(self) -> dict[str, int]:
        with self.lock:
            return {"bytes": self.bytes, "requests": self.requests}


def make_proxy(upstream: str, port: int) -> ThreadingHTTPServer:
    target = urlsplit(upstream)
    counter = Counter()

    class Proxy(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _forward(self) -> None:
            if self.path == STATS_PATH:
                self._reply(
                    200, {"content-type": "application/json"}, orjson.dumps(counter.snapshot())
                )
                return
            length = int(self.headers.get("content-length") or 0)
            body = self.rfile.read(length) if length else None
            headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
            connection = http.client.HTTPConnection(target.hostname or "", target.port, timeout=30)
            try:
                connection.request(self.command, self.path, body=body, headers=headers)
                response = connection.getresponse()
                data = response.read()
                kept = {k: v for k, v in response.getheaders() if k.lower() not in HOP_BY_HOP}
            finally:
                connection.close()
            if self.command == "GET":
                counter.add(len(data))
            self._reply(response.status, kept, data)

        def _reply(self, status: int, headers: dict[str, str], data: bytes) -> None:
            self.send_response(status)
            head = self.command == "HEAD"
            for name, value in headers.items():
                if name.lower() != "content-length" or head:
                    self.send_header(name, value)
            if not head:
                self.send_header("content-length", str(len(data)))
            self.end_headers()
            if not head:
                self.wfile.write(data)

        do_GET = do_HEAD = do_PUT = do_POST = do_DELETE = _forward

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", port), Proxy)
    server.daemon_threads = True
    return server


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--upstream", required=True, help="e.g. http://127.0.0.1:4566")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    make_proxy(args.upstream, args.port).serve_forever()


if __name__ == "__main__":
    main()
