"""Take the README's screenshots of the customer portal from a running Odoo, in headless Chromium.

    .venv/bin/python tools/portal_screenshots.py --url http://127.0.0.1:8069 --db crm_relationship_demo \\
        --login giulia --password giulia

Logs in as the portal user through ``/web/session/authenticate`` (JSON-RPC),
starts ``chromium --headless=new`` with a DevTools port, hands it the session
cookie (``Network.setCookie``) and saves 1280-pixel-wide pictures of the whole
pages under docs/screenshots/: the portal's home, My equipment, a unit, the "Report a
problem" form and a request. Needs the Python package ``websocket-client`` and
Debian's ``chromium``; only the standard library otherwise.
"""

import argparse
import base64
import http.cookiejar
import json
import pathlib
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request

import websocket

ROOT = pathlib.Path(__file__).resolve().parent.parent
WIDTH = 1280
HEIGHT = 900


class OdooSession:
    """A logged-in HTTP session on the Odoo server (the portal user's cookie)."""

    def __init__(self, url, db, login, password):
        self.url = url.rstrip("/")
        self.cookies = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.cookies))
        payload = {
            "jsonrpc": "2.0",
            "method": "call",
            "id": 1,
            "params": {"db": db, "login": login, "password": password},
        }
        request = urllib.request.Request(
            f"{self.url}/web/session/authenticate",
            data=json.dumps(payload).encode(),
            headers={"Content-Type": "application/json"},
        )
        with self.opener.open(request, timeout=60) as response:
            answer = json.load(response)
        if answer.get("error") or not (answer.get("result") or {}).get("uid"):
            raise SystemExit(f"Login of {login} on {db} refused: {answer.get('error') or answer}")
        self.session_id = next((c.value for c in self.cookies if c.name == "session_id"), None)
        if not self.session_id:
            raise SystemExit("The server set no session cookie.")

    def get(self, path):
        with self.opener.open(f"{self.url}{path}", timeout=60) as response:
            return response.read().decode()

    def request_with_messages(self):
        """The latest request of the user (by reference) whose page shows messages, else the latest one."""
        page = self.get("/my/requests?sortby=name")
        ids = [int(found) for found in re.findall(r'href="/my/requests/(\d+)"', page)]
        if not ids:
            raise SystemExit("The user has no request: is the demo data installed for this user?")
        for request_id in ids:
            if 'o_crm_portal_message"' in self.get(f"/my/requests/{request_id}"):
                return request_id
        return ids[0]

    def first_id(self, path, pattern):
        """The first id matching ``pattern`` (a regular expression with one group) in the page ``path``."""
        match = re.search(pattern, self.get(path))
        if not match:
            raise SystemExit(f"Nothing found in {path}: is the demo data installed for this user?")
        return int(match.group(1))


