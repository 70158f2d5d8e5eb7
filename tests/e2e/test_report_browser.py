"""The characterization report in a real browser: headless Chromium renders the HTML that the
real local service serves at ``job/{id}/validation_result/html/``.

Chromium is driven over its DevTools protocol (``websockets``, which ``uvicorn[standard]``
already installs): the page is loaded from the service with the job's bearer token, console
messages, uncaught exceptions and log entries (failed loads included) are collected, the plot
elements' boxes are measured (``[data-plot]``) and a full-page screenshot is taken. A plot
counts as drawn when its box on the screenshot has many non-white pixels and real contrast;
a stretch of page margin is measured the same way to show the measure tells blank from drawn.

Skipped only when Chromium is not installed (Debian's ``chromium``; ``.ci/run`` installs it).

Run as a script to write the documentation's screenshot::

    python tests/e2e/test_report_browser.py docs/_static/characterization_report.png
"""

from __future__ import annotations

import contextlib
import io
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import requests

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
WIDTH = 1000  # CSS pixels; the report is at most 980 wide

pytestmark = pytest.mark.skipif(
    CHROMIUM is None,
    reason="chromium is not installed (Debian package 'chromium'; .ci/run installs it)")

CYCLE5 = {(0,): -2.5, (1,): -3.0, (2,): -3.5, (3,): -2.5, (4,): -2.5, (0, 1): 2.0,
          (0, 2): 1.0, (0, 4): 2.0, (1, 2): 4.0, (2, 3): 2.0, (3, 4): 3.0}

_BOXES = """JSON.stringify({
  height: document.documentElement.scrollHeight,
  plots: [...document.querySelectorAll('[data-plot]')].map(e => {
    const r = e.getBoundingClientRect();
    return {name: e.dataset.plot, x: r.x, y: r.y + window.scrollY, w: r.width, h: r.height};
  })})"""


