"""Real servers on real sockets for the `radar ui` tests: an aiohttp app served from a thread of its own, and a
plain HTTP client that can send any Host, Origin or Fetch-Metadata header a browser (or an attacker) would."""

from __future__ import annotations

import asyncio
import http.client
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from aiohttp import web


@dataclass(frozen=True)
class Served:
    host: str
    port: int
    addresses: list

    def get(
        self, path: str, headers: dict[str, str] | None = None, method: str = "GET", body: bytes | None = None
    ) -> tuple[int, bytes, http.client.HTTPMessage]:
        """One request; ``headers`` may replace Host (http.client then sends no Host of its own)."""
        conn = http.client.HTTPConnection(self.host, self.port, timeout=10)
        try:
            conn.request(
                method, path, body=body, headers={"Host": f"{self.host}:{self.port}", **(headers or {})}
            )
            response = conn.getresponse()
            return response.status, response.read(), response.headers
        finally:
            conn.close()


@contextmanager
def serving(app: web.Application, host: str = "127.0.0.1", port: int = 0) -> Iterator[Served]:
    """Serve ``app`` on ``host`` (port 0: any free one) until the block ends."""
    loop = asyncio.new_event_loop()
    runner = web.AppRunner(app, handle_signals=False)
    started = threading.Event()

    def run() -> None:
        asyncio.set_event_loop(loop)
        loop.run_until_complete(runner.setup())
        loop.run_until_complete(web.TCPSite(runner, host, port).start())
        started.set()
        loop.run_forever()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    assert started.wait(10), "the test server did not start"
    addresses = list(runner.addresses)
    try:
        yield Served(host=host, port=addresses[0][1], addresses=addresses)
    finally:
        asyncio.run_coroutine_threadsafe(runner.cleanup(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()
