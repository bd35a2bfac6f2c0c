"""One version, in one place (python/durable/__init__.py): the installed distribution's
metadata, ``durable --version``, ``python -m durable --version``, ``durable-server
--version`` and the newest CHANGELOG.md entry all say the same."""

from __future__ import annotations

import importlib.metadata
import io
import re
import subprocess
import sys
from pathlib import Path

import durable
from durable._server_process import server_binary
from durable.cli.main import main

ROOT = Path(__file__).resolve().parents[2]


def test_version_is_semver() -> None:
    assert re.fullmatch(r"\d+\.\d+\.\d+", durable.__version__)


def test_distribution_metadata_matches() -> None:
    assert importlib.metadata.version("durable") == durable.__version__


def test_cli_version_in_process_and_as_module() -> None:
    out = io.StringIO()
    assert main(["--version"], stdout=out) == 0
    assert out.getvalue() == f"durable {durable.__version__}\n"
    proc = subprocess.run([sys.executable, "-m", "durable", "--version"], capture_output=True,
                          text=True, timeout=60)
    assert (proc.returncode, proc.stdout) == (0, f"durable {durable.__version__}\n"), proc.stderr


def test_server_binary_version() -> None:
    proc = subprocess.run([server_binary(), "--version"], capture_output=True, text=True,
                          timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert re.fullmatch(rf"durable-server {re.escape(durable.__version__)} \(protocol \d+\)\n",
                        proc.stdout), proc.stdout


def test_changelog_names_the_current_version_first() -> None:
    headings = re.findall(r"^## \[?(\d+\.\d+\.\d+)\]?", (ROOT / "CHANGELOG.md").read_text(),
                          re.MULTILINE)
    assert headings and headings[0] == durable.__version__
