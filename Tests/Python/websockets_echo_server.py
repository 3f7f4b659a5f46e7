"""An echo server on the Python `websockets` library, with permessage-deflate on.

Used by the Swift tests to check wsgate's compression against an independent implementation.
Listens on 127.0.0.1 on a free port and prints the port on stdout once it listens. Each
connection first gets a Text message with the negotiated extensions as JSON; then every Text
and Binary message it sends comes back unchanged, except the Text message "compressed?", which
is answered with the number of compressed frames received so far, as JSON. Stops on SIGTERM
or when its standard input closes (when the test process that started it ends).

    python3 websockets_echo_server.py [--server-no-context-takeover] [--client-no-context-takeover]
                                      [--server-max-window-bits N] [--client-max-window-bits N]
"""

import argparse
import asyncio
import json
import signal
import sys

from websockets.asyncio.server import serve
from websockets.extensions.permessage_deflate import PerMessageDeflate, ServerPerMessageDeflateFactory

decode = PerMessageDeflate.decode


def counting_decode(self, frame, *, max_size=None):
    """Counts the frames that arrive compressed (RSV1 set) on each connection's extension."""
    if frame.rsv1:
        self.compressed_frames = getattr(self, "compressed_frames", 0) + 1
    return decode(self, frame, max_size=max_size)


PerMessageDeflate.decode = counting_decode


async def echo(websocket):
    extensions = websocket.protocol.extensions
    await websocket.send(json.dumps({"extensions": [repr(extension) for extension in extensions]}))
    async for message in websocket:
        if message == "compressed?":
            count = sum(getattr(extension, "compressed_frames", 0) for extension in extensions)
            await websocket.send(json.dumps({"compressedFrames": count}))
        else:
            await websocket.send(message)


async def main():
    # A child inherits its parent's blocked signals; the Swift test process blocks SIGTERM.
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM, signal.SIGINT})
    parser = argparse.ArgumentParser()
    parser.add_argument("--server-no-context-takeover", action="store_true")
    parser.add_argument("--client-no-context-takeover", action="store_true")
    parser.add_argument("--server-max-window-bits", type=int)
    parser.add_argument("--client-max-window-bits", type=int)
    args = parser.parse_args()
    deflate = ServerPerMessageDeflateFactory(
        server_no_context_takeover=args.server_no_context_takeover,
        client_no_context_takeover=args.client_no_context_takeover,
        server_max_window_bits=args.server_max_window_bits,
        client_max_window_bits=args.client_max_window_bits,
    )
    # No keepalive pings: a test that runs over 20 s on a loaded machine would see one as an
    # event where it expects an echo.
    async with serve(
        echo, "127.0.0.1", 0, extensions=[deflate], compression=None, max_size=None, ping_interval=None
    ) as server:
        print(server.sockets[0].getsockname()[1], flush=True)
        await asyncio.to_thread(sys.stdin.buffer.read)


asyncio.run(main())
