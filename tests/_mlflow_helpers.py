"""Real MLflow tracking servers for tests, and a forwarding proxy that can lose answers.

``MlflowServer``: ``mlflow server`` on a free loopback port (SQLite backend, proxied artifacts);
``stop()`` then ``start()`` restarts it on the same port and backend store.

``LossyProxy``: a plain HTTP forwarder in front of a server. It can forward a request and then
close the connection instead of answering (the server did the work; the client never hears
back), and answers 502 while the server behind it is down, as a reverse proxy would.
"""

from __future__ import annotations

import http.client
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Callable

from conftest import free_port


class MlflowServer:
    """``mlflow server`` on a free loopback port; artifacts are served (uploads go over HTTP)."""

    def __init__(self, root: Path):
        self.root = root
        self.port = free_port()
        self.uri = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen | None = None

    def start(self, timeout: float = 240.0) -> "MlflowServer":
        self.root.mkdir(parents=True, exist_ok=True)
        self._log = log = open(self.root / "server.log", "ab")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "mlflow", "server", "--backend-store-uri", f"sqlite:///{self.root}/mlflow.db",
             "--serve-artifacts", "--artifacts-destination", str(self.root / "artifacts"),
             "--host", "127.0.0.1", "--port", str(self.port), "--workers", "1"],
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True, cwd=self.root)
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"mlflow server exited: {(self.root / 'server.log').read_text()[-2000:]}")
            try:
                with urllib.request.urlopen(self.uri + "/health", timeout=2) as r:
                    if r.status == 200:
                        return self
            except OSError:
                time.sleep(0.5)
        self.stop()
        raise RuntimeError("mlflow server did not answer /health in time")

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        os.killpg(self.proc.pid, signal.SIGTERM)  # its own session: the server and its workers
        try:
            self.proc.wait(5)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)
        self._log.close()


_HOP = {"connection", "keep-alive", "transfer-encoding", "proxy-connection", "te", "trailer", "upgrade", "host"}


class LossyProxy:
    """Forward HTTP on a free loopback port to ``upstream`` (``http://host:port``).

    ``lose(path, then)``: the next request to ``path`` is forwarded and its answer read; then
    ``then()`` is called (e.g. to stop the server) and the client's connection is closed without
    an answer. ``requests`` lists ``(method, path)`` of everything the proxy was asked.
    """

    def __init__(self, upstream: str):
        self.upstream = upstream.split("://", 1)[1].rstrip("/")
        self.requests: list[tuple[str, str]] = []
        self._lose: dict[str, Callable[[], None]] = {}
        self._lock = threading.Lock()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):  # quiet
                pass

            def _body(self) -> bytes:
                if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
                    out = b""
                    while True:
                        size = int(self.rfile.readline().split(b";")[0].strip(), 16)
                        if size == 0:
                            self.rfile.readline()
                            return out
                        out += self.rfile.read(size)
                        self.rfile.readline()
                return self.rfile.read(int(self.headers.get("Content-Length") or 0))

            def _forward(self):
                body = self._body()
                path = self.path.split("?", 1)[0]
                with proxy._lock:
                    proxy.requests.append((self.command, path))
                    then = proxy._lose.pop(path, None)
                headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP}
                headers["Content-Length"] = str(len(body))
                try:
                    conn = http.client.HTTPConnection(proxy.upstream, timeout=60)
                    conn.request(self.command, self.path, body=body, headers=headers)
                    resp = conn.getresponse()
                    status, reason, resp_headers, data = resp.status, resp.reason, resp.getheaders(), resp.read()
                    conn.close()
                except OSError:  # the server is down: a gateway error, as a reverse proxy answers
                    status, reason, resp_headers, data = 502, "Bad Gateway", [], b"upstream is down"
                if then is not None:  # the server did the work; the client never hears of it
                    then()
                    self.close_connection = True
                    try:
                        self.connection.shutdown(2)
                    except OSError:
                        pass
                    return
                self.send_response(status, reason)
                for k, v in resp_headers:
                    if k.lower() not in _HOP and k.lower() != "content-length":
                        self.send_header(k, v)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = _forward

        self.port = free_port()
        self.uri = f"http://127.0.0.1:{self.port}"
        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="lossy-proxy", daemon=True)

    def start(self) -> "LossyProxy":
        self._thread.start()
        return self

    def lose(self, path: str, then: Callable[[], None] = lambda: None) -> None:
        with self._lock:
            self._lose[path] = then

    def count(self, method: str, path: str) -> int:
        with self._lock:
            return self.requests.count((method, path))

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
