"""What pytest loads through durable's ``pytest11`` entry point: only an ini switch.

The fixtures of :mod:`durable.testing.pytest_plugin` become active when
``durable_plugin = true`` is set in the pytest configuration (or when that module is
loaded explicitly with ``-p`` or ``pytest_plugins``); installing durable alone adds none.
"""

from __future__ import annotations

import pytest

_PLUGIN = "durable.testing.pytest_plugin"
RECORD_OPTION = "--durable-record-histories"


def add_record_option(parser: pytest.Parser) -> None:
    """Add ``--durable-record-histories=DIR`` (once: this module or the plugin adds it)."""
    try:
        parser.addoption(
            RECORD_OPTION, dest="durable_record_histories", default=None, metavar="DIR",
            help="after each test, write the history of every closed workflow run of its "
                 "durable engine to DIR/<module>.<Class>.json (replay-test fixtures)")
    except ValueError:
        pass  # already added


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addini("durable_plugin", type="bool", default=False,
                  help=f"activate durable's test fixtures ({_PLUGIN}): durable_env, "
                       "durable_client, durable_worker, durable_replay")
    # The plugin's command-line option must exist before the command line is parsed.
    add_record_option(parser)


def pytest_configure(config: pytest.Config) -> None:
    if config.getini("durable_plugin"):
        config.pluginmanager.import_plugin(_PLUGIN)
