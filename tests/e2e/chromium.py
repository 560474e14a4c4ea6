"""A minimal headless-Chromium driver over the Chrome DevTools Protocol (a websocket), so browser tests
need only Debian's `chromium` and the small `websockets` package: no Playwright, no browser download."""

from __future__ import annotations

import itertools
import json
import re
import shutil
import subprocess
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from websockets.sync.client import ClientConnection, connect

FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--remote-debugging-port=0",
         "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run",
         "--disable-dev-shm-usage", "--no-default-browser-check")


def executable() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


class Browser:
    """One Chromium process and one page (tab), driven through the browser's DevTools websocket."""

    def __init__(self, profile: Path, timeout: float = 30.0) -> None:
        binary = executable()
        if binary is None:
            raise RuntimeError("chromium not found")
        self.timeout = timeout
        self.log = profile / "chromium.log"
        with self.log.open("w") as log:
            self.proc = subprocess.Popen([binary, *FLAGS, f"--user-data-dir={profile / 'profile'}", "about:blank"],
                                         stdout=subprocess.DEVNULL, stderr=log)
        self._stack = ExitStack()
        self.ws: ClientConnection = self._stack.enter_context(
            connect(self._devtools_url(), max_size=None, open_timeout=timeout))
        self._ids = itertools.count(1)
        target = self.send("Target.createTarget", url="about:blank")["targetId"]
        self.session = self.send("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
        self.send("Page.enable", page=True)

    def _devtools_url(self) -> str:
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            found = re.search(r"DevTools listening on (ws://\S+)", self.log.read_text())
            if found:
                return found.group(1)
            if self.proc.poll() is not None:
                raise RuntimeError(f"chromium exited: {self.log.read_text()[-2000:]}")
            time.sleep(0.05)
        raise RuntimeError("chromium printed no DevTools URL")

    def send(self, method: str, *, page: bool = False, **params: Any) -> dict[str, Any]:
        """One DevTools command (to the page's session when ``page``); events in between are skipped."""
        message_id = next(self._ids)
        message: dict[str, Any] = {"id": message_id, "method": method, "params": params}
        if page:
            message["sessionId"] = self.session
        self.ws.send(json.dumps(message))
        while True:
            reply = json.loads(self.ws.recv(timeout=self.timeout))
            if reply.get("id") == message_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})

    def evaluate(self, expression: str) -> Any:
        result = self.send("Runtime.evaluate", page=True, expression=expression, returnByValue=True,
                           awaitPromise=True)
        if "exceptionDetails" in result:
            raise RuntimeError(f"{expression}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def wait_for(self, expression: str, timeout: float | None = None) -> Any:
        """Poll a JavaScript expression until it is truthy (pages load and navigate on their own time).
        Return plain values: a DOM node comes back as ``{}`` (falsy here), so test it with ``!!``."""
        deadline = time.monotonic() + (timeout or self.timeout)
        while time.monotonic() < deadline:
            try:
                value = self.evaluate(expression)
            except RuntimeError:  # the page is navigating: its context went away mid-call
                value = None
            if value:
                return value
            time.sleep(0.05)
        raise AssertionError(f"timed out waiting for {expression!r} on {self.evaluate('location.href')}")

    def goto(self, url: str) -> None:
        self.send("Page.navigate", page=True, url=url)
        self.wait_for(f"location.href.startsWith({json.dumps(url)}) && document.readyState === 'complete'")

    def type_into(self, selector: str, text: str) -> None:
        """Focus a field and type into it as a keyboard would (Input.insertText), not by setting .value."""
        self.evaluate(f"document.querySelector({json.dumps(selector)}).focus()")
        self.send("Input.insertText", page=True, text=text)

    def click(self, selector: str) -> None:
        """A real mouse click at the element's centre."""
        box = self.evaluate(f"(() => {{ const e = document.querySelector({json.dumps(selector)}); "
                            "e.scrollIntoView({block: 'center'}); const r = e.getBoundingClientRect(); "
                            "return [r.x + r.width / 2, r.y + r.height / 2]; })()")
        for kind in ("mousePressed", "mouseReleased"):
            self.send("Input.dispatchMouseEvent", page=True, type=kind, x=box[0], y=box[1], button="left",
                      clickCount=1)

    def text(self) -> str:
        return str(self.evaluate("document.body ? document.body.innerText : ''"))

    def close(self) -> None:
        try:
            self._stack.close()
        finally:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
