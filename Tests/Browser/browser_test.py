"""Browser tests of client.js, the console page and the multiplexed stream, in headless Chromium.

Written to the Tauri plugin's API alone (connect, addListener, send, disconnect): a page imports
client.js from the gateway and drives real upstreams on loopback, served here by the Python
`websockets` library. The gateway is the built executable; the page reaches it through a TCP
proxy that can cut every connection, as a network blip would.

    python3 browser_test.py --wsgate PATH/TO/wsgate --artifacts DIR [unittest arguments]

Needs chromium and chromedriver (Debian's `chromium`, `chromium-driver`) and pip's `selenium`
and `websockets`. Only loopback addresses are used.
"""

import argparse
import asyncio
import http.server
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import urllib.parse

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait
from websockets.asyncio.server import serve
from websockets.http11 import Response
from websockets.datastructures import Headers

ARGS = None
# Set on the upstream's loop to let `/count?hold=K` send on past message K.
COUNT_RESUMED = None


def start_gateway(*arguments, environment=None):
    """Starts the built gateway on a port of the system's choosing, and returns it with its URL
    once it listens, which it tells through systemd's readiness notification."""
    directory = tempfile.mkdtemp()
    path = os.path.join(directory, "notify")
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as notify:
            notify.bind(path)
            notify.settimeout(30)
            process = subprocess.Popen(
                [ARGS.wsgate, *arguments, "--listen", "127.0.0.1:0", "--log-level", "warning"],
                env={**os.environ, **(environment or {}), "NOTIFY_SOCKET": path},
            )
            try:
                # READY=1\nSTATUS=Listening on 127.0.0.1:PORT
                ready = notify.recv(4096).decode()
            except OSError:
                process.kill()
                raise
    finally:
        if os.path.exists(path):
            os.unlink(path)
        os.rmdir(directory)
    port = re.search(r"Listening on 127\.0\.0\.1:(\d+)", ready)
    if port is None:
        process.kill()
        raise RuntimeError(f"the gateway's readiness notification was {ready!r}")
    return process, f"http://127.0.0.1:{port.group(1)}"


class BackgroundLoop:
    """An asyncio loop on a thread of its own, for the upstream and the proxy."""

    def __init__(self):
        self.loop = asyncio.new_event_loop()
        threading.Thread(target=self.loop.run_forever, daemon=True).start()

    def run(self, coroutine):
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout=30)


async def upstream_handler(websocket):
    """The upstream's paths: /echo, /ping, /burst?n=N, /count?n=N[&hold=K] (paced; with hold, it
    waits after message K until COUNT_RESUMED is set)."""
    path, _, query = websocket.request.path.partition("?")
    parameters = dict(urllib.parse.parse_qsl(query))
    count = int(parameters.get("n", 0))
    if path == "/ping":
        await websocket.ping(b"\x01\x02")
    elif path == "/burst":
        for i in range(1, count + 1):
            await websocket.send(str(i))
    elif path == "/count":
        hold = int(parameters.get("hold", count))
        for i in range(1, count + 1):
            if i == hold + 1:
                await COUNT_RESUMED.wait()
            await websocket.send(str(i))
            if i % 10 == 0:
                await asyncio.sleep(0.005)
    async for message in websocket:
        if message == "close me":
            await websocket.close(4000, "bye")
            return
        await websocket.send(message)


def refuse_some(connection, request):
    """Refuses the handshake on /refuse with 403."""
    if request.path == "/refuse":
        return Response(403, "Forbidden", Headers([("Content-Length", "0")]), b"")
    return None


