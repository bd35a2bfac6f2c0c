"""Where a command goes: the flags every client command takes (``--db`` or ``--address``,
``--namespace``, envconfig profile, TLS, API key) and the Client they make.

Precedence, as in the Temporal CLI: a flag beats the profile and environment
(``TEMPORAL_ADDRESS``, ``TEMPORAL_NAMESPACE``, ... via ``durable.envconfig``), which beat the
defaults (``localhost:7233``, namespace ``default``). ``--db`` opens the embedded engine in
this process and ignores the profile.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from durable.cli._exit import UsageError


def add_connection_args(parser: argparse.ArgumentParser) -> None:
    g = parser.add_argument_group("target (an embedded directory or a durable-server)")
    g.add_argument("--db", metavar="DIR",
                   help="open the embedded engine on this data directory (no server); only "
                        "one process may open a directory")
    g.add_argument("--accept-data-loss", action="store_true", default=False,
                   help="with --db: open even if the write-ahead log is corrupt, keeping what "
                        "precedes the damage (docs/storage.md)")
    g.add_argument("--address", metavar="HOST:PORT",
                   help="durable-server address (default: the profile's, else localhost:7233)")
    g.add_argument("--namespace", "-n", help="namespace (default: the profile's, else default)")
    g.add_argument("--profile", help="envconfig profile name (default: 'default')")
    g.add_argument("--config-file", metavar="FILE",
                   help="envconfig TOML file (default: TEMPORAL_CONFIG_FILE or the user's "
                        "config dir)")
    g.add_argument("--api-key", help="API key, sent as 'authorization: Bearer KEY'")
    g.add_argument("--tls", action="store_true", default=None,
                   help="use TLS (implied by the other --tls-* flags)")
    g.add_argument("--tls-ca-path", metavar="FILE", help="PEM CA that signed the server's cert")
    g.add_argument("--tls-cert-path", metavar="FILE", help="PEM client certificate (mutual TLS)")
    g.add_argument("--tls-key-path", metavar="FILE", help="PEM key of --tls-cert-path")
    g.add_argument("--tls-server-name", metavar="NAME",
                   help="name to verify the server's certificate against")


def connect_kwargs(args: argparse.Namespace) -> dict[str, Any]:
    """``Client.connect``'s keyword arguments (``target_host`` included) for these flags.

    Raises:
        UsageError: contradictory flags (``--db`` with a server flag), unreadable TLS files.
    """
    server_flags = [f for f in ("address", "api_key", "tls", "tls_ca_path", "tls_cert_path",
                                "tls_key_path", "tls_server_name", "profile", "config_file")
                    if getattr(args, f, None)]
    if args.db:
        if server_flags:
            raise UsageError(f"--db opens an embedded directory; it cannot be combined with "
                             f"--{server_flags[0].replace('_', '-')}")
        db = Path(args.db)
        if not db.is_dir():  # a typo must not create an empty engine
            raise UsageError(f"--db {args.db}: no such directory")
        if not (db / "CURRENT").exists() and any(p.name != "durable.lock" for p in db.iterdir()):
            raise UsageError(f"--db {args.db}: not a durable data directory (no RocksDB "
                             f"CURRENT file, and not empty)")
        kwargs: dict[str, Any] = {"target_host": args.db, "namespace": args.namespace or "default"}
        if getattr(args, "accept_data_loss", False):
            kwargs["accept_data_loss"] = True
        return kwargs
    if getattr(args, "accept_data_loss", False):
        raise UsageError("--accept-data-loss goes with --db (a server takes it at its start)")
    from durable.envconfig import ClientConfig

    kwargs: dict[str, Any] = dict(ClientConfig.load_client_connect_config(
        args.profile, config_file=args.config_file))
    if args.address:
        kwargs["target_host"] = args.address
    if args.namespace:
        kwargs["namespace"] = args.namespace
    if args.api_key:
        kwargs["api_key"] = args.api_key
    tls = _tls(args)
    if tls is not None:
        kwargs["tls"] = tls
    return kwargs


def _tls(args: argparse.Namespace) -> Any:
    from durable.service import TLSConfig

    files = (args.tls_ca_path, args.tls_cert_path, args.tls_key_path)
    if not any(files) and not args.tls_server_name:
        return True if args.tls else None
    if bool(args.tls_cert_path) != bool(args.tls_key_path):
        raise UsageError("--tls-cert-path and --tls-key-path go together (mutual TLS)")
    ca, cert, key = (_read(p) for p in files)
    return TLSConfig(server_root_ca_cert=ca, client_cert=cert, client_private_key=key,
                     domain=args.tls_server_name)


def _read(path: str | None) -> bytes | None:
    if not path:
        return None
    try:
        return Path(path).read_bytes()
    except OSError as e:
        raise UsageError(f"cannot read {path}: {e.strerror}") from e


async def connect(args: argparse.Namespace) -> Any:
    """A Client for these flags (the caller closes it)."""
    from durable.client import Client

    kwargs = connect_kwargs(args)
    return await Client.connect(kwargs.pop("target_host"), **kwargs)
