"""Runs the hello benchmark for durable and its peers, ROUNDS times each, interleaved, and
writes the medians and ratios to bench/results/hello.md.

    .venv/bin/python bench/run_hello.py [--n 500] [--rounds 3] [--baseline PYTHON]

--baseline PYTHON adds a row: the same bench/hello.py run by another interpreter (e.g. the
.venv of a checkout of main), so a change is measured against its baseline in the same
interleaved rounds. --only NAME,... limits the systems run.

Peers come from scripts/bench-peers.sh (a separate venv with dbos and temporalio, and the
`temporal` CLI built from the Go module proxy); a peer that is not installed is reported as
missing, not silently dropped.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PEERS_VENV = Path(os.environ.get("DURABLE_PEERS_VENV", ROOT / "build" / "peers-venv"))
TEMPORAL_BIN = Path(os.environ.get("DURABLE_TEMPORAL_BIN", ROOT / "build" / "peers-bin" / "temporal"))


def systems(n: int, baseline: str | None = None) -> dict[str, list[str] | None]:
    peer_py = PEERS_VENV / "bin" / "python"
    have_peers = peer_py.exists()
    return {
        "durable": [sys.executable, str(ROOT / "bench" / "hello.py"), str(n)],
        **({"durable-baseline": [baseline, str(ROOT / "bench" / "hello.py"), str(n)]}
           if baseline else {}),
        "durable-relaxed": [sys.executable, str(ROOT / "bench" / "hello.py"), str(n), "--relaxed"],
        "durable-grpc-1": [sys.executable, str(ROOT / "bench" / "hello_grpc.py"), str(n),
                           "--workers", "1"],
        "durable-grpc-4": [sys.executable, str(ROOT / "bench" / "hello_grpc.py"), str(n),
                           "--workers", "4"],
        "dbos": [str(peer_py), str(ROOT / "bench" / "peers" / "dbos_hello.py"), str(n)]
        if have_peers else None,
        "temporal": [str(peer_py), str(ROOT / "bench" / "peers" / "temporal_hello.py"), str(n),
                     str(TEMPORAL_BIN)] if have_peers and TEMPORAL_BIN.exists() else None,
    }


def run_once(cmd: list[str]) -> dict:
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=900)
    if proc.returncode != 0:
        raise RuntimeError(f"{cmd[1]} failed:\n{proc.stderr[-3000:]}")
    lines = [line for line in proc.stdout.splitlines() if line.startswith("{")]
    return json.loads(lines[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--baseline", help="python of another durable checkout (a row)")
    parser.add_argument("--only", help="comma-separated system names to run")
    args = parser.parse_args()
    cmds = systems(args.n, args.baseline)
    if args.only:
        cmds = {k: v for k, v in cmds.items() if k in args.only.split(",")}
    load_before = os.getloadavg()
    results: dict[str, list[dict]] = {name: [] for name, cmd in cmds.items() if cmd}
    for r in range(args.rounds):
        for name, cmd in cmds.items():
            if cmd is None:
                continue
            res = run_once(cmd)
            if name == "durable-baseline":
                res["system"] += f" baseline ({args.baseline})"
            results[name].append(res)
            print(f"round {r + 1}/{args.rounds} {name}: {res['completions_per_s']}/s "
                  f"p50 {res['p50_ms']} ms p99 {res['p99_ms']} ms", flush=True)

    def med(name: str, key: str) -> float:
        return statistics.median(x[key] for x in results[name])

    base = med("durable", "completions_per_s")
    rows = []
    for name in results:
        rows.append(f"| {results[name][0]['system']} | {med(name, 'completions_per_s'):.1f} | "
                    f"{med(name, 'p50_ms'):.1f} | {med(name, 'p99_ms'):.1f} | "
                    f"{base / med(name, 'completions_per_s'):.2f}x |")
    missing = [name for name, cmd in cmds.items() if cmd is None]
    load_after = os.getloadavg()
    out = ROOT / "bench" / "results" / "hello.md"
    out.parent.mkdir(exist_ok=True)
    out.write_text(
        f"# hello: {args.n} concurrent workflows, one activity each\n\n"
        f"Run {datetime.date.today()} on {platform.machine()}, {os.cpu_count()} cores; "
        f"median of {args.rounds} interleaved rounds; load average (1 min) "
        f"{load_before[0]:.1f} before, {load_after[0]:.1f} after.\n\n"
        "| system | completions/s | p50 ms | p99 ms | durable (synced) ÷ this |\n"
        "|---|---|---|---|---|\n" + "\n".join(rows) + "\n"
        + (f"\nNot measured (peer not installed): {', '.join(missing)}\n" if missing else ""))
    print(out.read_text())


if __name__ == "__main__":
    main()
