"""Headless Chromium driven over the Chrome DevTools Protocol (CDP), for browser tests.

One browser process per test session, one websocket to it; each page is a target attached in
"flat" mode, so commands carry a ``sessionId``. Waiting is done by evaluating a JavaScript
condition in the page until it holds or a deadline passes (never by sleeping a fixed time).
Console errors and uncaught exceptions of each page are kept, for asserting a clean page.
"""

from __future__ import annotations

import itertools
import shutil
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
from websockets.sync.client import ClientConnection, connect

STARTUP_SECONDS = 30.0
WAIT_SECONDS = 30.0
POLL_SECONDS = 0.1
KEYS = {"Enter": (13, "\r"), "Tab": (9, "\t"), "Escape": (27, "")}
FLAGS = (
    "--headless",
    "--no-sandbox",  # CI runs as root
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-extensions",
    "--disable-background-networking",
    "--disable-component-update",
    "--window-size=1280,1024",
)


class BrowserError(RuntimeError):
    """Chromium failed to start, a CDP command failed, or a page condition did not come true."""


def executable() -> str | None:
    """Debian's ``chromium`` (apt package ``chromium``), if installed."""
    return shutil.which("chromium")


@dataclass
class Browser:
    """A CDP connection to a running Chromium; events are filed by session as they arrive."""

    socket: ClientConnection
    ids: Iterator[int] = field(default_factory=itertools.count)
    events: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    def call(self, method: str, params: dict[str, Any] | None = None, session: str = "") -> Any:
        """Send one command and return its result, filing the events received meanwhile."""
        ident = next(self.ids)
        message: dict[str, Any] = {"id": ident, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        self.socket.send(orjson.dumps(message).decode())
        while True:
            reply = orjson.loads(self.socket.recv(timeout=WAIT_SECONDS))
            if reply.get("id") != ident:
                self.events.setdefault(reply.get("sessionId", ""), []).append(reply)
            elif "error" in reply:
                raise BrowserError(f"{method}: {reply['error']}")
            else:
                return reply["result"]

    @contextmanager
    def page(self) -> Iterator[Page]:
        """A new tab, closed afterwards."""
        target = self.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self.call("Target.attachToTarget", {"targetId": target, "flatten": True})
        page = Page(self, session["sessionId"])
        try:
            page.call("Runtime.enable")
            page.call("Page.enable")
            yield page
        finally:
            self.call("Target.closeTarget", {"targetId": target})


@dataclass
class Page:
    """One tab: navigate, evaluate JavaScript, wait for conditions, read errors."""

    browser: Browser
    session: str

    def call(self, method: str, params: dict[str, Any] | None = None) -> Any:
        return self.browser.call(method, params, self.session)

    def goto(self, url: str) -> None:
        result = self.call("Page.navigate", {"url": url})
        if "errorText" in result:
            raise BrowserError(f"{url}: {result['errorText']}")

    def evaluate(self, expression: str) -> Any:
        """The value of a JavaScript expression (promises awaited), or BrowserError if it threw."""
        result = self.call(
            "Runtime.evaluate",
            {"expression": expression, "returnByValue": True, "awaitPromise": True},
        )
        if "exceptionDetails" in result:
            raise BrowserError(f"{expression}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def wait_for(self, condition: str, what: str, seconds: float = WAIT_SECONDS) -> Any:
        """Poll ``condition`` until it is truthy and return its value; explain a timeout."""
        deadline = time.monotonic() + seconds
        while True:
            value = self.evaluate(condition)
            if value:
                return value
            if time.monotonic() > deadline:
                raise BrowserError(
                    f"timed out waiting for {what}; the page shows:\n{self.text()[:2000]}\n"
                    f"errors: {self.errors()}"
                )
            time.sleep(POLL_SECONDS)  # polling a condition, not timing anything

    def type(self, selector: str, text: str) -> None:
        """Focus the element matching ``selector`` and type ``text`` as keystrokes would."""
        self.wait_for(f"!!{_find(selector)}", selector)
        self.evaluate(f"{_find(selector)}.focus()")
        self.call("Input.insertText", {"text": text})

    def press(self, key: str) -> None:
        """Press and release a named key (``Enter``, ``Tab``, …) in the focused element."""
        code, text = KEYS[key]
        event = {"key": key, "code": key, "windowsVirtualKeyCode": code}
        self.call("Input.dispatchKeyEvent", {**event, "type": "keyDown", "text": text})
        self.call("Input.dispatchKeyEvent", {**event, "type": "keyUp"})

    def click(self, selector: str, text: str = "") -> None:
        """Click with the mouse on the first element matching ``selector`` (and showing ``text``)
        once it is there, not moving, and not covered, as a person would."""
        found = _find(selector, text)
        where = f"""(() => {{
            const e = {found};
            if (!e) return null;
            e.scrollIntoView({{block: 'center'}});
            const r = e.getBoundingClientRect();
            const [x, y] = [r.x + r.width / 2, r.y + r.height / 2];
            return e.contains(document.elementFromPoint(x, y)) ? [x, y] : null;
        }})()"""
        what = f"{selector} showing {text!r}" if text else selector
        before, deadline = None, time.monotonic() + WAIT_SECONDS
        while (point := self.wait_for(where, f"{what} to be clickable")) != before:
            if time.monotonic() > deadline:
                raise BrowserError(f"{what} kept moving for {WAIT_SECONDS}s")
            before = point  # moved since the last look (an animation): look again
            time.sleep(POLL_SECONDS)  # polling a condition, not timing anything
        for kind in ("mousePressed", "mouseReleased"):
            self.call(
                "Input.dispatchMouseEvent",
                {"type": kind, "x": point[0], "y": point[1], "button": "left", "clickCount": 1},
            )

    def text(self) -> str:
        return str(self.evaluate("document.body ? document.body.innerText : ''"))

    def errors(self) -> list[str]:
        """Console errors and uncaught exceptions of this page so far."""
        found = []
        for event in self.browser.events.get(self.session, []):
            params = event.get("params", {})
            if event.get("method") == "Runtime.exceptionThrown":
                details = params["exceptionDetails"]
                found.append(str(details.get("exception", {}).get("description", details)))
            elif event.get("method") == "Runtime.consoleAPICalled" and params["type"] == "error":
                found.append(
                    " ".join(str(a.get("value", a.get("description"))) for a in params["args"])
                )
        return found


def _find(selector: str, text: str = "") -> str:
    """JavaScript for the first element matching ``selector`` whose text contains ``text``."""
    within = f"e => e.innerText.includes({literal(text)})"
    return f"[...document.querySelectorAll({literal(selector)})].find({within})"


def literal(value: str) -> str:
    """A Python string as a JavaScript string literal."""
    return orjson.dumps(value).decode()


@contextmanager
def launch(profile: Path, log: Path) -> Iterator[Browser]:
    """Start headless Chromium with a fresh profile on a free port; stop it afterwards."""
    binary = executable()
    if binary is None:
        raise BrowserError("chromium is not installed (apt-get install chromium)")
    profile.mkdir(parents=True, exist_ok=True)
    (profile / "DevToolsActivePort").unlink(missing_ok=True)  # a stale one from a reused profile
    with log.open("wb") as output:
        process = subprocess.Popen(
            [binary, *FLAGS, f"--user-data-dir={profile}", "--remote-debugging-port=0"],
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        with connect(_websocket_url(profile, process), max_size=None) as socket:
            yield Browser(socket)
    finally:
        process.terminate()
        process.wait(timeout=30)


def _websocket_url(profile: Path, process: subprocess.Popen[bytes]) -> str:
    """Chromium writes its chosen port and browser path to ``DevToolsActivePort`` when ready."""
    announced = profile / "DevToolsActivePort"
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise BrowserError(f"chromium exited with {process.returncode}")
        lines = announced.read_text().split() if announced.exists() else []
        if len(lines) == 2:
            return f"ws://127.0.0.1:{lines[0]}{lines[1]}"
        time.sleep(POLL_SECONDS)  # polling for readiness, not timing anything
    raise BrowserError(f"chromium did not announce its DevTools port in {STARTUP_SECONDS}s")
