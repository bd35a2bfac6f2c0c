"""``durable``: the command line's root. Flags follow the Temporal CLI's names where the
concept is the same, so habits carry over (``durable server start-dev --port 7233``).

Exit codes: 0 ok, 1 failed, 2 bad usage.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from durable.cli import server


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="durable", description="durable: durable execution for Python asyncio.",
        epilog="Example: durable server start-dev --port 7233 --db-filename ./durable-data")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    server.add_parser(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.run(args) or 0)
    except KeyboardInterrupt:
        return 130
    except Exception as e:  # one readable line, not a traceback
        print(f"durable: {e}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
