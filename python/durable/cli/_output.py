"""How commands print: human tables and cards by default, ``--output json`` (one document)
or ``jsonl`` (one JSON object a line) for scripts. Commands build plain dicts (camelCase
keys, as Temporal's JSON) and hand them here; nothing else in the CLI formats."""

from __future__ import annotations

import argparse
import enum
import json
from collections.abc import Mapping, Sequence
from datetime import datetime, timezone
from typing import Any, TextIO

FORMATS = ("table", "json", "jsonl")


def add_output_arg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--output", "-o", choices=FORMATS, default="table",
                        help="table (default, for people), json or jsonl (for scripts)")


def timestamp(t: datetime | None) -> str | None:
    """UTC, millisecond ISO 8601 with Z (what Temporal's JSON shows), None stays None."""
    if t is None:
        return None
    return t.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def jsonable(v: Any) -> Any:
    """Values as JSON: datetimes as timestamps, enums by name, unknown objects by str()."""
    if isinstance(v, datetime):
        return timestamp(v)
    if isinstance(v, enum.Enum):
        return v.name
    if isinstance(v, Mapping):
        return {str(k): jsonable(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [jsonable(x) for x in v]
    if v is None or isinstance(v, (str, int, float, bool)):
        return v
    if isinstance(v, bytes):
        return v.hex()
    return str(v)


def compact(v: Any) -> str:
    """A value in one line of a table cell (strings bare, the rest as JSON)."""
    v = jsonable(v)
    if v is None:
        return ""
    if isinstance(v, str):
        return v
    return json.dumps(v, separators=(",", ":"), ensure_ascii=False)


class Output:
    """Prints in the chosen format to ``stream``."""

    def __init__(self, fmt: str, stream: TextIO) -> None:
        self.fmt = fmt
        self.stream = stream

    def _json(self, obj: Any) -> None:
        indent = 2 if self.fmt == "json" else None
        self.stream.write(json.dumps(jsonable(obj), indent=indent, ensure_ascii=False) + "\n")
        self.stream.flush()

    def item(self, obj: Mapping[str, Any], labels: Sequence[tuple[str, str]] | None = None) -> None:
        """One object: a card of ``label  value`` lines in table mode (``labels`` picks and
        names the keys; all keys by default), the object itself in JSON."""
        if self.fmt != "table":
            self._json(obj)
            return
        pairs = labels or [(k, k[:1].upper() + k[1:]) for k in obj]
        width = max((len(label) for _, label in pairs), default=0)
        for key, label in pairs:
            if key in obj and obj[key] is not None:
                self.stream.write(f"  {label.ljust(width)}  {compact(obj[key])}\n")
        self.stream.flush()

    def rows(self, rows: Sequence[Mapping[str, Any]],
             columns: Sequence[tuple[str, str]]) -> None:
        """Many objects: an aligned table of ``columns`` (key, header), a JSON array, or a
        line each in jsonl."""
        if self.fmt == "json":
            self._json(list(rows))
            return
        if self.fmt == "jsonl":
            for r in rows:
                self._json(r)
            return
        cells = [[compact(r.get(k)) for k, _ in columns] for r in rows]
        widths = [max([len(h)] + [len(c[i]) for c in cells]) for i, (_, h) in enumerate(columns)]
        for line in [[h for _, h in columns], *cells]:
            self.stream.write("  ".join(c.ljust(w) for c, w in zip(line, widths)).rstrip() + "\n")
        self.stream.flush()

    def message(self, text: str, obj: Mapping[str, Any]) -> None:
        """An acknowledgement: ``text`` for people, ``obj`` for scripts."""
        if self.fmt == "table":
            self.stream.write(text + "\n")
            self.stream.flush()
        else:
            self._json(obj)
