#!/usr/bin/env python3
"""Compare durable's public API with temporalio's, name by name.

Installs nothing. Two steps, in two Pythons:

  # 1. With a Python that has temporalio (e.g. a scratch venv:
  #    python3 -m venv /tmp/tvenv && /tmp/tvenv/bin/pip install temporalio):
  /tmp/tvenv/bin/python scripts/api-diff.py dump --out /tmp/temporalio-api.json

  # 2. With durable's Python: compare, classify with scripts/api-diff-notes.toml, and
  #    (re)write docs/temporal-compatibility.md; --check fails on unclassified names.
  .venv/bin/python scripts/api-diff.py compare /tmp/temporalio-api.json \
      --write docs/temporal-compatibility.md --check

or both at once: `.venv/bin/python scripts/api-diff.py run --temporal-python /tmp/tvenv/bin/python
--write docs/temporal-compatibility.md --check`.

Each public name of temporalio.{workflow, activity, client, worker, common, exceptions,
converter, testing, envconfig, service} (its ``__all__``, else the names the module defines)
and each public member of its classes is looked up in the same place under ``durable``.
A callable is *compatible* when every way temporalio's signature lets a caller pass
arguments also works with durable's (same positions, same keyword names, nothing more
required). Then each name is: supported (present and compatible), or classified by the
notes file as deliberately different (how), not applicable (why) or not yet done (where
tracked). A name that is neither supported nor classified is UNCLASSIFIED.
"""

from __future__ import annotations

import argparse
import enum
import fnmatch
import importlib
import inspect
import json
import subprocess
import sys
import types
import typing
from pathlib import Path
from typing import Any

MODULES = ["workflow", "activity", "client", "worker", "common", "exceptions", "converter",
           "testing", "envconfig", "service"]
ROOT = Path(__file__).resolve().parent.parent
NOTES = ROOT / "scripts" / "api-diff-notes.toml"

Param = list[Any]  # [name, kind, has_default]


# --- Reading an API (runs under either package) ----------------------------------------------


def signature_of(obj: Any) -> list[Param] | None:
    try:
        sig = inspect.signature(obj)
    except (TypeError, ValueError):
        return None
    return [[p.name, p.kind.name, p.default is not p.empty] for p in sig.parameters.values()]


def is_typing_construct(obj: Any) -> bool:
    """TypeVars, ParamSpecs, typing aliases and Protocols: annotations, not runtime API
    (not compared)."""
    if isinstance(obj, type):  # typing Protocols describe callables for annotations
        return bool(getattr(obj, "_is_protocol", False))
    if isinstance(obj, typing.TypeVar) or inspect.isroutine(obj):
        return isinstance(obj, typing.TypeVar)
    return type(obj).__module__ in ("typing", "typing_extensions", "types")


def method_signature(value: Any) -> list[Param] | None:
    """A method's signature as callers see it: without ``self`` / ``cls``."""
    if isinstance(value, staticmethod):
        return signature_of(value.__func__)
    sig = signature_of(value.__func__ if isinstance(value, classmethod) else value)
    return sig[1:] if sig else sig


def kind_of(obj: Any) -> str:
    if isinstance(obj, type):
        if issubclass(obj, enum.Enum):
            return "enum"
        if issubclass(obj, BaseException):
            return "exception"
        return "class"
    if callable(obj):
        return "function"
    return "value"


def public_names(root: str, module_name: str) -> list[str]:
    mod = importlib.import_module(f"{root}.{module_name}")
    names = getattr(mod, "__all__", None)
    if names is None:
        names = []
        for n in dir(mod):
            obj = getattr(mod, n)
            if n.startswith("_") or isinstance(obj, types.ModuleType):
                continue
            owner = getattr(obj, "__module__", None) if isinstance(obj, type) or callable(
                obj) else type(obj).__module__
            if owner and owner.startswith(root):  # defined by the package, not imported
                names.append(n)
    return sorted(n for n in set(names) if not n.startswith("_") and hasattr(mod, n)
                  and not is_typing_construct(getattr(mod, n)))


