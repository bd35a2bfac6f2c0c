"""``durable server start-dev``: durable-server for development, like ``temporal server
start-dev``: a temporary data directory unless ``--db-filename`` names one, the address
printed, extra namespaces registered, the web UI on port+1000 unless ``--headless``, stopped
gracefully by Ctrl-C / SIGTERM."""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
import threading
from typing import Any

from durable.cli._exit import UsageError

_LOG_LEVELS = ("debug", "info", "warn", "error", "never")


def add_parser(commands: Any) -> None:
    server = commands.add_parser("server", help="run durable-server")
    sub = server.add_subparsers(dest="server_command", metavar="COMMAND", required=True)
    dev = sub.add_parser(
        "start-dev", help="start a development server",
        description="Start durable-server for development (the bundled binary).",
        epilog="Example: durable server start-dev --db-filename ./durable-data --namespace osm")
    dev.add_argument("--ip", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    dev.add_argument("--port", "-p", type=int, default=7233, help="gRPC port (default 7233)")
    dev.add_argument("--db-filename", "-f", default=None,
                     help="data directory to keep (default: a temporary one, removed at exit)")
    dev.add_argument("--namespace", "-n", action="append", default=[],
                     help="extra namespace to register (repeatable); 'default' always exists")
    dev.add_argument("--ui-port", type=int, default=None,
                     help="web UI port (default port+1000; docs/ui.md)")
    dev.add_argument("--headless", action="store_true", help="no web UI")
    dev.add_argument("--http-config", metavar="FILE", default=None,
                     help="serve the HTTP/JSON API with these workflow clients (TOML; "
                          "docs/http-api.md)")
    dev.add_argument("--http-port", type=int, default=None,
                     help="HTTP API port with --http-config (default port+2000; 0 = any free)")
    dev.add_argument("--log-level", choices=_LOG_LEVELS, default="info",
                     help="server log verbosity (default info; 'never' silences it)")
    dev.add_argument("--sync-writes", action=argparse.BooleanOptionalAction, default=True,
                     help="sync the WAL on every transition (default on)")
    dev.add_argument("--accept-data-loss", action="store_true",
                     help="open --db-filename even if its write-ahead log is corrupt, keeping "
                          "what precedes the damage (docs/storage.md)")
    dev.set_defaults(run=start_dev)


def start_dev(args: argparse.Namespace) -> int:
    from durable._server_process import ServerProcess

    if not 0 < args.port < 65536:
        raise ValueError(f"--port must be 1-65535, got {args.port}")
    extra = [] if args.sync_writes else ["--relaxed-writes"]
    if args.accept_data_loss:
        extra.append("--accept-data-loss")
    if not args.headless:
        ui_port = args.port + 1000 if args.ui_port is None else args.ui_port
        if not 0 <= ui_port < 65536:
            raise ValueError(f"--ui-port must be 0-65535 (0 = any free), got {ui_port}")
        extra += ["--ui", f"{args.ip}:{ui_port}"]
    if args.http_port is not None and args.http_config is None:
        raise UsageError("--http-port needs --http-config FILE (the API's workflow clients)")
    if args.http_config is not None:
        http_port = args.port + 2000 if args.http_port is None else args.http_port
        if not 0 <= http_port < 65536:
            raise ValueError(f"--http-port must be 0-65535 (0 = any free), got {http_port}")
        extra += ["--http", f"{args.ip}:{http_port}", "--http-config", args.http_config]
    proc = ServerProcess(args.db_filename, listen=f"{args.ip}:{args.port}", args=extra)
    address = proc.start()
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    try:
        if args.namespace:
            asyncio.run(_register(address, args.namespace))
        if args.log_level != "never":
            print(f"durable-server {address}  data {proc.db}"
                  f"{'' if args.db_filename else ' (temporary)'}", flush=True)
            for ns in ["default", *args.namespace]:
                print(f"  namespace {ns}", flush=True)
            if proc.ui_url:
                print(f"  web UI {proc.ui_url}", flush=True)
            if proc.http_url:
                print(f"  HTTP API {proc.http_url}", flush=True)
        while not stop.wait(0.5):
            if not proc.running():
                print("durable: the server exited: " + " | ".join(proc.log[-3:]), file=sys.stderr)
                return 1
    finally:
        proc.stop()
    return 0


async def _register(address: str, namespaces: list[str]) -> None:
    from durable.client import Client
    from durable.exceptions import AlreadyExistsError

    client = await Client.connect(address)
    try:
        for ns in namespaces:
            try:
                await client.register_namespace(ns)
            except AlreadyExistsError:
                pass  # kept from an earlier run on the same --db-filename
    finally:
        await client.close()
