"""The ``durable`` command line (``durable --help``). Subcommands live in one module each."""

from durable.cli.main import main

__all__ = ["main"]
