"""``durable``: the command line's root. Flags follow the Temporal CLI's names where the
concept is the same, so habits carry over (``durable workflow list -n osm -o json``).

Exit codes (``durable.cli._exit``, docs/cli.md): 0 ok, 1 failed (the workflow failed too),
2 bad usage or input, 3 not found, 4 failed precondition / already exists, 5 unavailable or
timed out, 6 credentials refused. Errors are one line on stderr, never a traceback.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import NoReturn, TextIO

import durable
from durable.cli import _exit, batch, http_api, namespace, schedule, server, workflow
from durable.cli._output import Output


class _Parser(argparse.ArgumentParser):
    """Usage errors raise instead of exiting, so main() prints them like every other error."""

    def error(self, message: str) -> NoReturn:
        raise _exit.UsageError(f"{self.prog}: {message} (see {self.prog} --help)")


class _Version(argparse.Action):
    """``--version``: prints to the stream main() was given (argparse's own prints to
    sys.stdout), then stops like --help."""

    def __init__(self, option_strings: Sequence[str], dest: str, **kwargs: object) -> None:
        super().__init__(option_strings, dest, nargs=0, help="print durable's version and exit")

    def __call__(self, parser: argparse.ArgumentParser, *_: object) -> NoReturn:
        print(f"durable {durable.__version__}", file=getattr(parser, "out", sys.stdout))
        raise SystemExit(0)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="durable", description="durable: durable execution for Python asyncio.",
        epilog="Example: durable workflow list --address 127.0.0.1:7233 -n osm")
    parser.add_argument("--version", action=_Version)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    server.add_parser(commands)
    workflow.add_parser(commands)
    namespace.add_parser(commands)
    schedule.add_parser(commands)
    batch.add_parser(commands)
    http_api.add_parser(commands)
    return parser


def main(argv: Sequence[str] | None = None, *, stdout: TextIO | None = None,
         stderr: TextIO | None = None) -> int:
    """Run one command; returns its exit code. ``stdout``/``stderr`` default to the
    process's (tests pass their own to run commands in-process)."""
    out, err = stdout or sys.stdout, stderr or sys.stderr
    try:
        parser = build_parser()
        parser.out = out  # type: ignore[attr-defined]  # for --version
        args = parser.parse_args(argv)
        args.out_factory = lambda fmt: Output(fmt, out)
        return int(args.run(args) or 0)
    except SystemExit as e:  # --help
        return e.code if isinstance(e.code, int) else 0
    except KeyboardInterrupt:
        return 130
    except Exception as e:  # one readable line, not a traceback
        print(f"durable: {_exit.message(e)}", file=err)
        return _exit.exit_code(e)


if __name__ == "__main__":
    sys.exit(main())
