"""Serve a folder over HTTP/1.1 with keep-alive: the standard library's file server, configured
as a production server would be (persistent connections, no Nagle delay, buffered writes so a
small response is one packet, a real listen backlog, no per-request logging).
Run as ``python bench/static_server.py FOLDER PORT``."""

from __future__ import annotations

import sys
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer


class _Handler(SimpleHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    wbufsize = 64 * 1024  # headers and a small body leave in one write, at the request's end

    def log_message(self, format: str, *args: object) -> None:
        return None


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128


def main() -> None:
    folder, port = sys.argv[1], int(sys.argv[2])
    server = _Server(("127.0.0.1", port), partial(_Handler, directory=folder))
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
