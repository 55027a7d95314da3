"""The library's ceiling: panoramisk's own FastAGI ``Application`` doing the same AGI
commands as our ``auth`` script (one GET VARIABLE, one SET VARIABLE, one EXEC) and no work.

    python -m bench.bare_panoramisk --agi 127.0.0.1:4575
"""

from __future__ import annotations

import argparse
import asyncio
import signal

from panoramisk import fast_agi


async def auth(request: fast_agi.Request) -> None:
    await request.send_command("GET VARIABLE CALLERID(num-pres)")
    await request.send_command("SET VARIABLE CALLAUTH_RESULT verified")
    await request.send_command("EXEC Hangup 16")


async def serve(host: str, port: int) -> None:
    app = fast_agi.Application(loop=asyncio.get_running_loop())
    app.add_route("auth", auth)
    server = await asyncio.start_server(app.handler, host, port)
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    print("listening", flush=True)
    async with server:
        await stop.wait()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--agi", required=True, metavar="HOST:PORT")
    host, _, port = parser.parse_args().agi.rpartition(":")
    asyncio.run(serve(host, int(port)))


if __name__ == "__main__":
    main()