class CuttableProxy:
    """A TCP proxy to the gateway that `cut()` breaks as a network link that goes away and comes
    back does: what the gateway sends is lost for a moment, every open connection closes, and
    new ones are refused for a while."""

    def __init__(self, loop, target_port):
        self.loop = loop
        self.target_port = target_port
        self.writers = set()
        self.refusing_until = 0
        self.losing = False
        loop.run(self.start())

    async def start(self):
        self.server = await asyncio.start_server(self.accept, "127.0.0.1", 0)
        self.port = self.server.sockets[0].getsockname()[1]

    async def accept(self, client_reader, client_writer):
        if time.monotonic() < self.refusing_until:
            client_writer.close()
            return
        try:
            gateway_reader, gateway_writer = await asyncio.open_connection("127.0.0.1", self.target_port)
        except OSError:
            client_writer.close()
            return
        pair = (client_writer, gateway_writer)
        self.writers.add(pair)

        async def pipe(reader, writer, toward_client):
            try:
                while data := await reader.read(65536):
                    if toward_client and self.losing:
                        continue  # sent by the gateway, never received by the client
                    writer.write(data)
                    await writer.drain()
            except (ConnectionError, asyncio.CancelledError):
                pass
            finally:
                writer.close()

        await asyncio.gather(pipe(client_reader, gateway_writer, False), pipe(gateway_reader, client_writer, True))
        self.writers.discard(pair)

    def cut(self, losing_for, refusing_for):
        """Loses what the gateway sends for `losing_for` seconds, then closes every open
        connection and refuses new ones for `refusing_for` seconds."""

        async def cut_all():
            self.losing = True
            await asyncio.sleep(losing_for)
            self.refusing_until = time.monotonic() + refusing_for
            for client, gateway in list(self.writers):
                client.transport.abort()
                gateway.transport.abort()
            self.losing = False
        self.loop.run(cut_all())


class StaticPages(http.server.ThreadingHTTPServer):
    """Serves /page.html, a page of another origin that imports client.js from the gateway at
    `gateway`, set once that gateway listens."""

    def __init__(self):
        self.gateway = None
        pages = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                page = f"""<!doctype html><meta charset="utf-8"><title>other origin</title>
<script type="module">
import WebSocket from "{pages.gateway}/client.js";
window.WSGate = WebSocket;
</script>""".encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(page)))
                self.end_headers()
                self.wfile.write(page)

            def log_message(self, *args):
                pass

        super().__init__(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.serve_forever, daemon=True).start()


def stop_process(process):
    """Stops a gateway the suite started, and waits for it."""
    process.terminate()
    process.wait(timeout=10)


