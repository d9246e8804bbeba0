"""Parts the fault tests break on purpose: a private redis-server and a TCP proxy that can cut the
database off. Neither touches the shared servers; each lives on a free loopback port of its own."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from email.message import Message
from typing import Any

from tests.browser.servers import free_port


class RedisServer:
    """A throwaway redis-server (no persistence) that can be killed and started again on its port."""

    def __init__(self) -> None:
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            raise RuntimeError("redis-server is not installed")
        self.process = subprocess.Popen(
            [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while True:
            with suppress(OSError), socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as sock:
                sock.sendall(b"PING\r\n")
                if sock.recv(16).startswith(b"+PONG"):
                    return
            if time.monotonic() > deadline or self.process.poll() is not None:
                raise RuntimeError("redis-server did not start")
            time.sleep(0.05)

    def kill(self) -> None:
        """SIGKILL: what a crash or an OOM kill looks like to the clients (no goodbye, data gone)."""
        if self.process is not None:
            self.process.kill()
            self.process.wait()
            self.process = None


@contextmanager
def redis_server() -> Iterator[RedisServer]:
    server = RedisServer()
    server.start()
    try:
        yield server
    finally:
        server.kill()


class TcpProxy:
    """Forwards a loopback port to `target`; `cut()` closes every connection and refuses new ones
    (the database host gone from the network) until `restore()`."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.port = free_port()
        self._open = threading.Event()
        self._open.set()
        self._lock = threading.Lock()
        self._sockets: set[socket.socket] = set()
        self._stopping = False
        self._listener: socket.socket | None = None
        self.refused = 0

    def start(self) -> None:
        self._listener = socket.create_server(("127.0.0.1", self.port))
        threading.Thread(target=self._accept, name="proxy-accept", daemon=True).start()

    def stop(self) -> None:
        self._stopping = True
        if self._listener is not None:
            self._listener.close()
        self._close_all()

    def cut(self) -> None:
        self._open.clear()
        self._close_all()

    def restore(self) -> None:
        self._open.set()

    def _close_all(self) -> None:
        with self._lock:
            sockets, self._sockets = self._sockets, set()
        for sock in sockets:
            with suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()

    def _accept(self) -> None:
        assert self._listener is not None
        while not self._stopping:
            try:
                client, _address = self._listener.accept()
            except OSError:
                return
            if not self._open.is_set():
                # Accepted by the kernel already: closing at once is the closest to "refused".
                self.refused += 1
                client.close()
                continue
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            upstream.settimeout(None)
            with self._lock:
                self._sockets |= {client, upstream}
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(source, sink), daemon=True).start()

    def _pipe(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while chunk := source.recv(65536):
                sink.sendall(chunk)
        except OSError:
            pass
        finally:
            for sock in (source, sink):
                with suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)


@contextmanager
def tcp_proxy(target: tuple[str, int]) -> Iterator[TcpProxy]:
    proxy = TcpProxy(target)
    proxy.start()
    try:
        yield proxy
    finally:
        proxy.stop()


def post_events(
    base: str, token: str, batch: list[dict[str, Any]], *, timeout: float = 30
) -> tuple[int, dict[str, Any], Message]:
    """POST one batch to the ingest API: (status, JSON body, headers — looked up in any case);
    HTTP errors are returned, not raised."""
    request = urllib.request.Request(  # noqa: S310 - loopback http
        f"{base}/api/telephony/events",
        data=json.dumps(batch).encode(),
        method="POST",
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 - loopback http
            return response.status, json.loads(response.read() or b"{}"), response.headers
    except urllib.error.HTTPError as error:
        body = error.read()
        try:
            parsed = json.loads(body or b"{}")
        except ValueError:
            parsed = {"raw": body[:500].decode(errors="replace")}
        return error.code, parsed, error.headers


class WallboardWatcher:
    """A wallboard socket held open in a thread, like the browser's board: it reconnects (1 s, then
    backing off) whenever the socket drops, and records every snapshot it receives."""

    def __init__(self, base: str, session_cookie: str) -> None:
        self.url = base.replace("http://", "ws://") + "/ws/wallboard/"
        self.origin = base
        self.cookie = session_cookie
        self.snapshots: list[dict[str, Any]] = []
        self.connects = 0
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, name="wallboard-watcher", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def received(self) -> list[dict[str, Any]]:
        with self._lock:
            return list(self.snapshots)

    def _run(self) -> None:
        import asyncio

        asyncio.run(self._watch())

    async def _watch(self) -> None:
        import asyncio

        import websockets

        delay = 1.0
        while not self._stop.is_set():
            try:
                async with websockets.connect(
                    self.url,
                    origin=self.origin,
                    additional_headers={"Cookie": f"sessionid={self.cookie}"},
                    open_timeout=5,
                ) as socket_:
                    self.connects += 1
                    delay = 1.0
                    while not self._stop.is_set():
                        try:
                            text = await asyncio.wait_for(socket_.recv(), timeout=0.2)
                        except TimeoutError:
                            continue
                        message = json.loads(text)
                        if message.get("type") == "wallboard.snapshot":
                            message["_received"] = time.monotonic()
                            with self._lock:
                                self.snapshots.append(message)
            except (OSError, websockets.exceptions.WebSocketException, TimeoutError):
                await asyncio.sleep(delay)
                delay = min(delay * 2, 15.0)

    def wait_for(self, predicate: Any, *, timeout: float, since: int = 0) -> dict[str, Any] | None:
        """The first snapshot (from index `since`) for which `predicate` holds, waiting up to `timeout`."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for snapshot in self.received()[since:]:
                if predicate(snapshot):
                    return snapshot
            time.sleep(0.1)
        return None


@contextmanager
def wallboard_watcher(base: str, session_cookie: str) -> Iterator[WallboardWatcher]:
    watcher = WallboardWatcher(base, session_cookie)
    watcher.start()
    try:
        yield watcher
    finally:
        watcher.stop()
