"""Request/reply exchanges on plain TCP connections: the floor for many small uploads.

`ExchangeServer` runs in a process of its own (asyncio): on each connection it reads a header
(request size, reply size), then answers every `request size` bytes it reads with `reply size`
bytes, until the client closes. `run_exchanges` opens `connections` connections at once and sends
`count` requests in all over them, each connection sending its next request once the previous
one's reply came back (as an HTTP/1.1 client with one request in flight per connection does).
No TLS, no HTTP, no signing: what the network alone costs for these bytes in these exchanges.
"""
from __future__ import annotations

import asyncio
import multiprocessing
import os
import struct
import time

_HEADER = struct.Struct("!II")


async def _serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        size, reply_size = _HEADER.unpack(await reader.readexactly(_HEADER.size))
        reply = b"r" * reply_size
        while True:
            try:
                await reader.readexactly(size)
            except asyncio.IncompleteReadError:
                break
            writer.write(reply)
            await writer.drain()
    finally:
        writer.close()


def _server_main(port_pipe) -> None:
    async def main():
        server = await asyncio.start_server(_serve, "127.0.0.1", 0, backlog=4096)
        port_pipe.send(server.sockets[0].getsockname()[1])
        port_pipe.close()
        async with server:
            await server.serve_forever()
    asyncio.run(main())


class ExchangeServer:
    """The answering side, in a process of its own (so that it has a core apart from the
    client's)."""

    def __init__(self) -> None:
        ours, theirs = multiprocessing.Pipe()
        self.proc = multiprocessing.Process(target=_server_main, args=(theirs,), daemon=True)
        self.proc.start()
        self.port = ours.recv()

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.join(5)


async def _exchanges(port: int, count: int, connections: int, size: int,
                     reply_size: int) -> float:
    left = count
    body = os.urandom(size)

    async def one() -> None:
        nonlocal left
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(_HEADER.pack(size, reply_size))
        while left > 0:
            left -= 1
            writer.write(body)
            await reader.readexactly(reply_size)
        writer.close()

    t0 = time.monotonic()
    await asyncio.gather(*(one() for _ in range(min(connections, count))))
    return time.monotonic() - t0


def run_exchanges(port: int, count: int, connections: int, size: int,
                  reply_size: int) -> float:
    """Seconds from the first connect until the last reply came back."""
    return asyncio.run(_exchanges(port, count, connections, size, reply_size))