def members_of(cls: type) -> dict[str, Any]:
    """Public members a class defines or inherits from the package itself (not object's)."""
    out: dict[str, Any] = {}
    if issubclass(cls, enum.Enum):
        return {m: {"kind": "enum member", "signature": None} for m in cls.__members__}
    for klass in reversed(cls.__mro__):
        if klass.__module__ in ("builtins", "abc", "typing", "enum") or klass is object:
            continue
        for name, value in vars(klass).items():
            if name.startswith("_") and name != "__init__":
                continue
            if name == "__init__":
                continue  # the class's own signature covers it
            if isinstance(value, property):
                out[name] = {"kind": "property", "signature": None}
            elif callable(value) or isinstance(value, (staticmethod, classmethod)):
                out[name] = {"kind": "method", "signature": method_signature(value)}
            else:
                out[name] = {"kind": "attribute", "signature": None}
    return out


def dump(root: str) -> dict[str, Any]:
    api: dict[str, Any] = {}
    for module_name in MODULES:
        mod = importlib.import_module(f"{root}.{module_name}")
        for name in public_names(root, module_name):
            obj = getattr(mod, name)
            entry: dict[str, Any] = {"kind": kind_of(obj), "signature": None}
            if isinstance(obj, type) or callable(obj):
                entry["signature"] = signature_of(obj)
            if isinstance(obj, type):
                entry["members"] = members_of(obj)
            api[f"{module_name}.{name}"] = entry
    return api


# --- Comparing ----------------------------------------------------------------------------------


def compatibility(theirs: list[Param] | None, ours: list[Param] | None) -> list[str]:
    """How calls valid for temporalio's signature would fail on durable's (empty: none)."""
    if theirs is None or ours is None:
        return []
    ours_by_name = {p[0]: p for p in ours}
    our_positional = [p for p in ours if p[1] in ("POSITIONAL_ONLY", "POSITIONAL_OR_KEYWORD")]
    var_pos = any(p[1] == "VAR_POSITIONAL" for p in ours)
    var_kw = any(p[1] == "VAR_KEYWORD" for p in ours)
    issues = []
    position = 0
    for name, kind, has_default in theirs:
        if kind in ("POSITIONAL_ONLY", "POSITIONAL_OR_KEYWORD"):
            if position >= len(our_positional) and not var_pos:
                issues.append(f"positional parameter {name} not accepted")
            elif kind == "POSITIONAL_OR_KEYWORD" and not (
                    var_kw or (name in ours_by_name and ours_by_name[name][1] != "POSITIONAL_ONLY")):
                issues.append(f"parameter {name} not accepted by keyword")
            position += 1
        elif kind == "KEYWORD_ONLY":
            mine = ours_by_name.get(name)
            if not var_kw and (mine is None or mine[1] in ("POSITIONAL_ONLY", "VAR_POSITIONAL")):
                issues.append(f"keyword {name} not accepted")
            elif mine is not None and has_default and not mine[2] and mine[1] != "VAR_KEYWORD":
                issues.append(f"{name} is required (optional in temporalio)")
        elif kind == "VAR_POSITIONAL" and not var_pos:
            issues.append(f"*{name} not accepted")
        elif kind == "VAR_KEYWORD" and not var_kw:
            issues.append(f"**{name} not accepted")
    their_names = {p[0] for p in theirs}
    for i, (name, kind, has_default) in enumerate(ours):
        if has_default or kind in ("VAR_POSITIONAL", "VAR_KEYWORD"):
            continue
        if name not in their_names and not (
                kind != "KEYWORD_ONLY" and i < len(theirs)
                and theirs[i][1] in ("POSITIONAL_ONLY", "POSITIONAL_OR_KEYWORD")):
            issues.append(f"durable requires {name}")
    return issues


def lookup(path: str) -> tuple[bool, Any]:
    module_name, _, rest = path.partition(".")
    try:
        obj: Any = importlib.import_module(f"durable.{module_name}")
    except ImportError:
        return False, None
    for part in rest.split("."):
        if not hasattr(obj, part):
            return False, None
        obj = getattr(obj, part)
    return True, obj


