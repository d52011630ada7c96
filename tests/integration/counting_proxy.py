"""A transparent HTTP proxy on loopback that counts the bytes an S3 server sends to clients.

Signed URLs point at this proxy; it forwards each request unchanged (the ``Host`` header too, so
SigV4 signatures still verify upstream), streams each response back and adds up the body bytes
the client accepted before it finished or hung up. Tests read the count at
``GET /__proxy__/stats`` to show that a COG reader fetched only part of a file.

It runs as its own process (``python -m tests.integration.counting_proxy --upstream URL --port
N``): GDAL holds the GIL during HTTP, so a server in the test process could deadlock.
``--delay-ms`` holds each request that long before forwarding it: a store's round trip on
loopback, for benchmarks that compare clients which wait on it differently.
"""

from __future__ import annotations

import argparse
import http.client
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

import orjson

STATS_PATH = "/__proxy__/stats"
CHUNK = 16 * 1024
SEND_BUFFER = 16 * 1024
HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade"}


class Counter:
    """Body bytes the clients accepted: in all, and in 206 (range) answers."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.bytes = 0
        self.range_bytes = 0
        self.log: list[str] = []

    def add(self, line: str, status: int, size: int) -> None:
        with self.lock:
            self.bytes += size
            self.range_bytes += size if status == 206 else 0
            self.log.append(line)

    def snapshot(self) -> dict[str, Any]:
        with self.lock:
            return {
                "bytes": self.bytes,
                "range_bytes": self.range_bytes,
                "requests": len(self.log),
                "log": self.log[-50:],
            }


class Proxy(BaseHTTPRequestHandler):
    """Forwards to ``upstream`` and counts into ``counter`` (both set by :func:`make_proxy`)."""

    protocol_version = "HTTP/1.1"
    upstream = urlsplit("http://127.0.0.1:4566")
    counter = Counter()
    delay = 0.0

    def setup(self) -> None:
        # A small send buffer, so that bytes "sent" are close to bytes the client took: a client
        # that stops reading (GDAL ends a GET once it has the headers) stops the flow.
        self.request.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, SEND_BUFFER)
        super().setup()

    def forward(self) -> None:
        if self.path == STATS_PATH:
            self._stats()
            return
        length = int(self.headers.get("content-length") or 0)
        body = self.rfile.read(length) if length else None
        if self.delay:
            time.sleep(self.delay)  # a store's round trip (--delay-ms), not a wait for an event
        headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
        target = self.upstream
        connection = http.client.HTTPConnection(target.hostname or "", target.port, timeout=30)
        try:
            connection.request(self.command, self.path, body=body, headers=headers)
            response = connection.getresponse()
            sent = self._relay(response)
        finally:
            connection.close()
        wanted = self.headers.get("range") or "whole"
        line = f"{self.command} {wanted} -> {response.status} {sent}"
        self.counter.add(line, response.status, sent)

    do_GET = do_HEAD = do_PUT = do_POST = do_DELETE = forward

    def _relay(self, response: http.client.HTTPResponse) -> int:
        """Pass the response on chunk by chunk; returns the body bytes the client accepted."""
        kept = {k: v for k, v in response.getheaders() if k.lower() not in HOP_BY_HOP}
        if "content-length" in {k.lower() for k in kept}:
            chunks = iter(lambda: response.read(CHUNK), b"")
        else:
            data = response.read()
            kept["content-length"] = str(len(data))
            chunks = iter([data])
        self.send_response(response.status)
        for name, value in kept.items():
            self.send_header(name, value)
        self.end_headers()
        if self.command == "HEAD":
            return 0
        sent = 0
        try:
            for chunk in chunks:
                self.wfile.write(chunk)
                sent += len(chunk)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True  # the client hung up: stop, as S3 would
        return sent

    def _stats(self) -> None:
        data = orjson.dumps(self.counter.snapshot())
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        pass


def make_proxy(upstream: str, port: int, delay_ms: float = 0.0) -> ThreadingHTTPServer:
    bound = {"upstream": urlsplit(upstream), "counter": Counter(), "delay": delay_ms / 1000}
    handler = type("BoundProxy", (Proxy,), bound)
    server = ThreadingHTTPServer(("127.0.0.1", port), handler)
    server.daemon_threads = True
    return server


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--upstream", required=True, help="e.g. http://127.0.0.1:4566")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--delay-ms", type=float, default=0.0, help="held before forwarding")
    args = parser.parse_args()
    make_proxy(args.upstream, args.port, args.delay_ms).serve_forever()


if __name__ == "__main__":
    main()
