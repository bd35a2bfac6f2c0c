"""Import example programs (examples/<dir>/<file>.py) as modules ``examples.<dir>.<file>``.

The examples are scripts, not a package; this names each one uniquely so that tests and
the recorded histories (tests/py/histories/examples.<dir>.<file>.<Class>.json) can find
its workflow classes.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def load_example(directory: str, file: str) -> ModuleType:
    """The module of ``examples/<directory>/<file>.py`` (loaded once per process).

    Raises:
        FileNotFoundError: No such example.
    """
    name = f"examples.{directory}.{file}"
    if name in sys.modules:
        return sys.modules[name]
    path = EXAMPLES / directory / f"{file}.py"
    if not path.is_file():
        raise FileNotFoundError(f"no example at {path}")
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[name]
        raise
    return module


def load_example_for_history(stem: str) -> None:
    """Load the example a history named ``examples.<dir>.<file>.<Class>`` refers to."""
    parts = stem.split(".")
    if len(parts) >= 4 and parts[0] == "examples":
        load_example(parts[1], parts[2])
