"""A stand-in for AWS API Gateway's WebSocket API, for the tests.

It plays API Gateway's part around chatd --apigw-listen: it accepts WebSocket
clients, gives each a connection id, calls the $connect / $default /
$disconnect integrations with the request parameter mappings docs/aws.md
asks for (connectionid from context.connectionId, x-chat-user and
x-chat-token from the query string), returns a $default integration
response body to the client (a two-way route), and serves the @connections
management API by pushing to the socket, answering 410 for ids it does not
hold. It can be told to throttle (429) the next N management calls, and to
drop a socket without calling $disconnect (which API Gateway only promises
on a best-effort basis).

Needs Debian's python3-websockets (10.4, the asyncio API).
"""

import asyncio
import http.client
import http.server
import itertools
import json
import threading
import time
import urllib.parse
from http import HTTPStatus

import websockets


class Gateway:
    def __init__(self):
        self.integration = None  # "127.0.0.1:PORT" of chatd's apigw listener
        self.lock = threading.Lock()
        self.sockets = {}  # connection id -> websocket; guarded by lock
        self.silent = set()  # ids dropped without $disconnect
        self.throttle = 0  # answer 429 to this many management calls
        self.trace_header = None  # X-Amzn-Trace-Id for integration calls
        self.calls = []  # (method, id, status, authorization) per call
        self.ids = itertools.count(1)
        self.loop = asyncio.new_event_loop()
        self.http = http.server.ThreadingHTTPServer(
            ("127.0.0.1", 0), self._management_handler())
        self.http.daemon_threads = True
        self.callback_port = self.http.server_address[1]
        self.ws_port = None

    # -- lifecycle -------------------------------------------------------

    def start(self):
        threading.Thread(target=self.http.serve_forever, daemon=True).start()
        ready = threading.Event()

        def run():
            asyncio.set_event_loop(self.loop)
            gateway = self

            class Protocol(websockets.WebSocketServerProtocol):
                async def process_request(self, path, headers):
                    return await gateway._on_connect(self, path)

            async def serve():
                self.server = await websockets.serve(
                    self._on_socket, "127.0.0.1", 0, create_protocol=Protocol)
                self.ws_port = self.server.sockets[0].getsockname()[1]
                ready.set()

            self.loop.run_until_complete(serve())
            self.loop.run_forever()

        threading.Thread(target=run, daemon=True).start()
        ready.wait(5)

    def stop(self):
        self.http.shutdown()
        self.http.server_close()

        async def close():
            self.server.close()
            await self.server.wait_closed()

        asyncio.run_coroutine_threadsafe(close(), self.loop).result(5)
        self.loop.call_soon_threadsafe(self.loop.stop)

    def url(self, query=""):
        return f"ws://127.0.0.1:{self.ws_port}/{query}"

    # -- controls for the tests -------------------------------------------

    def vanish(self, connection_id):
        """Closes a socket without calling $disconnect."""
        with self.lock:
            ws = self.sockets.pop(connection_id, None)
            self.silent.add(connection_id)
        if ws:
            asyncio.run_coroutine_threadsafe(ws.close(1001), self.loop)

    def calls_to(self, connection_id):
        with self.lock:
            return [c for c in self.calls if c[1] == connection_id]

    # -- integrations (API Gateway -> chatd) ------------------------------

    def _integrate(self, route, connection_id, body=b"", extra=None):
        headers = {"connectionid": connection_id,
                   "content-type": "application/json"}
        headers.update(extra or {})
        if self.trace_header:
            headers["x-amzn-trace-id"] = self.trace_header
        conn = http.client.HTTPConnection(self.integration, timeout=10)
        try:
            conn.request("POST", f"/apigw/{route}", body=body, headers=headers)
            res = conn.getresponse()
            return res.status, res.read()
        except OSError:  # the backend is down: API Gateway answers 502
            return 502, b""
        finally:
            conn.close()

    async def _on_connect(self, protocol, path):
        connection_id = f"gw{next(self.ids)}Zw="  # real ids end in '='
        query = urllib.parse.parse_qs(urllib.parse.urlsplit(path).query)
        extra = {}
        if "user" in query:
            extra["x-chat-user"] = query["user"][0]
        if "token" in query:
            extra["x-chat-token"] = query["token"][0]
        status, body = await asyncio.get_running_loop().run_in_executor(
            None, self._integrate, "connect", connection_id, b"", extra)
        if status != 200:
            return HTTPStatus(status), [], body
        protocol.connection_id = connection_id
        return None

    async def _on_socket(self, ws, path=None):
        connection_id = ws.connection_id
        with self.lock:
            self.sockets[connection_id] = ws
        loop = asyncio.get_running_loop()
        try:
            async for frame in ws:
                data = frame.encode() if isinstance(frame, str) else frame
                status, body = await loop.run_in_executor(
                    None, self._integrate, "default", connection_id, data)
                if status == 200 and body:
                    await ws.send(body.decode())
        except websockets.ConnectionClosed:
            pass
        finally:
            with self.lock:
                self.sockets.pop(connection_id, None)
                silent = connection_id in self.silent
            if not silent:
                await loop.run_in_executor(
                    None, self._integrate, "disconnect", connection_id)

    # -- @connections (chatd -> API Gateway) -------------------------------

    def _management_handler(self):
        gateway = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as API Gateway

            def log_message(self, *args):
                pass

            def _answer(self, status, body=b""):
                self.send_response(status)
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(body)

            def _handle(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                _, sep, tail = self.path.partition("/@connections/")
                connection_id = urllib.parse.unquote(tail)
                with gateway.lock:
                    ws = gateway.sockets.get(connection_id)
                    throttled = gateway.throttle > 0
                    if throttled:
                        gateway.throttle -= 1
                status = (400 if not sep else 429 if throttled
                          else 410 if ws is None else 200)
                if status == 200 and self.command == "DELETE":
                    status = 204
                with gateway.lock:  # recorded before the client can see it
                    gateway.calls.append(
                        (self.command, connection_id, status,
                         self.headers.get("Authorization", "")))
                if status == 200 and self.command == "POST":
                    asyncio.run_coroutine_threadsafe(
                        ws.send(body.decode()), gateway.loop).result(5)
                elif status == 204:
                    asyncio.run_coroutine_threadsafe(
                        ws.close(), gateway.loop).result(5)
                if status == 200 and self.command == "GET":
                    return self._answer(200, json.dumps({
                        "connectedAt": time.strftime("%Y-%m-%dT%H:%M:%SZ"),
                        "identity": {"sourceIp": "127.0.0.1"}}).encode())
                message = {429: b'{"message":"Too Many Requests"}',
                           410: b'{"message":null}'}.get(status, b"")
                self._answer(status, message)

            do_POST = do_GET = do_DELETE = _handle

        return Handler
