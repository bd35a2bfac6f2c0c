"""``durable namespace create | list | describe | update`` (``temporal operator namespace``).

The namespace a command acts on is ``--namespace/-n`` (or the positional NAME), as in the
Temporal CLI; ``create`` and ``list`` connect to ``default``, which always exists.
"""

from __future__ import annotations

import argparse
from typing import Any

from durable.cli._common import duration, run_with_client
from durable.cli._connect import add_connection_args
from durable.cli._exit import UsageError
from durable.cli._output import add_output_arg

_COLUMNS = [("name", "Name"), ("retention", "Retention"), ("description", "Description"),
            ("ownerEmail", "OwnerEmail"), ("createTime", "CreateTime")]


def add_parser(commands: Any) -> None:
    group = commands.add_parser("namespace", help="register and inspect namespaces",
                                description="Namespace commands (as `temporal operator "
                                            "namespace`).")
    sub = group.add_subparsers(dest="namespace_command", metavar="COMMAND", required=True)

    def cmd(name: str, help: str, example: str, fn: Any, connect_to: str | None,
            settings: bool = False) -> None:
        p = sub.add_parser(name, help=help, description=help[:1].upper() + help[1:] + ".",
                           epilog=f"Example: {example}")
        if name != "list":
            p.add_argument("name", nargs="?", metavar="NAME", help="the namespace (or -n)")
        if settings:
            p.add_argument("--retention", help="keep closed runs this long (e.g. 7d, 72h); "
                                               "'0' or 'forever' keeps them forever")
            p.add_argument("--description", help="what it is for")
            p.add_argument("--email", dest="owner_email", help="owner's e-mail")
            p.add_argument("--data", action="append", metavar="KEY=VALUE",
                           help="namespace data entry (repeatable; update: replaces all)")
        add_output_arg(p)
        add_connection_args(p)
        p.set_defaults(run=lambda args: _run(args, fn, connect_to))

    cmd("create", "register a namespace", "durable namespace create -n osm --retention 7d",
        _create, "default", settings=True)
    cmd("list", "list namespaces", "durable namespace list -o json", _list, "default")
    cmd("describe", "show a namespace's settings", "durable namespace describe -n osm",
        _describe, None)
    cmd("update", "change a namespace's retention, description, owner or data",
        "durable namespace update -n osm --retention 30d", _update, None, settings=True)


def _run(args: argparse.Namespace, fn: Any, connect_to: str | None) -> int:
    name = getattr(args, "name", None)
    if name and args.namespace and name != args.namespace:
        raise UsageError(f"NAME {name!r} and --namespace {args.namespace!r} differ")
    args.target = name or args.namespace
    if fn in (_create, _update) and not args.target:
        raise UsageError("which namespace? give NAME or --namespace/-n")
    return run_with_client(args, fn, namespace=connect_to or args.target)


def _retention(text: str | None) -> Any:
    if text is None or text.strip() in ("0", "forever"):
        return None
    return duration(text, "--retention")


def _data(entries: list[str] | None) -> dict[str, str] | None:
    if entries is None:
        return None
    out = {}
    for e in entries:
        k, sep, v = e.partition("=")
        if not sep or not k:
            raise UsageError(f"--data {e!r} is not KEY=VALUE")
        out[k] = v
    return out


def _info_dict(info: Any) -> dict[str, Any]:
    from durable.common import us_to_datetime

    r = info.retention_us
    return {"name": info.name, "description": info.description or None,
            "ownerEmail": info.owner_email or None,
            "retention": f"{r / 1e6:g}s" if r else "forever",
            "retentionSeconds": r / 1e6 if r else None,
            "createTime": us_to_datetime(info.create_time_us) if info.create_time_us else None,
            "data": dict(info.data)}


async def _create(args: argparse.Namespace, client: Any) -> int:
    await client.register_namespace(args.target, retention=_retention(args.retention),
                                    description=args.description or "",
                                    owner_email=args.owner_email or "",
                                    data=_data(args.data))
    info = await client.describe_namespace(args.target)
    args.out_factory(args.output).message(f"Namespace {args.target} registered.",
                                          _info_dict(info))
    return 0


async def _list(args: argparse.Namespace, client: Any) -> int:
    rows = [_info_dict(i) for i in await client.list_namespaces()]
    args.out_factory(args.output).rows(rows, _COLUMNS)
    return 0


async def _describe(args: argparse.Namespace, client: Any) -> int:
    info = await client.describe_namespace(args.target or client.namespace)
    d = _info_dict(info)
    args.out_factory(args.output).item(d, [(k, k[:1].upper() + k[1:]) for k in d
                                           if k != "retentionSeconds"])
    return 0


async def _update(args: argparse.Namespace, client: Any) -> int:
    if all(getattr(args, f) is None for f in ("retention", "description", "owner_email",
                                               "data")):
        raise UsageError("nothing to change: give --retention, --description, --email or "
                         "--data")
    retention = _retention(args.retention) if args.retention is not None else None
    if args.retention is not None and retention is None:
        raise UsageError("--retention forever on update is not supported yet: give a duration")
    info = await client.update_namespace(args.target, retention=retention,
                                         description=args.description,
                                         owner_email=args.owner_email, data=_data(args.data))
    args.out_factory(args.output).message(f"Namespace {args.target} updated.",
                                          _info_dict(info))
    return 0
