"""The ceiling of the stack: a bare aiohttp server that only reads and parses the JSON body.

Whatever alerthub's intake reaches is measured against this; run
``python bench/ceiling.py --port 18081`` and point ``bench/load.py`` at it.
"""

from __future__ import annotations

import argparse
import json

from aiohttp import web

_OK = b'{"status":"ok"}'


async def handle(request: web.Request) -> web.Response:
    """Read and parse the body, nothing else; bad JSON is a 400 like a real intake."""
    body = await request.read()
    try:
        json.loads(body)
    except ValueError:
        return web.Response(status=400, body=b'{"status":"bad json"}')
    return web.Response(body=_OK, content_type="application/json")


def build_app() -> web.Application:
    app = web.Application(client_max_size=16 * 1024 * 1024)
    app.router.add_post("/{tail:.*}", handle)
    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=18081)
    args = parser.parse_args()
    web.run_app(build_app(), host=args.host, port=args.port, access_log=None, print=None)


if __name__ == "__main__":
    main()