class Chromium:
    """A headless Chromium driven through the DevTools protocol."""

    def __init__(self, binary, port):
        self.profile = tempfile.mkdtemp(prefix="portal-screenshots-")
        self.process = subprocess.Popen(
            [
                binary,
                "--headless=new",
                f"--remote-debugging-port={port}",
                f"--user-data-dir={self.profile}",
                f"--window-size={WIDTH},{HEIGHT}",
                "--no-sandbox",
                "--disable-gpu",
                "--hide-scrollbars",
                "--no-first-run",
                "--disable-extensions",
                "about:blank",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self.socket = websocket.create_connection(self._page_websocket(port), timeout=60)
        self.message_id = 0
        self.events = []

    def _page_websocket(self, port):
        deadline = time.time() + 30
        while time.time() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=2) as response:
                    pages = [target for target in json.load(response) if target["type"] == "page"]
                if pages:
                    return pages[0]["webSocketDebuggerUrl"]
            except OSError:
                pass
            time.sleep(0.2)
        self.close()
        raise SystemExit(f"Chromium did not open its DevTools port {port}.")

    def send(self, method, **params):
        """Call a DevTools method and return its result; events received meanwhile are kept."""
        self.message_id += 1
        self.socket.send(json.dumps({"id": self.message_id, "method": method, "params": params}))
        while True:
            message = json.loads(self.socket.recv())
            if message.get("id") == self.message_id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})
            self.events.append(message)

    def wait_event(self, method, timeout=60):
        deadline = time.time() + timeout
        while time.time() < deadline:
            for index, event in enumerate(self.events):
                if event.get("method") == method:
                    return self.events.pop(index)
            self.socket.settimeout(max(deadline - time.time(), 0.1))
            try:
                self.events.append(json.loads(self.socket.recv()))
            except websocket.WebSocketTimeoutException:
                break
        raise RuntimeError(f"No {method} within {timeout} s")

    def evaluate(self, expression):
        result = self.send("Runtime.evaluate", expression=expression, awaitPromise=True, returnByValue=True)
        return result.get("result", {}).get("value")

    def wait_for(self, selector, timeout=20):
        """Wait until an element matching ``selector`` is displayed."""
        check = (
            f"(() => {{ const el = document.querySelector({json.dumps(selector)}); "
            "return !!(el && el.offsetParent); })()"
        )
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.evaluate(check):
                return
            time.sleep(0.2)
        raise RuntimeError(f"{selector} is not displayed after {timeout} s")

    def open(self, url, selector):
        self.events.clear()
        self.send("Page.navigate", url=url)
        self.wait_event("Page.loadEventFired")
        self.wait_for(selector)
        # web fonts and pictures
        self.evaluate("document.fonts.ready.then(() => true)")
        time.sleep(0.5)

    def screenshot(self, path):
        """Save the whole page, 1280 pixels wide."""
        height = self.evaluate("Math.ceil(document.documentElement.scrollHeight)") or HEIGHT
        self.send(
            "Emulation.setDeviceMetricsOverride",
            width=WIDTH,
            height=height,
            deviceScaleFactor=1,
            mobile=False,
        )
        time.sleep(0.3)
        data = self.send("Page.captureScreenshot", format="png", captureBeyondViewport=True)["data"]
        self.send(
            "Emulation.setDeviceMetricsOverride",
            width=WIDTH,
            height=HEIGHT,
            deviceScaleFactor=1,
            mobile=False,
        )
        path.write_bytes(base64.b64decode(data))

    def close(self):
        try:
            if getattr(self, "socket", None):
                self.socket.close()
        finally:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
            shutil.rmtree(self.profile, ignore_errors=True)


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--url", default="http://127.0.0.1:8069", help="URL of the running Odoo")
    parser.add_argument("--db", required=True, help="database with the demo data")
    parser.add_argument("--login", default="portal")
    parser.add_argument("--password", default="portal")
    parser.add_argument("--out", type=pathlib.Path, default=ROOT / "docs" / "images")
    parser.add_argument("--port", type=int, default=9333, help="Chromium's DevTools port")
    parser.add_argument("--chromium", default="chromium")
    parser.add_argument(
        "--serial", default="", help="show only the units whose serial number contains this text"
    )
    args = parser.parse_args()

    session = OdooSession(args.url, args.db, args.login, args.password)
    query = {"sortby": "serial"}
    if args.serial:
        query.update(search=args.serial, search_in="serial")
    search = urllib.parse.urlencode(query)
    equipment_list = f"/my/equipment?{search}"
    unit_id = session.first_id(equipment_list, r'href="/my/equipment/(\d+)"')
    request_id = session.request_with_messages()
    shots = [
        ("portal_home.png", "/my", ".o_portal_index_card a[href='/my/equipment']"),
        ("portal_equipment_list.png", equipment_list, ".o_crm_portal_equipment_row"),
        ("portal_equipment.png", f"/my/equipment/{unit_id}", ".o_crm_portal_equipment"),
        (
            "portal_report_problem.png",
            f"/my/requests/new?equipment_id={unit_id}",
            ".o_crm_portal_report_form",
        ),
        ("portal_request.png", f"/my/requests/{request_id}", ".o_crm_portal_message"),
    ]
    args.out.mkdir(parents=True, exist_ok=True)
    browser = Chromium(args.chromium, args.port)
    try:
        browser.send("Page.enable")
        browser.send("Network.enable")
        browser.send(
            "Network.setCookie",
            name="session_id",
            value=session.session_id,
            url=session.url,
            path="/",
            httpOnly=True,
        )
        browser.send(
            "Emulation.setDeviceMetricsOverride",
            width=WIDTH,
            height=HEIGHT,
            deviceScaleFactor=1,
            mobile=False,
        )
        for file_name, path, selector in shots:
            browser.open(f"{session.url}{path}", selector)
            if file_name == "portal_report_problem.png":
                browser.evaluate(
                    "document.querySelector('textarea[name=description]').value = "
                    + json.dumps("Il display mostra l'errore E04 e la caldaia si blocca più volte al giorno.")
                )
            browser.screenshot(args.out / file_name)
            print(args.out / file_name, file=sys.stderr)
    finally:
        browser.close()


if __name__ == "__main__":
    main()
