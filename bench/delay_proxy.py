"""A TCP relay on 127.0.0.1 that delays every byte by a fixed time in each direction.

Put in front of the local service, it gives each HTTP round trip ``2 * delay`` of latency, as a
distant cloud would, while the service stays the real one. Bytes keep their order; each
direction of each connection has its own delivery queue, so the delay is added once per trip,
not per chunk. Bench use only.
"""

from __future__ import annotations

import asyncio
import threading
import time
from urllib.parse import urlsplit, urlunsplit

__all__ = ["DelayProxy"]


class DelayProxy:
    """``with DelayProxy(url, delay=0.025) as proxied_url:`` relays to ``url``'s host:port.

    Args:
        url (str): the service's base URL (``http://127.0.0.1:PORT/api``).
        delay (float): seconds added to each direction (the round trip gains twice this).
    """

    def __init__(self, url: str, *, delay: float):
        self._target = urlsplit(url)
        self.delay = delay
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._serve, name="delay-proxy", daemon=True)
        self._server: asyncio.base_events.Server | None = None
        self.port = 0

    def __enter__(self) -> str:
        self._thread.start()
        self._ready.wait(10)
        parts = self._target._replace(netloc=f"127.0.0.1:{self.port}")
        return urlunsplit(parts)

    def __exit__(self, *exc: object) -> None:
        asyncio.run_coroutine_threadsafe(self._close(), self._loop).result(5)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)
        self._loop.close()

    async def _close(self) -> None:
        if self._server is not None:
            self._server.close()
        tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    def _serve(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._server = self._loop.run_until_complete(
            asyncio.start_server(self._relay, "127.0.0.1", 0)
        )
        self.port = self._server.sockets[0].getsockname()[1]
        self._ready.set()
        self._loop.run_forever()

    async def _relay(self, client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
        host, port = self._target.hostname, self._target.port
        try:
            server_r, server_w = await asyncio.open_connection(host, port)
            await asyncio.gather(self._pump(client_r, server_w), self._pump(server_r, client_w),
                                 return_exceptions=True)
        except asyncio.CancelledError:  # the relay is closing
            client_w.close()

    async def _pump(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        queue: asyncio.Queue[tuple[float, bytes]] = asyncio.Queue()

        async def deliver() -> None:
            while True:
                due, data = await queue.get()
                if not data:
                    break
                await asyncio.sleep(max(0.0, due - time.monotonic()))
                writer.write(data)
                await writer.drain()
            writer.close()

        sender = asyncio.ensure_future(deliver())
        try:
            while data := await reader.read(1 << 16):
                queue.put_nowait((time.monotonic() + self.delay, data))
        finally:
            queue.put_nowait((0.0, b""))
            await sender
