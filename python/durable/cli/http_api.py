"""``durable http-api``: the HTTP/JSON API (docs/http-api.md) as its own process in front
of a durable-server (or an embedded directory), configured by a clients TOML file."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from typing import Any

from durable.cli._connect import add_connection_args, connect_kwargs


def add_parser(commands: Any) -> None:
    p = commands.add_parser(
        "http-api", help="serve the HTTP/JSON API (POST /invoke/{client}, status, ...)",
        description="Serve the HTTP/JSON API: workflow clients from --config, each starting "
                    "one workflow type on one task queue.",
        epilog="Example: durable http-api --address 127.0.0.1:7233 --config clients.toml "
               "--listen 127.0.0.1:9080")
    p.add_argument("--config", required=True, metavar="FILE",
                   help="TOML: [clients.NAME] workflow_type, task_queue, namespace")
    p.add_argument("--listen", default="127.0.0.1:9080", metavar="HOST:PORT",
                   help="where to listen (default 127.0.0.1:9080; port 0 picks one)")
    p.add_argument("--api-keys", metavar="FILE",
                   help="require 'Authorization: Bearer KEY' (durable-server's key file)")
    add_connection_args(p)
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from durable._http_api import Api, load_api_keys, load_clients, serve

    clients = load_clients(args.config)
    keys = load_api_keys(args.api_keys) if args.api_keys else None
    api = Api(connect_kwargs(args), clients, keys)
    for spec in clients.values():  # fail at start, not at the first request
        api.run(api.client(spec.namespace))
    server = serve(args.listen, api)
    host, port = server.server_address[:2]
    print(f"durable http-api listening on {host}:{port}", flush=True)
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    threading.Thread(target=server.serve_forever, daemon=True).start()
    while not stop.wait(0.5):
        pass
    server.shutdown()
    api.close()
    print("durable http-api stopped", file=sys.stderr)
    return 0