class Browser:
    """One headless Chromium and one page, spoken to over the DevTools protocol."""

    def __init__(self, timeout: float = 60.0):
        from websockets.sync.client import connect

        self.timeout = timeout
        self.profile = tempfile.mkdtemp(prefix="qoro-chromium-")
        self.proc = subprocess.Popen(
            [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
             "--hide-scrollbars", "--remote-debugging-port=0", f"--user-data-dir={self.profile}",
             f"--window-size={WIDTH},800", "about:blank"],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        port = self._devtools_port()
        page = next(t for t in requests.get(f"http://127.0.0.1:{port}/json/list", timeout=10)
                    .json() if t["type"] == "page")
        self.stack = contextlib.ExitStack()
        self.ws = self.stack.enter_context(connect(page["webSocketDebuggerUrl"], max_size=None,
                                                   open_timeout=timeout))
        self.next_id = 0
        self.events: list[dict] = []
        for method in ("Page.enable", "Runtime.enable", "Log.enable", "Network.enable"):
            self.call(method)

    def _devtools_port(self) -> int:
        """The port Chromium prints as ``DevTools listening on ws://127.0.0.1:PORT/...``."""
        deadline = time.monotonic() + self.timeout
        seen = []
        while time.monotonic() < deadline:
            line = self.proc.stderr.readline()
            if not line and self.proc.poll() is not None:
                break
            seen.append(line)
            if "DevTools listening on ws://" in line:
                return int(line.split("ws://", 1)[1].split("/", 1)[0].rsplit(":", 1)[1])
        raise RuntimeError("chromium did not start its DevTools endpoint:\n" + "".join(seen[-20:]))

    def call(self, method: str, **params: Any) -> dict:
        """Send one command, keep the events that arrive before its answer, return the result."""
        self.next_id += 1
        self.ws.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        while True:
            msg = json.loads(self.ws.recv(timeout=self.timeout))
            if msg.get("id") == self.next_id:
                if "error" in msg:
                    raise RuntimeError(f"{method}: {msg['error']}")
                return msg.get("result", {})
            self.events.append(msg)

    def wait_for(self, method: str) -> None:
        if any(e.get("method") == method for e in self.events):
            return
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            msg = json.loads(self.ws.recv(timeout=self.timeout))
            self.events.append(msg)
            if msg.get("method") == method:
                return
        raise TimeoutError(method)

    def load(self, url: str, headers: dict[str, str] | None = None) -> None:
        self.events.clear()
        if headers:
            self.call("Network.setExtraHTTPHeaders", headers=headers)
        self.call("Emulation.setDeviceMetricsOverride", width=WIDTH, height=800,
                  deviceScaleFactor=1, mobile=False)
        self.call("Page.navigate", url=url)
        self.wait_for("Page.loadEventFired")

    def evaluate(self, expression: str) -> Any:
        res = self.call("Runtime.evaluate", expression=expression, returnByValue=True)
        return res["result"].get("value")

    def screenshot(self, height: int) -> np.ndarray:
        """The whole page, ``WIDTH`` x ``height`` CSS pixels, as an RGB array."""
        import base64

        from PIL import Image

        self.call("Emulation.setDeviceMetricsOverride", width=WIDTH, height=height,
                  deviceScaleFactor=1, mobile=False)
        data = self.call("Page.captureScreenshot", format="png")["data"]
        self.png = base64.b64decode(data)
        return np.asarray(Image.open(io.BytesIO(self.png)).convert("RGB"))

    def errors(self) -> list[str]:
        """Console errors and warnings, uncaught exceptions and error log entries so far."""
        out = []
        for e in self.events:
            p = e.get("params", {})
            if e.get("method") == "Runtime.consoleAPICalled" and p.get("type") in (
                    "error", "assert", "warning"):
                out.append(f"console.{p['type']}: "
                           + " ".join(str(a.get("value", a.get("description"))) for a in p["args"]))
            elif e.get("method") == "Runtime.exceptionThrown":
                d = p["exceptionDetails"]
                out.append(f"exception: {d.get('text')} "
                           f"{(d.get('exception') or {}).get('description', '')}")
            elif (e.get("method") == "Log.entryAdded"
                  and p["entry"]["level"] in ("error", "warning")
                  and not p["entry"].get("url", "").endswith("/favicon.ico")):
                # (the browser asks every origin for a favicon: not the page's request)
                out.append(f"log {p['entry']['level']}: {p['entry']['text']} "
                           f"{p['entry'].get('url', '')}")
        return out

    def close(self) -> None:
        try:
            self.stack.close()
        finally:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
            self.proc.stderr.close()
            shutil.rmtree(self.profile, ignore_errors=True)


@pytest.fixture(scope="module")
def browser():
    b = Browser()
    try:
        yield b
    finally:
        b.close()


def drawn(img: np.ndarray, box: dict) -> tuple[float, float]:
    """(share of non-white pixels, grey-level standard deviation) inside ``box``."""
    x0, y0 = int(box["x"]), int(box["y"])
    region = img[y0:y0 + int(box["h"]), x0:x0 + int(box["w"])].astype(float)
    grey = region.mean(axis=2)
    return float((grey < 245).mean()), float(grey.std())


def render_report(browser: Browser, service, job_id: str) -> tuple[np.ndarray, dict]:
    """Load the service's HTML page of ``job_id``; (screenshot, measured boxes)."""
    browser.load(f"{service.url}/job/{job_id}/validation_result/html/",
                 {"Authorization": f"Bearer {service.token}"})
    boxes = json.loads(browser.evaluate(_BOXES))
    return browser.screenshot(int(boxes["height"])), boxes


class TestReportInChromium:
    def test_plots_are_drawn_and_the_console_is_clean(self, browser, service, client,
                                                      tmp_path):
        """Test the served report: both plots drawn where their boxes are, text on the page,
        and no console error, exception or failed load."""
        from pennylane_qoro.characterization import characterize

        r = characterize(CYCLE5, ["10100"], preset="deep", client=client)
        img, boxes = render_report(browser, service, r.job_id)
        (tmp_path / "report.png").write_bytes(browser.png)
        assert browser.errors() == []
        plots = {p["name"]: p for p in boxes["plots"]}
        assert set(plots) == {"spectrum", "landscape"}, boxes
        assert plots["spectrum"]["y"] < plots["landscape"]["y"]  # the page's order
        for name, box in plots.items():
            assert box["w"] >= 600 and box["h"] >= 250, (name, box)
            assert box["x"] + box["w"] <= WIDTH and box["y"] + box["h"] <= img.shape[0]
        ink, contrast = drawn(img, plots["landscape"])
        assert ink > 0.45 and contrast > 40, (ink, contrast)  # heat map and colour scale
        ink, contrast = drawn(img, plots["spectrum"])
        assert ink > 0.08 and contrast > 25, (ink, contrast)  # bars, axes, tick labels
        margin = {"x": WIDTH - 15, "y": plots["spectrum"]["y"], "w": 15,
                  "h": plots["landscape"]["y"] + plots["landscape"]["h"]
                  - plots["spectrum"]["y"]}
        assert drawn(img, margin) == (0.0, 0.0)  # blank measures blank
        text = browser.evaluate("document.body.innerText")
        for words in ("optimum energy", "concentration ratio", "Hardness index 17/100",
                      "number of states (log scale)", "<C>, lower is better"):
            assert words in text, words

    def test_the_error_collector_sees_console_errors_and_failed_loads(self, browser):
        """Test the check above can fail: a page with a console error, an uncaught exception
        and a missing image is reported."""
        page = ("<p>x</p><img src='http://127.0.0.1:9/missing.png'><script>"
                "console.error('marker-error'); undefinedFunction();</script>")
        browser.load("data:text/html," + requests.utils.quote(page))
        time.sleep(0.5)  # the failed load is logged after the load event
        browser.evaluate("1")
        found = "\n".join(browser.errors())
        assert "marker-error" in found and "undefinedFunction" in found
        assert "missing.png" in found or "ERR_" in found


def main(out: str) -> None:
    """Write the documentation's screenshot of the report (the CYCLE5 worked example)."""
    from pennylane_qoro.characterization import characterize
    from pennylane_qoro.client import QoroClient
    from pennylane_qoro.local import serve

    with serve() as svc, QoroClient(svc.url, api_key=svc.token, progress=False) as client:
        r = characterize(CYCLE5, ["10100"], preset="deep", client=client)
        b = Browser()
        try:
            render_report(b, svc, r.job_id)
            assert b.errors() == [], b.errors()
            Path(out).write_bytes(b.png)
        finally:
            b.close()
    print(f"screenshot written: {out}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "docs/_static/characterization_report.png")