class BrowserTests(unittest.TestCase):
    token = "browser-test-token"

    @classmethod
    def setUpClass(cls):
        global COUNT_RESUMED
        cls.background = BackgroundLoop()

        async def make_event():
            return asyncio.Event()

        COUNT_RESUMED = cls.background.run(make_event())

        async def start_upstream():
            return await serve(upstream_handler, "127.0.0.1", 0, process_request=refuse_some)

        cls.upstream = cls.background.run(start_upstream())
        cls.upstream_url = f"ws://127.0.0.1:{cls.upstream.sockets[0].getsockname()[1]}"

        cls.pages = StaticPages()
        pages_port = cls.pages.server_address[1]
        cls.config = tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False)
        cls.config.write(f"security:\n  allowedOrigins: [\"http://localhost:{pages_port}\"]\n")
        cls.config.close()
        # Class cleanups run even when setUpClass fails later (a missing chromedriver, say): a
        # gateway left running would keep the test runner's output pipe open, and it would wait forever.
        cls.addClassCleanup(cls.pages.shutdown)
        cls.addClassCleanup(os.unlink, cls.config.name)
        cls.gateway, cls.gateway_url = start_gateway("--config", cls.config.name)
        cls.addClassCleanup(stop_process, cls.gateway)
        cls.pages.gateway = cls.gateway_url
        cls.token_gateway, cls.token_gateway_url = start_gateway(environment={"WSGATE_SECURITY_TOKEN": cls.token})
        cls.addClassCleanup(stop_process, cls.token_gateway)
        cls.proxy = CuttableProxy(cls.background, int(cls.gateway_url.rpartition(":")[2]))
        cls.page_url = f"http://127.0.0.1:{cls.proxy.port}/"
        cls.other_origin = {"allowed": f"http://localhost:{pages_port}/page.html", "refused": f"http://127.0.0.1:{pages_port}/page.html"}

        options = webdriver.ChromeOptions()
        for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,1000"):
            options.add_argument(flag)
        options.binary_location = "/usr/bin/chromium"
        options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
        # Chromium leaves its profile's lock directory in the temporary directory when
        # chromedriver ends it; this one is removed after the driver has quit.
        browser_temporary = tempfile.mkdtemp(prefix="wsgate-browser-")
        cls.addClassCleanup(shutil.rmtree, browser_temporary, ignore_errors=True)
        service = Service("/usr/bin/chromedriver", env={**os.environ, "TMPDIR": browser_temporary})
        cls.driver = webdriver.Chrome(service=service, options=options)
        cls.addClassCleanup(cls.driver.quit)
        cls.driver.set_script_timeout(60)

    def run_js(self, body, **values):
        """Runs `body` (an async function body with `WebSocket` and `values` in scope) in the page."""
        script = """
const done = arguments[arguments.length - 1];
const values = arguments[0];
(async () => {
  const { default: WebSocket } = await import("/client.js");
  %s
})().then((result) => done({ result }), (error) => done({ error: String(error), code: error.code, status: error.status }));
""" % body
        try:
            return self.driver.execute_async_script(script, values)
        except Exception:
            # What the page logged tells why a script never finished.
            for entry in self.driver.get_log("browser"):
                print("browser:", entry["message"], file=sys.stderr)
            raise

    def setUp(self):
        if not self.driver.current_url.startswith(self.page_url):
            self.driver.get(self.page_url)

    def test_text_and_binary_both_ways(self):
        answer = self.run_js("""
const ws = await WebSocket.connect(values.url);
const got = [];
const all = new Promise((resolve) => ws.addListener((m) => { got.push(m); if (got.length === 5) resolve([...got]); }));
await ws.send("hello");
await ws.send([1, 2, 3]);
await ws.send(new Uint8Array([4, 5]));
await ws.send(new Uint8Array([6, 7]).buffer);
await ws.send({ type: "Binary", data: [255] });
const received = await all;
await ws.disconnect();
return received;
""", url=self.upstream_url + "/echo")
        self.assertEqual(answer.get("result"), [
            {"type": "Text", "data": "hello"}, {"type": "Binary", "data": [1, 2, 3]},
            {"type": "Binary", "data": [4, 5]}, {"type": "Binary", "data": [6, 7]}, {"type": "Binary", "data": [255]},
        ], answer)

    def test_ping_and_pong(self):
        answer = self.run_js("""
const ws = await WebSocket.connect(values.url);
const got = [];
const both = new Promise((resolve) => ws.addListener((m) => { got.push(m); if (got.length === 2) resolve([...got]); }));
await ws.send({ type: "Ping", data: [9, 8] });
const received = await both;
await ws.disconnect();
return received;
""", url=self.upstream_url + "/ping")
        self.assertEqual(answer.get("result"), [{"type": "Ping", "data": [1, 2]}, {"type": "Pong", "data": [9, 8]}], answer)

    def test_close_from_each_side(self):
        answer = self.run_js("""
const closes = [];
for (const byUpstream of [false, true]) {
  const ws = await WebSocket.connect(values.url);
  const closed = new Promise((resolve) => ws.addListener((m) => { if (m.type === "Close") resolve(m); }));
  if (byUpstream) await ws.send("close me"); else await ws.disconnect();
  closes.push(await closed);
}
return closes;
""", url=self.upstream_url + "/echo")
        self.assertEqual(answer.get("result"), [
            {"type": "Close", "data": {"code": 1000, "reason": "Disconnected by client"}},
            {"type": "Close", "data": {"code": 4000, "reason": "bye"}},
        ], answer)

    def test_refused_handshake_reaches_the_page(self):
        answer = self.run_js("await WebSocket.connect(values.url); return 'connected';", url=self.upstream_url + "/refuse")
        self.assertEqual((answer.get("code"), answer.get("status")), ("upstream_handshake_failed", 502), answer)
        self.assertIn("403", answer["error"])

    def test_fifty_connections_in_one_page_each_echo_their_own(self):
        answer = self.run_js("""
const sockets = await Promise.all(Array.from({ length: 50 }, () => WebSocket.connect(values.url)));
const results = await Promise.all(sockets.map(async (ws, index) => {
  const got = [];
  const three = new Promise((resolve) => ws.addListener((m) => { got.push(m.data); if (got.length === 3) resolve([...got]); }));
  for (let n = 0; n < 3; n++) await ws.send(`socket ${index} message ${n}`);
  return await three;
}));
await Promise.all(sockets.map((ws) => ws.disconnect()));
return results;
""", url=self.upstream_url + "/echo")
        self.assertEqual(answer.get("result"), [[f"socket {i} message {n}" for n in range(3)] for i in range(50)], answer)

    def test_a_burst_before_add_listener_is_delivered_whole(self):
        answer = self.run_js("""
const ws = await WebSocket.connect(values.url);
// The burst has filled the gateway's history (1,024 events) before anyone listens.
while ((await (await fetch(`/connections/${ws.id}`)).json()).lastEventId < 1024) await new Promise((r) => setTimeout(r, 20));
const got = [];
const all = new Promise((resolve) => ws.addListener((m) => { got.push(m.data); if (got.length === 5000) resolve([...got]); }));
const first5000 = await all;
await ws.disconnect();
const wrong = first5000.findIndex((data, index) => data !== String(index + 1));
return wrong < 0 ? first5000.length : { wrong, around: first5000.slice(Math.max(0, wrong - 3), wrong + 3) };
""", url=self.upstream_url + "/burst?n=5000")
        self.assertEqual(answer.get("result"), 5000, answer)

    def test_a_cut_stream_resumes_with_every_message_exactly_once(self):
        self.driver.execute_async_script("""
const done = arguments[arguments.length - 1];
(async () => {
  const { default: WebSocket } = await import("/client.js");
  const ws = await WebSocket.connect(arguments[0]);
  window.counted = [];
  window.others = [];
  ws.addListener((m) => { if (m.type === "Text") window.counted.push(Number(m.data)); else window.others.push(m); });
})().then(() => done(), (error) => done(String(error)));
""", self.upstream_url + "/count?n=3000&hold=300")
        # The page has the first 300 messages, and none is in flight.
        WebDriverWait(self.driver, 30, poll_frequency=0.02).until(lambda d: d.execute_script("return window.counted.length") >= 300)

        async def resume_count():
            COUNT_RESUMED.set()

        self.background.run(resume_count())
        # The messages the gateway writes in the first 0.1 s never arrive (some 200). Then the
        # gateway is gone for a second, while the upstream sends some 2,000 more, more than the
        # gateway's history holds (1,024): it must stop reading the upstream to lose none, the
        # lost ones included.
        self.proxy.cut(losing_for=0.1, refusing_for=1.0)
        WebDriverWait(self.driver, 30, poll_frequency=0.05).until(
            lambda d: d.execute_script("return window.counted.length >= 3000 || window.others.length > 0")
        )
        # A gap would come as a sentence saying how many messages were lost.
        self.assertEqual(self.driver.execute_script("return window.others"), [])
        self.assertEqual(self.driver.execute_script("return window.counted"), list(range(1, 3001)))

    def test_a_page_on_a_disallowed_origin_is_refused_and_an_allowed_one_served(self):
        self.driver.get(self.other_origin["allowed"])
        WebDriverWait(self.driver, 10).until(lambda d: d.execute_script("return typeof window.WSGate === 'function'"))
        answer = self.driver.execute_async_script("""
const done = arguments[arguments.length - 1];
(async () => {
  const ws = await window.WSGate.connect(arguments[0]);
  const echoed = new Promise((resolve) => ws.addListener(resolve));
  await ws.send("across origins");
  const message = await echoed;
  await ws.disconnect();
  return message;
})().then((result) => done({ result }), (error) => done({ error: String(error) }));
""", self.upstream_url + "/echo")
        self.assertEqual(answer.get("result"), {"type": "Text", "data": "across origins"}, answer)

        # A page on another origin loads client.js (public code), and the gateway refuses it
        # with an error the page can read: its code in the rejection, its sentence in the console.
        self.driver.get(self.other_origin["refused"])
        WebDriverWait(self.driver, 10).until(lambda d: d.execute_script("return typeof window.WSGate === 'function'"))
        answer = self.driver.execute_async_script("""
const done = arguments[arguments.length - 1];
window.WSGate.connect(arguments[0]).then(() => done({ result: "connected" }), (error) => done({ code: error.code, status: error.status }));
""", self.upstream_url + "/echo")
        self.assertEqual(answer, {"code": "origin_forbidden", "status": 403})
        self.driver.get_log("browser")
        self.driver.execute_script("window.WSGate.connect(arguments[0]);", self.upstream_url + "/echo")
        WebDriverWait(self.driver, 10).until(lambda d: self.logged_refusal(d))
        self.driver.get(self.page_url)

    def logged_refusal(self, driver):
        self.logged = getattr(self, "logged", []) + driver.get_log("browser")
        return any("is not in security.allowedOrigins" in entry["message"] for entry in self.logged)

    def test_a_gateway_with_a_token_refuses_without_it_and_serves_with_it(self):
        self.driver.get(self.token_gateway_url + "/")
        answer = self.run_js("""
const { configure } = await import("/client.js");
const refused = await WebSocket.connect(values.url).then(() => null, (error) => ({ code: error.code, status: error.status }));
configure({ token: values.token });
const ws = await WebSocket.connect(values.url);
const echoed = new Promise((resolve) => ws.addListener(resolve));
await ws.send("with a token");
const message = await echoed;
await ws.disconnect();
configure({ token: null });
return { refused, message };
""", url=self.upstream_url + "/echo", token=self.token)
        self.assertEqual(answer.get("result"), {
            "refused": {"code": "unauthorized", "status": 401}, "message": {"type": "Text", "data": "with a token"},
        }, answer)
        # The console asks for the token and uses it.
        self.driver.get(self.token_gateway_url + "/")
        self.driver.find_element(By.ID, "token").send_keys(self.token)
        self.driver.find_element(By.ID, "url").send_keys(self.upstream_url + "/echo")
        self.driver.find_element(By.ID, "connect").click()
        panel = WebDriverWait(self.driver, 10).until(lambda d: d.find_element(By.CSS_SELECTOR, ".connection"))
        panel.find_element(By.CSS_SELECTOR, ".send-data").send_keys("console with a token")
        panel.find_element(By.CSS_SELECTOR, ".send").click()
        WebDriverWait(self.driver, 10).until(lambda d: "Text: console with a token" in panel.find_element(By.CSS_SELECTOR, ".log").text)
        self.driver.get(self.page_url)

    def test_the_console_page_driven_by_clicks(self):
        driver = self.driver
        driver.get(self.page_url)
        driver.find_element(By.ID, "url").send_keys(self.upstream_url + "/echo")
        driver.find_element(By.ID, "config").send_keys('{"headers": {"X-Key": "k"}}')
        driver.find_element(By.ID, "connect").click()
        panel = WebDriverWait(driver, 10).until(lambda d: d.find_element(By.CSS_SELECTOR, ".connection"))
        log = panel.find_element(By.CSS_SELECTOR, ".log")

        def send(kind, text):
            panel.find_element(By.CSS_SELECTOR, f".send-kind option[value='{kind}']").click()
            field = panel.find_element(By.CSS_SELECTOR, ".send-data")
            field.clear()
            field.send_keys(text)
            panel.find_element(By.CSS_SELECTOR, ".send").click()

        def logged(text):
            WebDriverWait(driver, 10).until(lambda d: text in log.text, f"{text!r} not in the log: {log.text}")

        send("Text", "hello console")
        logged("Text: hello console")
        send("hex", "01 02 ff")
        logged("Binary (3 B): hex 01 02 ff")
        send("Ping", "hi")
        logged("Pong: hex 68 69")
        connection_id = panel.get_attribute("data-id")
        WebDriverWait(driver, 10).until(lambda d: connection_id in d.find_element(By.ID, "connections").text)
        os.makedirs(ARGS.artifacts, exist_ok=True)
        driver.save_screenshot(os.path.join(ARGS.artifacts, "console.png"))
        panel.find_element(By.CSS_SELECTOR, ".disconnect").click()
        logged("Close 1000 Disconnected by client")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--wsgate", required=True)
    parser.add_argument("--artifacts", required=True)
    ARGS, rest = parser.parse_known_args()
    # swift test runs this beside timing-sensitive suites on 2 cores: Chromium, the gateway and
    # the upstreams started from here yield to them rather than stall them.
    os.nice(10)
    unittest.main(argv=[sys.argv[0]] + rest, verbosity=2)
