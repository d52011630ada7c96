"""A real HTTP server on a loopback port that serves a folder, with faults injected on request.

It speaks HTTP/1.1 with keep-alive, sends ``ETag`` and ``Last-Modified`` and answers conditional
requests with 304, like nginx or a bucket would. ``faults`` scripts what a path answers: a list of
actions used one per request, then ``then`` for every later request:

- ``ok`` — the file; ``429`` — Too Many Requests with ``Retry-After: 1``; ``500`` — an error;
- ``stall`` — no answer until the test ends (the client's timeout fires);
- ``truncate`` — half the body of a longer ``Content-Length``, then the connection closes;
- ``redirect:/other/path`` — 302 to another path; ``html`` — a 200 with ``text/html``;
- ``notjson`` — 200 ``application/json`` that is not JSON; ``ogc`` — an OGC API record (JSON,
  but not STAC: no ``stac_version``).

Paths under ``/_moved/`` serve the same files as without the prefix (a redirect target). Every
request is logged with its status and body size, for asserting what was transferred.
"""

from __future__ import annotations

import email.utils
import gzip
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

import orjson

MOVED = "/_moved"
OGC_RECORD = {
    "id": "record-1",
    "type": "Feature",
    "conformsTo": ["http://www.opengis.net/spec/ogcapi-records-1/1.0/conf/record-core"],
    "properties": {"type": "dataset", "title": "Not a STAC item"},
    "geometry": None,
    "links": [],
}


@dataclass
class Script:
    """What one path answers: ``actions`` in turn, then ``then`` forever."""

    actions: list[str] = field(default_factory=list)
    then: str = "ok"

    def next(self) -> str:
        return self.actions.pop(0) if self.actions else self.then


@dataclass(frozen=True)
class Logged:
    method: str
    path: str
    status: int
    body_bytes: int


class FixtureServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128  # the default 5 drops connections from a concurrent crawler

    def __init__(self, root: Path, faults: dict[str, Script], *, gzip_bodies: bool) -> None:
        super().__init__(("127.0.0.1", 0), partial(_Handler, directory=root))
        self.root = root
        self.faults = faults
        self.gzip_bodies = gzip_bodies
        self.log: list[Logged] = []
        self.release = threading.Event()
        self.lock = threading.Lock()
        self.active = 0
        self.max_active = 0

    def handle_error(self, request: object, client_address: object) -> None:
        return None  # clients that time out drop their connections: not worth a traceback

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def action(self, path: str) -> str:
        with self.lock:
            script = self.faults.get(path)
            return script.next() if script else "ok"

    def record(self, entry: Logged) -> None:
        with self.lock:
            self.log.append(entry)

    def enter(self) -> None:
        with self.lock:
            self.active += 1
            self.max_active = max(self.max_active, self.active)

    def leave(self) -> None:
        with self.lock:
            self.active -= 1


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    # Responses are buffered and sent after do_GET returns, i.e. after ``leave()``: so a client
    # cannot see its answer (and send its next request) while the request still counts as
    # active, and ``max_active`` is exactly the client's concurrency, not a timing accident.
    wbufsize = 1024 * 1024
    server: FixtureServer

    def __init__(self, *args: object, directory: Path, **kwargs: object) -> None:
        self.directory = directory
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]

    def log_message(self, format: str, *args: object) -> None:
        return None

    def do_GET(self) -> None:
        self.server.enter()
        try:
            self._answer()
        finally:
            self.server.leave()

    def do_POST(self) -> None:
        self.send_error(405)

    def _answer(self) -> None:
        path = unquote(urlsplit(self.path).path)
        action = self.server.action(path)
        if action.startswith("redirect:"):
            self._send(302, b"", {"Location": action.removeprefix("redirect:")})
        elif action in ("429", "500"):
            headers = {"Retry-After": "1"} if action == "429" else {}
            self._send(int(action), b'{"code": "busy"}', headers)
        elif action == "stall":
            self.server.release.wait(30)
            self.close_connection = True
        elif action == "html":
            self._send(200, b"<html>login</html>", {"Content-Type": "text/html"})
        elif action == "notjson":
            self._send(200, b"<html>not json", {})
        elif action == "ogc":
            self._send(200, orjson.dumps(OGC_RECORD), {})
        else:
            self._file(path, truncate=action == "truncate")

    def _file(self, path: str, *, truncate: bool) -> None:
        local = self.directory / path.removeprefix(MOVED).lstrip("/")
        if ".." in Path(path).parts or not local.is_file():
            self._send(404, b'{"code": "NotFound"}', {})
            return
        stat = local.stat()
        etag = f'"{stat.st_mtime_ns:x}-{stat.st_size:x}"'
        modified = email.utils.formatdate(stat.st_mtime, usegmt=True)
        validators = {"ETag": etag, "Last-Modified": modified}
        if self._not_modified(etag, stat.st_mtime):
            self._send(304, b"", validators)
            return
        body = local.read_bytes()
        if truncate:
            self._truncated(body)
            return
        if self.server.gzip_bodies and "gzip" in self.headers.get("Accept-Encoding", ""):
            validators["Content-Encoding"] = "gzip"
            body = gzip.compress(body)
        self._send(200, body, validators)

    def _not_modified(self, etag: str, mtime: float) -> bool:
        if "If-None-Match" in self.headers:
            return self.headers["If-None-Match"] == etag
        since = self.headers.get("If-Modified-Since")
        if not since:
            return False
        parsed = email.utils.parsedate_to_datetime(since)
        return int(mtime) <= parsed.timestamp()

    def _truncated(self, body: bytes) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body[: len(body) // 2])
        self.server.record(Logged(self.command, self.path, 200, len(body) // 2))
        self.close_connection = True

    def _send(self, status: int, body: bytes, headers: dict[str, str]) -> None:
        self.send_response(status)
        if status != 304:
            headers = {"Content-Type": "application/json", **headers}
            headers["Content-Length"] = str(len(body))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        if status != 304:
            self.wfile.write(body)
        self.server.record(
            Logged(self.command, self.path, status, 0 if status == 304 else len(body))
        )


@contextmanager
def serve_folder(
    root: Path, faults: dict[str, Script] | None = None, *, gzip_bodies: bool = False
) -> Iterator[FixtureServer]:
    """Serve ``root`` on a free loopback port until the block ends."""
    server = FixtureServer(root, faults or {}, gzip_bodies=gzip_bodies)
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.release.set()
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