def compare(api: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Per name (and class member): {"status": supported|missing|incompatible, "issues"}."""
    result: dict[str, dict[str, Any]] = {}
    for path, entry in sorted(api.items()):
        found, obj = lookup(path)
        if not found:
            result[path] = {"status": "missing", "issues": [], "kind": entry["kind"]}
            continue
        ours = signature_of(obj) if (isinstance(obj, type) or callable(obj)) else None
        issues = compatibility(entry["signature"], ours)
        result[path] = {"status": "incompatible" if issues else "supported",
                        "issues": issues, "kind": entry["kind"]}
        for member, m in sorted((entry.get("members") or {}).items()):
            mpath = f"{path}.{member}"
            if not hasattr(obj, member):
                result[mpath] = {"status": "missing", "issues": [], "kind": m["kind"]}
                continue
            value = inspect.getattr_static(obj, member) if isinstance(obj, type) else None
            mine = method_signature(value) if m["kind"] == "method" and (
                callable(value) or isinstance(value, (staticmethod, classmethod))) else None
            missues = compatibility(m["signature"], mine)
            result[mpath] = {"status": "incompatible" if missues else "supported",
                             "issues": missues, "kind": m["kind"]}
    return result


# --- Classifying and writing the document ----------------------------------------------------

CATEGORIES = [("different", "deliberately different"), ("not_applicable", "not applicable"),
              ("not_yet", "not yet")]


def load_notes(path: Path) -> dict[str, dict[str, str]]:
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover
        import tomli as tomllib
    with open(path, "rb") as f:
        notes = tomllib.load(f)
    return {cat: dict(notes.get(cat, {})) for cat, _ in CATEGORIES}


def classify(path: str, notes: dict[str, dict[str, str]]) -> tuple[str, str] | None:
    """(category, text) of the first note matching ``path``: exact keys before patterns,
    the longest pattern first."""
    for exact in (True, False):
        candidates = []
        for cat, _ in CATEGORIES:
            for key, text in notes[cat].items():
                if (key == path) if exact else (any(c in key for c in "*?[")
                                               and fnmatch.fnmatchcase(path, key)):
                    candidates.append((len(key), cat, text))
        if candidates:
            _, cat, text = max(candidates, key=lambda c: c[0])
            return cat, text
    return None


def rows(result: dict[str, dict[str, Any]], notes: dict[str, dict[str, str]]
         ) -> dict[str, dict[str, Any]]:
    out = {}
    for path, r in result.items():
        note = classify(path, notes)
        if note is not None and (note[0] == "different" or r["status"] != "supported"):
            status, text = note
            if r["issues"]:  # what the signature check found, for the reader to verify
                text += " (checked: " + "; ".join(r["issues"]) + ")"
            elif r["status"] == "missing" and status == "different":
                text += " (checked: not in durable)"
        elif r["status"] == "supported":
            status, text = "supported", ""
        else:
            status, text = "UNCLASSIFIED", r["status"] + (
                ": " + "; ".join(r["issues"]) if r["issues"] else "")
        out[path] = {**r, "final": status, "text": text}
    return out


def render(table: dict[str, dict[str, Any]], version: str) -> str:
    labels = dict(CATEGORIES, supported="supported", UNCLASSIFIED="UNCLASSIFIED")
    counts: dict[str, int] = {}
    for r in table.values():
        counts[r["final"]] = counts.get(r["final"], 0) + 1
    lines = [
        "# durable and temporalio: the public API, name by name",
        "",
        "Generated by `scripts/api-diff.py` (see its docstring to re-run it) against "
        f"temporalio {version}; the classifications come from `scripts/api-diff-notes.toml`. "
        "Do not edit by hand: edit the notes and re-run. `tests/py/test_api_inventory.py` "
        "fails when a name listed as supported disappears from durable.",
        "",
        "Every public name of `temporalio.{" + ", ".join(MODULES) + "}` and every public "
        "member of their classes is one of:",
        "",
        "* **supported** — `durable.<same path>` exists and every call temporalio's signature "
        "allows works with durable's (same positions and keyword names, nothing more "
        "required). The script checks names and signatures only; behaviour is meant to "
        "follow temporalio, and each known difference a caller would notice is listed as "
        "*deliberately different* instead (those are written by hand in the notes).",
        "* **deliberately different** — present, but behaves or is called differently (how).",
        "* **not applicable** — has no meaning for durable (why).",
        "* **not yet** — applies but is not done (where it is tracked).",
        "",
        "Not compared: typing aliases, TypeVars and Protocols (annotations only) and private "
        "names. Re-run: `/tmp/tvenv/bin/python scripts/api-diff.py dump --out /tmp/t.json && "
        ".venv/bin/python scripts/api-diff.py compare /tmp/t.json --write "
        "docs/temporal-compatibility.md --check` (any Python with temporalio for the first "
        "step).",
        "",
        "| status | names |",
        "|---|---|",
    ]
    for key in ("supported", "different", "not_applicable", "not_yet", "UNCLASSIFIED"):
        if counts.get(key):
            lines.append(f"| {labels[key]} | {counts[key]} |")
    for module_name in MODULES:
        prefix = module_name + "."
        mod_rows = {p: r for p, r in table.items() if p.startswith(prefix)}
        lines += ["", f"## temporalio.{module_name}", ""]
        top = [p for p in mod_rows if p.count(".") == 1]
        supported = [p for p in top if mod_rows[p]["final"] == "supported"]
        if supported:
            lines.append("Supported: " + ", ".join(f"`{p}`" for p in supported) + ".")
            lines.append("")
        members_ok = {}
        for p, r in mod_rows.items():
            if p.count(".") == 2 and r["final"] == "supported":
                members_ok.setdefault(p.rsplit(".", 1)[0], []).append(p.rsplit(".", 1)[1])
        if members_ok:
            lines.append("Supported members:")
            lines.append("")
            for cls in sorted(members_ok):
                lines.append(f"* `{cls}`: " + ", ".join(f"`{m}`" for m in members_ok[cls]))
            lines.append("")
        others = [(p, r) for p, r in mod_rows.items() if r["final"] != "supported"]
        if others:
            lines += ["| name | status | how / why |", "|---|---|---|"]
            for p, r in others:
                text = r["text"].replace("|", "\\|").replace("\n", " ")
                lines.append(f"| `{p}` | {labels[r['final']]} | {text} |")
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="cmd", required=True)
    d = sub.add_parser("dump", help="with temporalio installed: write its API as JSON")
    d.add_argument("--out", default="-")
    for name in ("compare", "run"):
        c = sub.add_parser(name, help="compare with durable (run: dump in another Python first)")
        if name == "compare":
            c.add_argument("api_json")
        else:
            c.add_argument("--temporal-python", required=True,
                           help="a Python that can import temporalio")
        c.add_argument("--notes", default=str(NOTES))
        c.add_argument("--write", help="write the markdown document there")
        c.add_argument("--json", help="write the classified table as JSON there")
        c.add_argument("--check", action="store_true",
                       help="exit 1 if a name is UNCLASSIFIED")
    args = parser.parse_args()

    if args.cmd == "dump":
        import temporalio  # noqa: F401  (fails clearly when not installed)
        from importlib.metadata import version

        text = json.dumps({"version": version("temporalio"), "api": dump("temporalio")},
                          indent=1, sort_keys=True)
        if args.out == "-":
            print(text)
        else:
            Path(args.out).write_text(text)
        return 0

    if args.cmd == "run":
        out = subprocess.run([args.temporal_python, __file__, "dump"], check=True,
                             capture_output=True, text=True).stdout
        dumped = json.loads(out)
    else:
        dumped = json.loads(Path(args.api_json).read_text())
    table = rows(compare(dumped["api"]), load_notes(Path(args.notes)))
    if args.write:
        Path(args.write).write_text(render(table, dumped["version"]))
    if args.json:
        Path(args.json).write_text(json.dumps(table, indent=1, sort_keys=True))
    unclassified = [p for p, r in table.items() if r["final"] == "UNCLASSIFIED"]
    counts: dict[str, int] = {}
    for r in table.values():
        counts[r["final"]] = counts.get(r["final"], 0) + 1
    print(json.dumps(counts, sort_keys=True), file=sys.stderr)
    for p in unclassified:
        print(f"UNCLASSIFIED {p}: {table[p]['text']}", file=sys.stderr)
    return 1 if args.check and unclassified else 0


if __name__ == "__main__":
    sys.exit(main())
